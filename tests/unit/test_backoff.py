"""The crash-loop backoff decision (paas/domain/backoff.py)."""
import pytest

from paas.domain.backoff import CrashLoop, Run, crash_loop, delay, due


@pytest.mark.parametrize("crashes, seconds", [
    (0, 0), (1, 1), (2, 2), (3, 4), (9, 256), (10, 300), (11, 300), (10**6, 300)])
def test_delay_doubles_from_one_second_to_five_minutes(crashes, seconds):
    assert delay(crashes) == seconds


def test_crashes_in_a_row_set_the_next_try():
    runs = [Run(100, 101, 1), Run(102, 102.5, 3), Run(104, 104.2, 1)]
    assert crash_loop(runs) == CrashLoop(crashes=3, last_exit=1, next_try=104.2 + 4)
    assert not due(crash_loop(runs), 108.1) and due(crash_loop(runs), 108.2)


def test_a_long_run_forgives_the_earlier_crashes():
    runs = [Run(0, 1, 1), Run(2, 3, 1), Run(4, 4 + 600, 0), Run(700, 701, 137)]
    assert crash_loop(runs) == CrashLoop(crashes=1, last_exit=137, next_try=702)
    assert crash_loop([Run(0, 600, 0)]) is None and crash_loop([]) is None
    assert due(None, 0)


def test_docker_restarts_of_one_container_count_as_crashes():
    assert crash_loop([Run(10, 11, 1, crashes=4)]) == CrashLoop(4, 1, 11 + 8)
