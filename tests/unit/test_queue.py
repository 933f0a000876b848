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
