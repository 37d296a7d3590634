"""Per-app deploy locks: one holder across threads and processes, gone with a killed holder."""
import signal
import subprocess
import sys
import threading

import pytest

from paas.adapters.app_locks import AppLocks

HOLDER = """
import sys, time
from paas.adapters.app_locks import AppLocks
lock = AppLocks(sys.argv[1])("hello")
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


@pytest.fixture
def other_process(tmp_path):
    """Another API process holding hello's lock until it is killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "locks")],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


def test_one_lock_object_per_app(tmp_path):
    locks = AppLocks(tmp_path / "locks")
    assert locks("hello") is locks("hello") and locks("hello") is not locks("other")


def test_a_second_thread_waits_for_the_first(tmp_path):
    lock = AppLocks(tmp_path / "locks")("hello")
    order = []
    lock.acquire()
    waiter = threading.Thread(target=lambda: (lock.acquire(), order.append("second"), lock.release()))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and lock.locked()
    order.append("first")
    lock.release()
    waiter.join(5)
    assert order == ["first", "second"] and not lock.locked()


def test_a_lock_held_by_another_process_is_not_taken(tmp_path, other_process):
    lock = AppLocks(tmp_path / "locks")("hello")
    assert lock.locked()
    assert lock.acquire(blocking=False) is False
    assert lock.acquire(timeout=0.2) is False
    assert not lock._thread.locked()  # a failed acquire leaves nothing held here
    with AppLocks(tmp_path / "locks")("other"):  # other apps are free
        pass


def test_a_killed_holder_leaves_no_lock_behind(tmp_path, other_process):
    lock = AppLocks(tmp_path / "locks")("hello")
    assert lock.acquire(blocking=False) is False
    other_process.send_signal(signal.SIGKILL)
    other_process.wait()
    assert lock.acquire(timeout=5) is True
    lock.release()


def test_a_waiting_process_gets_the_lock_when_the_holder_dies(tmp_path, other_process):
    lock = AppLocks(tmp_path / "locks")("hello")
    got = []
    waiter = threading.Thread(target=lambda: got.append(lock.acquire()))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and not got
    other_process.kill()
    waiter.join(5)
    assert got == [True]
    lock.release()


def test_releasing_an_unheld_lock_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="unheld"):
        AppLocks(tmp_path / "locks")("hello").release()


def test_a_lock_file_planted_as_a_link_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    locks = AppLocks(tmp_path / "locks")
    (tmp_path / "locks" / "hello.lock").symlink_to(target)
    with pytest.raises(OSError):
        locks("hello").acquire()
    assert target.read_text() == "keep" and not locks("hello")._thread.locked()


def test_the_lock_directory_is_private(tmp_path):
    AppLocks(tmp_path / "locks")
    assert (tmp_path / "locks").stat().st_mode & 0o777 == 0o700


def test_a_destroyed_apps_lock_file_goes_and_a_waiter_locks_the_new_one(tmp_path):
    mine, theirs = AppLocks(tmp_path / "locks"), AppLocks(tmp_path / "locks")  # two processes
    lock = mine("hello")
    lock.acquire()
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (theirs("hello").acquire(), got.set()))
    waiter.start()  # opens the old file and waits on it
    assert not got.wait(0.2)
    mine.discard("hello")
    assert not (tmp_path / "locks" / "hello.lock").exists()
    lock.release()
    assert got.wait(5)
    waiter.join()
    # The waiter holds a lock on the file that now exists, so a third caller really waits.
    assert (tmp_path / "locks" / "hello.lock").exists()
    assert not AppLocks(tmp_path / "locks")("hello").acquire(blocking=False)
    theirs("hello").release()
    with pytest.raises(RuntimeError):
        mine.discard("hello")
