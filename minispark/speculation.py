"""Speculative execution: run a copy of a straggling task on another worker.

One slow worker (a busy laptop core, an injected ``slow_worker``) can hold a whole stage back:
the stage waits for its last task. With ``spark.speculation`` on, once ``quantile`` of a
stage's tasks have finished (0.75), any task still running longer than ``multiplier`` times
the median duration of the finished ones (1.5x) gets a *speculative copy* on another worker.
Whichever attempt finishes first wins; the result of the other is ignored when it arrives.

>>> finished = [1.0, 1.1, 0.9]
>>> running = {7: 5.0, 8: 1.2}                 # task id -> seconds running so far
>>> stragglers(running, finished, num_tasks=4, multiplier=1.5, quantile=0.75)
[7]
"""

from statistics import median


def stragglers(running: dict, finished_durations: list, num_tasks: int, multiplier: float,
               quantile: float, minimum: float = 0.1) -> list:
    """Task ids among ``running`` (id -> seconds so far) that deserve a speculative copy."""
    if not finished_durations or len(finished_durations) < quantile * num_tasks:
        return []
    threshold = max(multiplier * median(finished_durations), minimum)
    return sorted(task_id for task_id, elapsed in running.items() if elapsed > threshold)
