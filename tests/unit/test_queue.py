"""The queue's periodic schedule and the housekeeping it took over from the web processes."""

from datetime import datetime

from contest import queue


def test_every_is_due_on_the_seconds_of_the_day_it_divides():
    due = queue.every(15)
    assert [s for s in range(60) if due(datetime(2026, 11, 27, 10, 3, s))] == [0, 15, 30, 45]
    assert queue.every(60)(datetime(2026, 11, 27, 10, 4, 0))
    assert not queue.every(60)(datetime(2026, 11, 27, 10, 4, 1))
    assert not queue.every(0)(datetime(2026, 11, 27, 0, 0, 0))  # 0 turns a task off


def test_the_workers_run_the_housekeeping_and_the_web_app_runs_none():
    names = {task.name for task in queue.huey._registry.periodic_tasks}
    assert {"contest.sweep", "contest.purge", "contest.audit_seal", "contest.recover_jobs"} <= names
    import contest.web.app as web

    assert not hasattr(web, "_housekeeping_forever")


def test_housekeeping_runs_where_the_storage_has_no_expiring_locks(tmp_path, monkeypatch):
    """The SQLite queue of make run cannot expire a lock: the task runs without one."""
    huey = queue.make_huey(f"sqlite:///{tmp_path / 'queue.db'}", "test")
    monkeypatch.setattr(queue, "huey", huey)
    monkeypatch.setattr("contest.db.session_scope", _no_session)
    ran = []
    queue._housekeeping("sweep", ran.append, exclusive=True)
    assert ran == [None]


def test_an_exclusive_task_held_elsewhere_is_skipped(monkeypatch):
    huey = queue.make_huey("memory://", "test")
    monkeypatch.setattr(queue, "huey", huey)
    monkeypatch.setattr("contest.db.session_scope", _no_session)
    ran = []
    with huey.lock_task("contest-sweep"):
        queue._housekeeping("sweep", ran.append, exclusive=True)
    assert ran == []
    queue._housekeeping("sweep", ran.append, exclusive=True)
    assert ran == [None]


class _no_session:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
