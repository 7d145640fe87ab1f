"""A one-line text progress bar per stage, for scripts and terminals.

Like Spark's ConsoleProgressBar (and dask's ProgressBar), it is nothing but a listener on the
event bus: it counts the TaskStarted and TaskEnded events of each running stage and redraws

    [Stage 1 reduceByKey:=================>            (3 + 1) / 6]

at most ten times a second: ``3`` tasks done, ``1`` running, ``6`` in the stage. When a stage
completes, its line is finished with its outcome, so a terminal keeps one line per stage.

Drawn synchronously (it is cheap and throttled) so that its lines come before the action returns.
Switched on by ``spark.ui.showConsoleProgress`` (default: on when stderr is a terminal).
"""

import sys
import time

from . import events

WIDTH = 40


class ConsoleProgressBar:
    """Draws stage progress on ``stream`` from scheduler events."""

    def __init__(self, stream=None, min_interval: float = 0.1):
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.min_interval = min_interval
        self.stages: dict = {}          # stage id -> [label, total, done, running]
        self._last_draw = 0.0

    def __call__(self, event):
        if isinstance(event, events.StageSubmitted):
            label = event.name.split(" at ")[0]
            attempt = f" (retry {event.attempt})" if event.attempt else ""
            self.stages[event.stage_id] = [f"Stage {event.stage_id} {label}{attempt}",
                                           len(event.partitions), 0, 0]
            self._draw(event.stage_id, force=True)
        elif isinstance(event, events.TaskStarted) and event.stage_id in self.stages:
            self.stages[event.stage_id][3] += 1
            self._draw(event.stage_id)
        elif isinstance(event, events.TaskEnded) and event.stage_id in self.stages:
            stage = self.stages[event.stage_id]
            stage[3] -= 1
            stage[2] += event.status == "success"
            self._draw(event.stage_id)
        elif isinstance(event, events.StageCompleted) and event.stage_id in self.stages:
            outcome = "done" if event.failure is None else "failed: " + event.failure.splitlines()[0]
            self._finish(event.stage_id, outcome)
        elif isinstance(event, events.StageSkipped):
            self.stream.write(f"[Stage {event.stage_id}: skipped, its shuffle output exists]\n")
            self.stream.flush()

    def _bar(self, stage_id) -> str:
        label, total, done, running = self.stages[stage_id]
        filled = WIDTH * done // max(total, 1)
        arrow = ">" if filled < WIDTH else ""
        bar = ("=" * filled + arrow).ljust(WIDTH)
        return f"[{label}:{bar}({done} + {running}) / {total}]"

    def _draw(self, stage_id, force=False):
        now = time.monotonic()
        if not self.interactive or (not force and now - self._last_draw < self.min_interval):
            return
        self._last_draw = now
        self.stream.write("\r" + self._bar(stage_id))
        self.stream.flush()

    def _finish(self, stage_id, outcome):
        line = self._bar(stage_id) + " " + outcome
        self.stream.write(("\r" if self.interactive else "") + line + "\n")
        self.stream.flush()
        del self.stages[stage_id]
