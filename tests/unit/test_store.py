import threading
from dataclasses import replace

import pytest

from paas.adapters.sqlite_store import SqliteStore
from paas.errors import Conflict


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "paas.db")
    s.add_app("hello")
    return s


def test_app_names_are_unique(store):
    with pytest.raises(Conflict, match="already exists"):
        store.add_app("hello")


def test_new_app_has_one_web_in_its_formation(store):
    assert store.get_formation("hello") == {"web": 1}


def test_releases_are_numbered_per_app_and_keep_their_record(store):
    store.add_app("other")
    r1 = store.create_release("hello", image="paas/hello:1", processes={"web": "gunicorn app:app"},
                              commit="a" * 40, description="Deploy aaaaaaa", created_by="admin")
    r2 = store.create_release("hello", image="paas/hello:2", processes={}, commit="b" * 40,
                              description="Deploy bbbbbbb", created_by="admin", build_id=7)
    o1 = store.create_release("other", image="paas/other:1", processes={}, commit="c" * 40,
                              description="d", created_by="admin")
    assert (r1.version, r2.version, o1.version) == (1, 2, 1)
    assert r1.name == "v1" and r1.status == "pending"
    listed = store.list_releases("hello")
    assert [r.version for r in listed] == [2, 1]
    assert listed[1].processes == {"web": "gunicorn app:app"}
    assert listed[1].commit == "a" * 40 and listed[0].build_id == 7 and listed[1].config == {}


def test_current_release_is_newest_succeeded_never_a_failed_one(store):
    for n in range(3):
        store.create_release("hello", image=f"i:{n}", processes={}, commit="0" * 40,
                             description="d", created_by="admin")
    assert store.current_release("hello") is None
    store.set_release_status("hello", 1, "succeeded")
    store.set_release_status("hello", 2, "succeeded")
    store.set_release_status("hello", 3, "failed")
    assert store.current_release("hello").version == 2


def test_concurrent_releases_get_distinct_numbers(store):
    def make():
        for _ in range(10):
            store.create_release("hello", image="i", processes={}, commit="0" * 40,
                                 description="d", created_by="admin")
    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.version for r in store.list_releases("hello")) == list(range(1, 41))


def test_builds_record_output_and_outcome(store):
    build_id = store.start_build("hello", "f" * 40)
    assert store.get_build(build_id).status == "pending"
    store.finish_build(build_id, status="succeeded", output="-----> done", image="paas/hello:x",
                       buildpack="python")
    build = store.get_build(build_id)
    assert (build.status, build.output, build.image, build.buildpack) == (
        "succeeded", "-----> done", "paas/hello:x", "python")
    assert build.finished_at >= build.started_at
    second = store.start_build("hello", "1" * 40)
    assert [b.id for b in store.list_builds("hello")] == [second, build_id]
    assert store.list_builds("hello", limit=1) == [store.get_build(second)]
    assert store.list_builds("hello")[1] == replace(build, output="")  # listings leave logs out


def test_deleting_an_app_removes_its_records(store):
    store.create_release("hello", image="i", processes={}, commit="0" * 40, description="d",
                         created_by="admin")
    store.start_build("hello", "0" * 40)
    store.delete_app("hello")
    assert store.get_app("hello") is None
    assert store.list_releases("hello") == [] and store.list_builds("hello") == []
    assert store.get_formation("hello") == {}


def test_interrupted_work_is_marked_failed(store):
    build_id = store.start_build("hello", "0" * 40)
    store.create_release("hello", image="i", processes={}, commit="0" * 40, description="d",
                         created_by="admin")
    assert store.fail_interrupted() == 2
    assert store.get_build(build_id).status == "failed"
    assert store.list_releases("hello")[0].status == "failed"
