"""The services:connect client container, as rendered: pure."""
from paas.render import datastores as r


def test_the_connect_client_runs_on_the_services_network_only():
    spec = r.client_spec(instance="t1", name="my-db", kind="postgres", image="paas/postgres:17",
                         password="pw", nonce="abc")
    assert spec == {
        "image": "paas/postgres:17", "name": "paas-t1-db-my-db-connect-abc",
        "command": ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", "paas-t1-db-my-db",
                    "-U", "paas", "-d", "my_db"],
        "environment": {"PGPASSWORD": "pw", "PGSSLMODE": "require"},
        "labels": r.labels("t1", "my-db", "postgres", role="connect"),
        "user": "postgres", "cap_drop": ["ALL"], "security_opt": ["no-new-privileges"],
        "network": "paas-t1-db-my-db", "mem_limit": "128m", "stdin_open": True,
        "stdin_once": True}
    redis = r.client_spec(instance="t1", name="c", kind="redis", image="paas/redis:8.0",
                          password="pw", nonce="x")
    assert redis["command"] == ["redis-cli", "-h", "paas-t1-db-c", "-p", "6379"]
    assert redis["environment"] == {"REDISCLI_AUTH": "pw"}
