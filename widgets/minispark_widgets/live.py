"""Attaching live pictures to the jobs a cell runs (``%%minispark``).

While a ``LiveCell`` is active, every job the context starts gets its own DAG explorer,
displayed under the running cell the moment the job starts. Three things make it live:

1. a *synchronous* listener feeds each event to the job's model as it is posted (cheap: it
   only updates counters), and displays an explorer on ``JobStarted``, on the cell's thread,
   so the output lands under this cell even when the next cells are already queued. The
   explorer's widgets are built *before* the job (one spare is kept ready), so a job never
   waits for widgets to be created;
2. the context's *wait callback* runs about every 50 ms while the job waits for tasks: it lets
   the kernel handle widget messages (a click on Kill or Cancel) through ``jupyter_ui_poll``,
   and redraws each explorer, at most ten times a second;
3. on ``JobEnded`` the explorer draws its final state and timeline, and the display is updated
   so the notebook file stores that final state, also as static HTML.

Outside a Jupyter kernel (a terminal IPython), the same cell gets the text progress bar instead.
"""

import contextlib
import warnings

from IPython.display import display

from minispark.progress import ConsoleProgressBar

from .explorer import DAGExplorer
from .model import ExplorerModel


def in_kernel(shell) -> bool:
    return shell is not None and getattr(shell, "kernel", None) is not None


class LiveCell:
    """A context manager: explorers for every job started inside it."""

    def __init__(self, sc, shell):
        self.sc, self.shell = sc, shell
        self.explorers: dict = {}      # job id -> (model, explorer, display handle)
        self._spare = None             # (model, explorer) built ahead for the next job
        self._stack = contextlib.ExitStack()
        self._poll = None

    def __enter__(self):
        if not in_kernel(self.shell):
            bar = ConsoleProgressBar()
            self.sc.addSparkListener(bar, synchronous=True)
            self._stack.callback(self.sc.removeSparkListener, bar)
            return self
        self._make_spare()
        self.sc.addSparkListener(self._on_event, synchronous=True)
        self._stack.callback(self.sc.removeSparkListener, self._on_event)
        self.sc.setWaitCallback(self._while_waiting)
        self._stack.callback(self.sc.setWaitCallback, None)
        if not hasattr(self.shell.kernel, "do_one_iteration"):
            warnings.warn("This kernel (ipykernel 7 or later) cannot handle widget clicks while "
                          "a cell runs: the pictures stay live, but Kill and Cancel act only "
                          "when the cell ends. Install ipykernel<7 for clicks during jobs.",
                          RuntimeWarning, stacklevel=3)
            return self
        try:
            from jupyter_ui_poll import ui_events

            self._poll = self._stack.enter_context(ui_events())
        except Exception:   # an unusual kernel: pictures still update, clicks wait for the cell
            self._poll = None
        return self

    def __exit__(self, *exc):
        for _, explorer, handle in self.explorers.values():
            explorer.refresh(force=True)
        self._stack.close()
        return False

    def _on_event(self, event):
        name = type(event).__name__
        if name == "JobStarted":
            model, explorer = self._spare or self._make_spare()
            self._spare = None
            model.job_id = event.job_id
            self._seed_workers(model)
            model(event)
            explorer.bind(event.job_id)
            handle = display(explorer, display_id=True)
            self.explorers[event.job_id] = (model, explorer, handle)
            return
        for model, explorer, handle in list(self.explorers.values()):
            model(event)
            if name == "JobEnded" and event.job_id == explorer.job_id:
                explorer.job_finished()
                if handle is not None:
                    handle.update(explorer)   # the stored output keeps the final state
                if self._spare is None:
                    self._make_spare()        # between jobs, off any job's clock

    def _make_spare(self):
        model = ExplorerModel()
        self._spare = (model, DAGExplorer(self.sc, model))
        return self._spare

    def _seed_workers(self, model):
        """A new job's model starts with the workers the context already has."""
        from minispark import events

        for worker_id, handle in sorted(self.sc._pool.workers.items()):
            model(events.WorkerAdded(worker_id, handle.pid, 0.0))
        for worker_id, reason in sorted(self.sc._pool.lost.items()):
            model(events.WorkerLost(worker_id, 0.0, reason))
        model.messages.clear()

    def _while_waiting(self):
        if self._poll is not None:
            self._poll(10)        # handle pending widget clicks (Kill, Cancel ...)
        for _, explorer, _ in self.explorers.values():
            explorer.refresh()
