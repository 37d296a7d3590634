"""The swarm scheduler's decisions against a Swarm that answers from memory: which addresses
are routed, when a start counts as failed; and the nodes use case's refusals."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from paas.errors import Conflict, DeployFailed, InvalidInput, NotFound
from paas.services.nodes import Nodes
from paas.services.swarm_scheduler import Placed, SwarmScheduler
from paas.settings import Settings
from tests.fakes import FakeEngine


@dataclass
class Task:
    id: str
    service_id: str
    node_id: str
    state: str
    desired: str = "running"
    error: str = ""
    exit_code: int = 0
    published_port: int | None = None
    container_id: str = ""
    timestamp: str = "2026-01-01T00:00:00Z"


@dataclass
class Node:
    id: str
    addr: str
    state: str = "ready"
    availability: str = "active"
    hostname: str = "host"
    role: str = "worker"
    leader: bool = False
    memory: int = 0
    cpus: float = 1.0


class FakeSwarm:
    def __init__(self, nodes, tasks):
        self._nodes, self._tasks = nodes, tasks
        self.availability: list[tuple[str, str]] = []

    def nodes(self):
        return self._nodes

    def tasks(self, ids):
        return [t for t in self._tasks if t.service_id in ids]

    def services(self, labels):
        return [Service("s1", 1), Service("s2", 2)]

    def service_logs(self, sid, since=None, tail=None):
        return [("t", "Traceback: boom")]

    def set_availability(self, node_id, availability):
        self.availability.append((node_id, availability))

    created: list = []
    labelled: list = []

    def publish(self, ref):
        return ref

    def create_overlay(self, name, labels, subnet):
        return True

    def create_service(self, spec):
        self.created = self.created + [spec]
        return f"new{len(self.created)}"

    def label_nodes(self, node_ids, key, value):
        self.labelled = self.labelled + [(node_ids, key, value)]

    def local_node(self):
        return "n1"


class Probe:
    listening: set[str] = set()  # host:port

    def connects(self, address, timeout=0.5):
        return address in self.listening

    def http_get(self, address, path="/", timeout=2.0):
        return (200, "ok") if address in self.listening else None


def scheduler(tmp_path, nodes, tasks):
    return SwarmScheduler(Settings(home=tmp_path), FakeEngine(), FakeSwarm(nodes, tasks), Probe())


NODES = [Node("n1", "10.0.0.1"), Node("n2", "10.0.0.2")]
LABELS = {"paas.process": "web", "paas.release": "3"}


@dataclass
class Service:
    id: str
    index: int
    name: str = "svc"
    created: str = "2026-01-01T00:00:00Z"

    @property
    def labels(self):
        return {**LABELS, "paas.app": "hello", "paas.index": str(self.index)}


def addresses(sched) -> list[str]:
    return sorted(a for a in sched.web_addresses(sched.running("hello")))


def test_routes_running_tasks_at_their_node_address(tmp_path):
    tasks = [Task("t1", "s1", "n1", "running", published_port=30001),
             Task("t0", "s1", "n2", "failed", desired="shutdown", published_port=30009),
             Task("t2", "s2", "n2", "running", published_port=30002)]
    Probe.listening = {"10.0.0.1:30001", "10.0.0.2:30002"}
    assert sorted(r.address for r in scheduler(tmp_path, NODES, tasks).running("hello")) == [
        "10.0.0.1:30001", "10.0.0.2:30002"]


def test_ps_says_which_node_each_process_is_on(tmp_path):
    tasks = [Task("t1", "s1", "n1", "running", published_port=30001),
             Task("t2", "s2", "n2", "running", published_port=30002)]
    found = scheduler(tmp_path, NODES, tasks).processes("hello")
    assert [(p.name, p.state, p.node) for p in found] == [
        ("web.1", "running", "10.0.0.1"), ("web.2", "running", "10.0.0.2")]
    sched = scheduler(tmp_path, NODES, tasks)
    listed = sched.processes("hello", sched.processes_by_app()["hello"])
    assert [(p.name, p.node) for p in listed] == [(p.name, p.node) for p in found]


def test_a_down_node_or_a_silent_address_leaves_the_route(tmp_path):
    tasks = [Task("t1", "s1", "n1", "running", published_port=30001),
             Task("t2", "s2", "n2", "running", published_port=30002)]
    Probe.listening = {"10.0.0.1:30001"}
    assert addresses(scheduler(tmp_path, NODES, tasks)) == ["10.0.0.1:30001"]
    down = [NODES[0], Node("n2", "10.0.0.2", state="down")]
    Probe.listening = {"10.0.0.1:30001", "10.0.0.2:30002"}
    assert addresses(scheduler(tmp_path, down, tasks)) == ["10.0.0.1:30001"]


def test_when_nothing_accepts_connections_the_route_stays(tmp_path):
    tasks = [Task("t1", "s1", "n1", "running", published_port=30001)]
    Probe.listening = set()
    assert addresses(scheduler(tmp_path, NODES, tasks)) == ["10.0.0.1:30001"]


def test_a_rejected_task_fails_the_start_with_swarms_reason(tmp_path):
    tasks = [Task("t1", "s1", "n2", "rejected", desired="shutdown",
                  error="No such image: 10.0.0.1:5000/paas/hello@sha256:abc")]
    placed = [Placed("s1", "web", 1, None, 0.0, 5000)]
    with pytest.raises(DeployFailed, match="web.1 crashed on boot .*No such image") as err:
        scheduler(tmp_path, NODES, tasks).wait_healthy(placed)
    assert "Traceback: boom" in err.value.detail


def test_start_spreads_a_process_types_slots_over_the_active_nodes(tmp_path):
    """web.1 runs on n1 (s2 has no task yet): web.2 and web.3 go to n2, then n1 (kept off the
    other active node by a label); a drained node takes none; once a slot runs, the label goes
    so that Swarm may move it."""
    from tests.unit.test_render_container import RELEASE
    nodes = NODES + [Node("n3", "10.0.0.3", availability="drain")]
    sched = scheduler(tmp_path, nodes, [Task("t1", "s1", "n1", "running", published_port=30001)])
    placed = sched.start(RELEASE, (("web", 2), ("web", 3)), lambda line: None)
    keys = [f"paas.avoid.{s['Name']}" for s in sched.swarm.created]
    assert [s["TaskTemplate"]["Placement"] for s in sched.swarm.created] == [
        {"Constraints": [f"node.labels.{key}!=1"]} for key in keys]
    assert sched.swarm.labelled == [(["n1"], keys[0], "1"), (["n2"], keys[1], "1")]
    assert [p.avoid for p in placed] == keys
    sched.swarm._tasks.append(Task("t2", "new1", "n2", "running", published_port=30002))
    sched.swarm._tasks.append(Task("t3", "new2", "n1", "running", published_port=30003))
    sched.swarm.services = lambda labels: []
    import paas.services.scheduler as base
    base_wait = base.Scheduler.wait_answering
    base.Scheduler.wait_answering = lambda self, started, checks=None: None
    try:
        sched.wait_answering(placed)
    finally:
        base.Scheduler.wait_answering = base_wait
    assert sched.swarm.labelled[2:] == [([], keys[0], None), ([], keys[1], None)]
    assert not any(p.avoid for p in placed)


def test_one_active_node_starts_unconstrained(tmp_path):
    from tests.unit.test_render_container import RELEASE
    sched = scheduler(tmp_path, [NODES[0], Node("n2", "10.0.0.2", state="down")], [])
    placed = sched.start(RELEASE, (("web", 1),), lambda line: None)
    assert "Placement" not in sched.swarm.created[0]["TaskTemplate"] and not placed[0].avoid


def test_an_app_with_volumes_starts_every_slot_on_the_node_holding_them(tmp_path):
    """The volumes are made (before_start) on the manager, and every slot is pinned there, not
    spread: a local volume exists on one node only."""
    from tests.unit.test_render_container import RELEASE
    release = RELEASE.__class__(**{**RELEASE.__dict__, "mounts": {"files": "/data"}})
    sched = scheduler(tmp_path, NODES, [])
    made = []
    sched.before_start = lambda rel, facts: made.append(rel.mounts)
    sched.start(release, (("web", 1), ("web", 2)), lambda line: None)
    assert made == [{"files": "/data"}]
    assert [s["TaskTemplate"]["Placement"] for s in sched.swarm.created] == [
        {"Constraints": ["node.id==n1"]}] * 2
    assert sched.swarm.labelled == []
    assert sched.data_node() == "10.0.0.1"


def test_a_deploy_spreads_without_counting_the_tasks_it_replaces(tmp_path):
    """web.1 and web.2 both ran on n1 (pinned there by a volume since unmounted): the new
    release's web.1 and web.2 go one per node, not both to n2."""
    from tests.unit.test_render_container import RELEASE
    sched = scheduler(tmp_path, NODES, [Task("t1", "s1", "n1", "running", published_port=30001),
                                        Task("t2", "s2", "n1", "running", published_port=30002)])
    sched.start(RELEASE, (("web", 1), ("web", 2)), lambda line: None)
    keys = [f"paas.avoid.{s['Name']}" for s in sched.swarm.created]
    assert sched.swarm.labelled == [(["n2"], keys[0], "1"), (["n1"], keys[1], "1")]


def test_a_replaced_web_service_waits_in_standby_running_but_unrouted(tmp_path):
    """Swarm has no pause: after its drain a standby service keeps running, leaves the route
    and shows as standby; a rollback takes it back (its node address, no new service), and
    when its window ends it is removed."""
    tasks = [Task("t1", "s1", "n1", "running", published_port=30001),
             Task("t2", "s2", "n2", "running", published_port=30002)]
    Probe.listening = {"10.0.0.1:30001", "10.0.0.2:30002"}
    sched = scheduler(tmp_path, NODES, tasks)
    sched.settings = Settings(home=tmp_path, drain_seconds=0, standby_seconds=60)
    removed = []
    sched.swarm.remove_service = removed.append
    sched.retire(["s1", "s2"], standby=["s1"])
    assert removed == ["s2"]
    assert [r.id for r in sched.running("hello")] == ["s2"]  # the fake lists s2 still
    assert [(p.name, p.state) for p in sched.processes("hello")] == [
        ("web.1", "standby"), ("web.2", "running")]
    taken = sched.resume("hello", {3}, {("web", 1)})
    assert [(t.container_id, t.address) for t in taken] == [("s1", "10.0.0.1:30001")]
    assert isinstance(taken[0], Placed) and sched.swarm.created == []
    assert [(p.name, p.state) for p in sched.processes("hello")] == [
        ("web.1", "running"), ("web.2", "running")]

    sched.retire(["s1"], standby=["s1"])
    assert sched.expire_standby("hello", everything=True) == ["s1"]
    sched.wait_retired()
    assert removed == ["s2", "s1"]


class Store:
    def list_apps(self):
        return []


def nodes(tmp_path, listed):
    swarm = FakeSwarm(listed, [])
    return Nodes(Settings(home=tmp_path), Store(), swarm, None, None), swarm


def test_drain_refuses_the_last_active_node(tmp_path):
    use, swarm = nodes(tmp_path, [Node("abc1", "10.0.0.1"), Node("abc2", "10.0.0.2", availability="drain")])
    with pytest.raises(Conflict, match="only active node"):
        use.drain("abc1", print)
    assert swarm.availability == []


def test_nodes_are_named_by_id_or_unique_prefix(tmp_path):
    use, _ = nodes(tmp_path, [Node("abc1", "10.0.0.1"), Node("abc2", "10.0.0.2")])
    assert use.find("abc2").addr == "10.0.0.2"
    with pytest.raises(InvalidInput, match="names 2 nodes"):
        use.find("abc")
    with pytest.raises(NotFound, match="no such node: zzz"):
        use.find("zzz")
    with pytest.raises(InvalidInput, match="invalid node"):
        use.find("../x y")


def test_without_swarm_nodes_say_how_to_get_one(tmp_path):
    use = Nodes(Settings(home=tmp_path), Store(), None, None, None)
    with pytest.raises(Conflict, match="PAAS_SCHEDULER=swarm"):
        use.list()


@pytest.mark.parametrize("env,message", [
    ({"PAAS_SCHEDULER": "k8s"}, "PAAS_SCHEDULER='k8s': use one of docker, swarm"),
    ({"PAAS_SCHEDULER": "swarm", "PAAS_SWARM_ADDR": "../../etc"}, "PAAS_SWARM_ADDR: '../../etc' is not an IP"),
    ({"PAAS_SCHEDULER": "swarm", "PAAS_REGISTRY_PORT": "70000"}, "PAAS_REGISTRY_PORT"),
])
def test_swarm_settings_are_checked_at_start(tmp_path, env, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(".", r"\.")):
        Settings.from_env({"PAAS_HOME": str(tmp_path), **env})
