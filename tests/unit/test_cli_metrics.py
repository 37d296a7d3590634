"""`paas metrics` and GET /api/v1/apps/{name}/metrics (issue 15): the real CLI against the real
Flask app, over an access log written as nginx writes it."""
from __future__ import annotations

import json
import time

import pytest

from paas.cli.commands.metrics import sparkline
from paas.domain.metrics import access_log_name, minute_of
from paas.services.metrics import access_log_dir
from tests.unit.cli_harness import api, run  # noqa: F401 (fixture)


def write_log(services, app, entries):
    path = access_log_dir(services.settings) / access_log_name(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        for at, status, rt in entries:
            fh.write(json.dumps({"t": f"{at:.3f}", "s": str(status), "rt": f"{rt:.3f}",
                                 "ut": f"{rt:.3f}", "b": "10"}).encode() + b"\n")


def test_metrics_json_counts_every_request_of_the_minute(api, capsys):  # noqa: F811
    _, _, services = api
    services.apps.create("shop")
    now = time.time()
    at = minute_of(now) + 0.5 if now - minute_of(now) > 1 else now - 0.5
    write_log(services, "shop", [(at, 500 if i % 5 == 0 else 200, 0.9 if i == 3 else 0.01)
                                 for i in range(50)])
    services.metrics.collect_once()
    code, out, err = run(api, ["metrics", "-a", "shop", "--json"], capsys)
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert len(doc["minutes"]) == 60 and doc["step"] == 60
    index = doc["minutes"].index(minute_of(at))
    assert doc["requests"][index] == 50 and doc["status"]["5xx"][index] == 10
    assert doc["latency_ms"]["total"]["p99"][index] == 900.0
    assert doc["latency_ms"]["upstream"]["p50"][index] == 10.0


def test_metrics_text_has_aligned_columns_and_sparklines(api, capsys):  # noqa: F811
    _, _, services = api
    services.apps.create("shop")
    # In the current minute whatever the clock says (time.time() - 1 is the previous one at :00).
    write_log(services, "shop", [(time.time() // 60 * 60, 200, 0.02)])
    services.metrics.collect_once()
    code, out, _ = run(api, ["metrics", "-a", "shop", "--since", "5m"], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("=== shop metrics, last 5m")
    assert lines[1].split() == ["series", "now", "min", "max"]
    requests = next(l for l in lines if l.startswith("requests"))
    assert requests.index("1") == lines[1].index("now")
    assert requests.endswith("█") or requests.rstrip().endswith("▁█")


def test_metrics_refuses_an_unknown_window_and_app(api, capsys):  # noqa: F811
    code, _, err = run(api, ["metrics", "-a", "nope"], capsys)
    assert code == 1 and err == "paas: no such app: nope\n"
    app, env, services = api
    services.apps.create("shop")
    client = app.test_client()
    resp = client.get("/api/v1/apps/shop/metrics?since=2d",
                      headers={"Authorization": f"Bearer {env['PAAS_TOKEN']}"})
    assert resp.status_code == 422
    assert resp.json["message"] == "since must be one of 5m, 15m, 1h, 6h, 24h"


def test_sparkline_scales_to_the_peak_and_folds_long_series():
    assert sparkline([0, 1, 2, 4, None]) == "▁▃▅█ "
    assert sparkline([0] * 3) == "▁▁▁"
    assert len(sparkline(list(range(1440)))) == 60


def test_the_apps_list_shows_each_apps_rates_of_the_last_5_minutes(api, capsys):  # noqa: F811
    app, env, services = api
    for name in ("quiet", "shop"):
        services.apps.create(name)
    now = time.time()
    # 40 requests, 10 of them 500s, in the current minute; 7 from 6 minutes ago are outside.
    write_log(services, "shop", [(now - 360, 200, 0.01)] * 7 +
              [(now, 500 if i % 4 == 0 else 200, 0.01) for i in range(40)])
    services.metrics.collect_once()
    code, out, err = run(api, ["apps"], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines() == ["=== Apps", "NAME   REQ/MIN (5M)  ERRORS (5M)",
                                "quiet  0             0.0%", "shop   8             25.0%"]
    code, out, _ = run(api, ["apps", "--json"], capsys)
    assert [a["rates"] for a in json.loads(out)] == [
        {"requests_per_minute": 0.0, "error_rate": 0.0},
        {"requests_per_minute": 8.0, "error_rate": 0.25}]


def test_the_apps_list_queries_the_rates_once_for_all_apps(api, monkeypatch):  # noqa: F811
    app, env, services = api
    for i in range(5):
        services.apps.create(f"app{i}")
    calls = []
    store = services.metrics.metrics
    real = store.request_totals
    monkeypatch.setattr(store, "request_totals",
                        lambda since, apps=None: calls.append(since) or real(since, apps))
    resp = app.test_client().get("/api/v1/apps",
                                 headers={"Authorization": f"Bearer {env['PAAS_TOKEN']}"})
    assert resp.status_code == 200 and len(resp.json) == 5 and len(calls) == 1


def test_apps_without_rates_show_a_dash():
    from paas.cli.commands.apps import rate_row
    assert rate_row({"name": "old"}) == ["old", "-", "-"]
    assert rate_row({"name": "off", "rates": None}) == ["off", "-", "-"]
    assert rate_row({"name": "a", "rates": {"requests_per_minute": 12.4, "error_rate": 0.0123}}) \
        == ["a", "12.4", "1.2%"]


def json_schema(schema):
    """OpenAPI 3.0's `nullable` as JSON Schema's null type."""
    if isinstance(schema, list):
        return [json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: json_schema(v) for k, v in schema.items() if k != "nullable"}
    if schema.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def test_the_answers_match_their_documented_schemas(api):  # noqa: F811
    import jsonschema_rs
    app, env, services = api
    services.apps.create("shop")
    services.apps.create("quiet")
    write_log(services, "shop", [(time.time(), 500, 0.2), (time.time(), 200, 0.01)])
    services.metrics.collect_once()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {env['PAAS_TOKEN']}"}
    doc = client.get("/api/v1/openapi.json", headers=auth).get_json()

    def schema(path):
        return json_schema(doc["paths"][path]["get"]["responses"]["200"]["content"]
                           ["application/json"]["schema"])
    series = client.get("/api/v1/apps/shop/metrics?since=15m", headers=auth).get_json()
    jsonschema_rs.validate(schema("/apps/{name}/metrics"), series)
    listed = client.get("/api/v1/apps", headers=auth).get_json()
    jsonschema_rs.validate(schema("/apps"), listed)
    # and the schemas can fail: a series without its minutes, a rate above 1
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validate(schema("/apps/{name}/metrics"),
                               {k: v for k, v in series.items() if k != "minutes"})
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validate(schema("/apps"), [{**listed[0], "rates": {
            "requests_per_minute": 1, "error_rate": 2}}])
