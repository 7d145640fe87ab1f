"""The workers panel: one row per worker, with buttons that break it for real.

Each row shows a worker's number, its state (idle, busy with which task, lost and why) and
three buttons: **Kill** (SIGKILL, ``sc.faults.kill_worker``), **Slow** (each task on it takes
two seconds longer, ``sc.faults.slow_worker``) and **Fail next** (its next task attempt raises,
``sc.faults.fail_task``). A lost worker keeps its row, greyed out, so the student sees the old
number gone and the new one arrive.
"""

import html

import ipywidgets as widgets

SLOW_SECONDS = 2.0


class WorkersPanel(widgets.VBox):
    def __init__(self, sc, model, **kwargs):
        super().__init__(**kwargs)
        self.sc, self.model = sc, model
        self.rows: dict = {}       # worker id -> (label, kill, slow, fail)
        self.error = widgets.HTML()
        self.add_class("ms-workers")
        self.refresh()

    def refresh(self) -> None:
        with self.model.lock:
            workers = dict(self.model.workers)
        if set(workers) != set(self.rows):
            self.rows = {wid: self.rows.get(wid) or self._row(wid) for wid in sorted(workers)}
            self.children = [widgets.HTML("<b>Workers</b>")] + [
                widgets.HBox(list(row), layout=widgets.Layout(align_items="center"))
                for row in self.rows.values()] + [self.error]
        for worker_id, view in workers.items():
            label, kill, slow, fail = self.rows[worker_id]
            label.value = _describe(view)
            for button in (kill, slow, fail):
                button.disabled = view.state == "lost" or self.sc is None or self.sc._stopped

    def _row(self, worker_id):
        label = widgets.HTML(layout=widgets.Layout(width="190px"))
        kill = widgets.Button(description="Kill", button_style="danger", tooltip=f"SIGKILL worker {worker_id}",
                              layout=widgets.Layout(width="54px"))
        slow = widgets.Button(description="Slow", tooltip=f"+{SLOW_SECONDS:g} s per task on worker {worker_id}",
                              layout=widgets.Layout(width="54px"))
        fail = widgets.Button(description="Fail next", tooltip=f"the next task on worker {worker_id} raises",
                              layout=widgets.Layout(width="80px"))
        for button in (kill, slow, fail):
            button.add_class(f"ms-worker-{worker_id}")
        kill.on_click(lambda _: self._act(self.sc.faults.kill_worker, worker_id))
        slow.on_click(lambda _: self._act(self.sc.faults.slow_worker, worker_id, SLOW_SECONDS))
        fail.on_click(lambda _: self._act(self.sc.faults.fail_task, worker_id=worker_id))
        return label, kill, slow, fail

    def _act(self, action, *args, **kwargs):
        try:
            action(*args, **kwargs)
            self.error.value = ""
        except ValueError as error:   # e.g. the worker died a moment ago
            self.error.value = f"<span style='color:#d9534f'>{html.escape(str(error))}</span>"


def _describe(view) -> str:
    name = f"<b>worker {view.worker_id}</b>"
    if view.state == "lost":
        return f"<span style='color:#999'>{name} · lost</span>"
    slow = f" · slowed +{view.slow:g} s" if view.slow else ""
    if view.state == "busy" and view.running:
        stage, partition = view.running
        return f"{name} · <span style='color:#4c9be8'>task {partition} of stage {stage}</span>{slow}"
    return f"{name} · idle{slow}"
