"""Crash-loop backoff: how long a process that keeps exiting waits before its next try.

Pure: convergence (paas/services/converge.py) and `ps` feed it what Docker says about a slot's
containers. 1 s after the first crash, doubling to 5 min, so a crash-looping process never runs
hot and cannot starve its neighbours; a process that ran RESET_AFTER seconds before it exited
counts as a fresh start (its next crash waits 1 s again).
"""
from __future__ import annotations

from dataclasses import dataclass

FIRST_DELAY = 1.0
MAX_DELAY = 300.0
RESET_AFTER = 600.0  # seconds of running after which earlier crashes are forgiven


def delay(crashes: int) -> float:
    """Seconds to wait before restarting a process that has crashed `crashes` times in a row."""
    if crashes <= 0:
        return 0.0
    return min(MAX_DELAY, FIRST_DELAY * 2 ** min(crashes - 1, 30))


@dataclass(frozen=True)
class Run:
    """One container of a slot: when its last run started and exited (epoch seconds), its
    exit status, and how many crashes it stands for (1 + Docker's restarts of it)."""
    started: float
    finished: float
    exit_code: int
    crashes: int = 1


@dataclass(frozen=True)
class CrashLoop:
    crashes: int  # crashes in a row
    last_exit: int
    next_try: float  # epoch seconds


def crash_loop(runs: list[Run]) -> CrashLoop | None:
    """The slot's crash loop from its finished runs (any order), or None when its last run
    lasted RESET_AFTER seconds or more (or there is none): then it restarts at once."""
    crashes = 0
    for run in sorted(runs, key=lambda r: r.finished, reverse=True):
        if run.finished - run.started >= RESET_AFTER:
            break
        crashes += max(1, run.crashes)
    if not crashes:
        return None
    last = max(runs, key=lambda r: r.finished)
    return CrashLoop(crashes, last.exit_code, last.finished + delay(crashes))


def due(loop: CrashLoop | None, now: float) -> bool:
    """Whether the slot may be started again now."""
    return loop is None or now >= loop.next_try
