from paas.render.plan import Plan, Running, plan

PROCS = {"web": "gunicorn app:app", "worker": "python w.py"}


def r(id_, process, index, release):
    return Running(id_, process, index, release)


def test_new_release_starts_everything_and_retires_the_old():
    running = [r("a", "web", 1, 1), r("b", "worker", 1, 1)]
    assert plan(2, PROCS, {"web": 1, "worker": 1}, running) == Plan(
        keep=(), start=(("web", 1), ("worker", 1)), retire=("a", "b"))


def test_scale_up_keeps_what_runs_and_starts_the_rest():
    running = [r("a", "web", 1, 3)]
    assert plan(3, PROCS, {"web": 3}, running) == Plan(
        keep=(r("a", "web", 1, 3),), start=(("web", 2), ("web", 3)), retire=())


def test_scale_down_retires_the_highest_indexes():
    running = [r("a", "web", 1, 3), r("b", "web", 2, 3), r("c", "web", 3, 3)]
    assert plan(3, PROCS, {"web": 1}, running) == Plan(keep=(r("a", "web", 1, 3),), start=(),
                                                      retire=("b", "c"))


def test_restart_of_one_type_replaces_only_that_type():
    running = [r("a", "web", 1, 3), r("b", "worker", 1, 3)]
    assert plan(3, PROCS, {"web": 1, "worker": 1}, running, restart={"worker"}) == Plan(
        keep=(r("a", "web", 1, 3),), start=(("worker", 1),), retire=("b",))


def test_restart_all():
    running = [r("a", "web", 1, 3), r("b", "worker", 1, 3)]
    p = plan(3, PROCS, {"web": 1, "worker": 1}, running, restart=None)
    assert p.keep == () and p.start == (("web", 1), ("worker", 1)) and p.retire == ("a", "b")


def test_converged_state_plans_no_change():
    running = [r("a", "web", 1, 3), r("b", "worker", 1, 3)]
    assert not plan(3, PROCS, {"web": 1, "worker": 1}, running).changes


def test_a_missing_container_is_started_again():
    assert plan(3, PROCS, {"web": 2}, [r("a", "web", 1, 3)]).start == (("web", 2),)


def test_types_not_in_the_release_are_not_started_and_duplicates_are_retired():
    running = [r("a", "web", 1, 3), r("b", "web", 1, 3), r("c", "clock", 1, 3)]
    p = plan(3, {"web": "x"}, {"web": 1, "clock": 1}, running)
    assert p == Plan(keep=(r("a", "web", 1, 3),), start=(), retire=("b", "c"))


def test_restart_of_one_slot_replaces_only_that_container():
    running = [r("a", "web", 1, 3), r("b", "web", 2, 3)]
    assert plan(3, PROCS, {"web": 2}, running, restart={("web", 2)}) == Plan(
        keep=(r("a", "web", 1, 3),), start=(("web", 2),), retire=("b",))
