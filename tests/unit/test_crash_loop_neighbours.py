"""One app's crash loop costs its neighbours nothing (issue 13): restarting a crash-looping
worker after its backoff does not reload nginx, which every app's requests go through (a
reload makes old workers close their idle keep-alive connections and costs a burst of CPU)."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tests.fakes import FakeEngine, FakeProbe, FakeProxy, FakeRepos, fake_services

SHA1 = "1" * 40


@dataclass
class CountingProxy(FakeProxy):
    reloads: int = 0

    def apply_app(self, app, text):
        self.reloads += 1
        super().apply_app(app, text)


def _ago(seconds: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat()


def test_restarting_a_crash_looping_worker_leaves_nginx_alone(tmp_path):
    engine, proxy, repos = FakeEngine(), CountingProxy(), FakeRepos(tmp_path)
    repos.files["Procfile"] = b"web: gunicorn app:app\nworker: python w.py\n"
    services = fake_services(tmp_path / "home", engine=engine, probe=FakeProbe(), proxy=proxy,
                             repos=repos)
    proxy.ensure_running()
    services.apps.create("crashy")
    services.deployer.deploy_push("crashy", SHA1, lambda _: None)
    services.processes.scale("crashy", {"worker": 1}, lambda _: None)
    reloads = proxy.reloads
    [worker] = [c for c in engine.running() if c.labels["paas.process"] == "worker"]
    worker.status, worker.restart_count, worker.exit_code = "restarting", 3, 4
    worker.started_at, worker.finished_at = _ago(9.5), _ago(9)
    # stopped, and started again at once: its backoff (8 s after 4 crashes) has passed
    assert services.converger.once() == ["crashy: started 1, retired 0"]
    assert worker.status == "exited"
    assert [c.labels["paas.process"] for c in engine.running()] == ["web", "worker"]
    assert proxy.reloads == reloads
    assert services.processes.scale("crashy", {"web": 2}, lambda _: None)
    assert proxy.reloads == reloads + 1  # a change of the web processes still routes
