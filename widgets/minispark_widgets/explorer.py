"""The DAG explorer: an ipywidgets view of one job, redrawn from its ExplorerModel.

Layout (top to bottom): a status line with a Cancel button; the lineage DAG with its stage
boxes (an SVG laid out once per plan, then only restyled); one task strip per stage (a cell
per partition, coloured by state, with the worker and attempt on hover); the workers panel,
with buttons that really kill, slow or fail a worker; what happened, in plain words; an RDD
picker showing where each partition is cached and how often it was computed; and, once the
job is over, its timeline.

The view never decides anything: ``refresh()`` copies the model into widget values, at most
ten times a second, and only when the model changed. Buttons call ``sc.faults`` and
``sc.cancelAllJobs()``; what follows shows up because the engine posts events about it.

``_repr_mimebundle_`` adds a static HTML snapshot (the DAG, the task strips, the messages)
beside the widget, so a notebook opened without a kernel (nbconvert, GitHub) still shows the
final state of the job.
"""

import html
import time

import ipywidgets as widgets
from minispark.metrics import format_bytes

from .layout import layout_plan, rdd_label
from .render import render_svg
from .workers import WorkersPanel

TASK_COLOURS = {"pending": "#e8e8e8", "running": "#4c9be8", "done": "#3aa364",
                "failed": "#d9534f", "lost": "#8e44ad"}
REFRESH_INTERVAL = 0.1


class DAGExplorer(widgets.VBox):
    """A live picture of one job: stages, tasks, workers and what happened."""

    def __init__(self, sc, model, job_id: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.sc, self.model, self.job_id = sc, model, job_id
        self._drawn_version = -1
        self._last_refresh = 0.0
        self._layout = None
        self.status = widgets.HTML()
        self.cancel_button = widgets.Button(description="Cancel job", icon="stop",
                                            button_style="warning", tooltip="Cancel this job")
        self.cancel_button.on_click(lambda _: sc.cancelAllJobs())
        # The DAG keeps its natural width (up to the cell's) and scrolls inside it; the side
        # panel wraps below a wide DAG instead of squeezing it.
        self.dag = widgets.HTML(layout=widgets.Layout(overflow="auto", max_height="900px",
                                                      max_width="100%", flex="0 1 auto"))
        self.task_strips = widgets.HTML()
        self.workers = WorkersPanel(sc, model)
        self.messages = widgets.HTML()
        self.rdd_picker = widgets.Dropdown(description="RDD", options=[("(choose an RDD)", None)])
        self.rdd_picker.observe(lambda _: self._show_partitions(), names="value")
        self.rdd_detail = widgets.HTML()
        # An Image widget, not an Output: its picture travels as widget state, never as a cell
        # output that kernels without a front end (nbval) would mistake for the cell's own.
        self.timeline = widgets.Image(format="png", layout=widgets.Layout(max_width="820px"))
        self.add_class("minispark-explorer")
        self.children = [
            widgets.HBox([self.status, self.cancel_button]),
            widgets.HBox([self.dag, widgets.VBox([self.workers, self.messages],
                                                 layout=widgets.Layout(min_width="320px"))],
                         layout=widgets.Layout(flex_flow="row wrap")),
            self.task_strips,
            widgets.HBox([self.rdd_picker, self.rdd_detail]),
            self.timeline,
        ]
        self.refresh(force=True)

    def bind(self, job_id: int) -> None:
        """Show job ``job_id`` (an explorer can be built before its job starts, off its clock)."""
        self.job_id, self._layout, self._drawn_version = job_id, None, -1
        self.refresh(force=True)

    # ---- drawing ----------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Copy the model into the widgets, if it changed and not more than 10 times a second."""
        now = time.monotonic()
        if not force and (self.model.version == self._drawn_version
                          or now - self._last_refresh < REFRESH_INTERVAL):
            return
        with self.model.lock:
            self._drawn_version, self._last_refresh = self.model.version, now
            job = self.model.jobs.get(self.job_id)
            if job is None:
                self.status.value = "<b>Waiting for a job…</b>"
                return
            if self._layout is None:
                self._layout = layout_plan(job.plan)
                self._set_rdd_options(job.plan["rdds"])
            self.status.value = self._status_html(job)
            self.cancel_button.disabled = job.status != "running" or self.sc is None
            # Only a running job can be cancelled: afterwards the button would only look active.
            self.cancel_button.layout.display = None if not self.cancel_button.disabled else "none"
            svg = self._dag_svg(job)
            if svg != self.dag.value:   # stage states change rarely: skip resending the same SVG
                self.dag.value = svg
            self.task_strips.value = self._task_strips_html(job)
            self.messages.value = _messages_html(list(self.model.messages)[-8:])
            self.workers.refresh()
            self._show_partitions()

    def job_finished(self) -> None:
        """Final redraw and the timeline (called on the thread that ran the job)."""
        from .timeline import timeline_figure

        self.refresh(force=True)
        with self.model.lock:
            attempts = [dict(a) for a in self.model.attempts]
            job = self.model.jobs.get(self.job_id)
        if not attempts or job is None:
            return
        start = job.start
        for attempt in attempts:
            attempt["start"] -= start
            attempt["end"] = (attempt["end"] if attempt["end"] is not None else job.end) - start
        figure = timeline_figure(attempts, title=f"Job {self.job_id}: tasks per worker")
        self.timeline.value = figure_as_image(figure).data

    def _status_html(self, job) -> str:
        stages = [self.model.stages[s["stage_id"]] for s in job.plan["stages"]
                  if s["stage_id"] in self.model.stages]
        done = sum(1 for s in stages if s.state in ("done", "skipped"))
        if job.job_id < 0:   # %minispark dag: a plan that was never run
            return f"<b>Plan</b> · {html.escape(job.description)} · {len(stages)} stages"
        colour = {"running": "#4c9be8", "succeeded": "#3aa364", "failed": "#d9534f"}[job.status]
        return (f"<b>Job {job.job_id}</b> · {html.escape(job.description)} · "
                f"<span style='color:{colour}'><b>{job.status}</b></span> · "
                f"{done}/{len(stages)} stages")

    def _dag_svg(self, job) -> str:
        stage_ids = {s["stage_id"] for s in job.plan["stages"]}
        states = {sid: st for sid, st in self.model.stage_states().items() if sid in stage_ids}
        cached = self.model.cached_rdds()
        marks = {r["rdd_id"]: ({"cached"} if r["rdd_id"] in cached else set())
                 for r in job.plan["rdds"]}
        running = {s for s, stage in self.model.stages.items() if stage.state in ("running", "resubmitted")}
        for rdd in job.plan["rdds"]:
            if rdd["stage_id"] in running:
                marks[rdd["rdd_id"]].add("computing")
        return render_svg(self._layout, states, marks)

    def _task_strips_html(self, job) -> str:
        rows = []
        for stage_info in job.plan["stages"]:
            stage = self.model.stages.get(stage_info["stage_id"])
            if stage is None:
                continue
            cells = "".join(_task_cell(stage.stage_id, p, cell) for p, cell in sorted(stage.tasks.items()))
            attempt = f" · attempt {stage.attempts - 1}" if stage.attempts > 1 else ""
            rows.append(
                f"<div class='ms-strip' data-stage-id='{stage.stage_id}' style='margin:2px 0'>"
                f"<span style='display:inline-block;width:220px;font-size:12px'>Stage "
                f"{stage.stage_id} · {stage.state}{attempt}</span>{cells}"
                f"{_shuffle_html(self.model.stage_metrics.stages.get(stage.stage_id))}</div>")
        return "".join(rows)

    def _set_rdd_options(self, rdds) -> None:
        chosen = self.rdd_picker.value
        self.rdd_picker.options = [("(choose an RDD)", None)] + [
            (f"[{r['rdd_id']}] {rdd_label(r)}", r["rdd_id"]) for r in rdds]
        # ipywidgets shows a blank picker (index None) when the old choice is not an option any
        # more: fall back to the prompt.
        if chosen not in [r["rdd_id"] for r in rdds]:
            self.rdd_picker.index = 0

    def _show_partitions(self) -> None:
        rdd_id = self.rdd_picker.value
        if rdd_id is None:
            self.rdd_detail.value = ""
            return
        with self.model.lock:
            parts = self.model.partitions.get(rdd_id, {})
            rows = "".join(
                f"<tr><td>{p}</td><td>{view.records if view.records is not None else '–'}</td>"
                f"<td>{view.computed}</td>"
                f"<td>{'worker %d' % view.cached_on if view.cached_on is not None else '–'}</td></tr>"
                for p, view in sorted(parts.items()))
        self.rdd_detail.value = (
            "<table class='ms-partitions'><tr><th>partition</th><th>records</th>"
            "<th>times computed</th><th>cached on</th></tr>"
            f"{rows or '<tr><td colspan=4>not computed yet</td></tr>'}</table>"
            "<small>Records are counted when a partition is cached.</small>")

    # ---- what a notebook stores ---------------------------------------------------------------
    def snapshot_html(self) -> str:
        """The current state as plain HTML (for viewers without a live kernel)."""
        with self.model.lock:
            job = self.model.jobs.get(self.job_id)
            if job is None or self._layout is None:
                return "<p>MiniSpark explorer: no job yet.</p>"
            return (f"<div class='minispark-snapshot'><p>{self._status_html(job)}</p>"
                    f"{self._dag_svg(job)}{self._task_strips_html(job)}"
                    f"{_messages_html(list(self.model.messages)[-8:])}</div>")

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.snapshot_html()
        return bundle

    def __repr__(self):
        job = self.model.jobs.get(self.job_id)
        if job is None:
            return "DAGExplorer(waiting for a job)"
        stages = len(job.plan["stages"])
        stages_text = f"{stages} stage{'s' * (stages != 1)}"
        if job.job_id < 0:   # %minispark dag: a plan that was never run
            return f"DAGExplorer(plan: {stages_text}, not run)"
        return f"DAGExplorer(job {job.job_id}: {stages_text}, {job.status})"


def figure_as_image(figure):
    """A matplotlib figure as a PNG display object (shown whatever the matplotlib backend)."""
    import io

    from IPython.display import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    return Image(data=buffer.getvalue(), format="png")


def _task_cell(stage_id, partition, cell) -> str:
    worker = f"worker {cell.worker_id}" if cell.worker_id is not None else "not started"
    title = f"stage {stage_id} · partition {partition} · {cell.state} · {worker} · attempt {cell.attempt}"
    if cell.speculative:
        title += " · speculative copy"
    if cell.error:
        title += " · " + cell.error.splitlines()[0]
    border = "2px solid #222" if cell.attempt else "1px solid #fff"
    label = str(cell.worker_id) if cell.worker_id is not None else ""
    return (f"<span class='ms-task ms-task-{cell.state}' data-partition='{partition}' "
            f"title='{html.escape(title, quote=True)}' style='display:inline-block;width:18px;"
            f"height:18px;margin:1px;background:{TASK_COLOURS[cell.state]};border:{border};"
            f"font-size:10px;text-align:center;color:#fff'>{label}</span>")


def _shuffle_html(stage) -> str:
    """What the stage's tasks moved through shuffles so far, as the Spark UI's stage table says
    (``stage``: its ``StageTotals``, None before it ran)."""
    parts = []
    if stage is None:
        return ""
    if stage.shuffle_bytes_read:
        parts.append(f"shuffle read {format_bytes(stage.shuffle_bytes_read)}")
    if stage.shuffle_records_written:
        parts.append(f"shuffle write {stage.shuffle_records_written:,} records, "
                     f"{format_bytes(stage.shuffle_bytes_written)}")
    if not parts:
        return ""
    return (f"<span class='ms-shuffle-metrics' style='font-size:12px;margin-left:8px;"
            f"color:#555'>{' · '.join(parts)}</span>")


def _messages_html(messages) -> str:
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    return f"<ul class='ms-messages' style='font-size:12px;margin:4px 0'>{items}</ul>"
