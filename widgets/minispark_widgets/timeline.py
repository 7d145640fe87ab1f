"""The event timeline of a job, as in Spark's UI: which worker ran which task, and when.

One row per worker, one bar per task attempt from its start to its end, coloured by stage.
Reading it answers the questions a student asks after a run: did both workers stay busy? Which
stage took the time? Which attempt failed, and where did its retry run? Was a speculative copy
started, and did it win?

* a failed attempt (``failed``, ``fetch_failed``, ``worker_lost``) is cross-hatched with a
  thick vermillion outline; a ``killed`` attempt (a cancelled job, the losing speculative
  copy) is hatched with a grey outline; an attempt still ``running`` is drawn pale;
* a speculative attempt has a dashed black outline;
* a worker that lost a task with ``worker_lost`` is labelled "worker N (lost)".

The figure is a ``matplotlib.figure.Figure`` made without pyplot, so no global state is touched
and it works with any backend (Agg in tests, inline in Jupyter).

>>> figure = timeline_figure([dict(worker_id=0, stage_id=0, partition=0, attempt=0, start=0.0,
...                                end=0.5, status="success", speculative=False)])
>>> [label.get_text() for label in figure.axes[0].get_yticklabels()]
['worker 0']
"""

from matplotlib.figure import Figure
from matplotlib.patches import Patch

# Okabe-Ito colours (distinguishable with common colour-vision deficiencies), one per stage;
# vermillion is kept for failures.
STAGE_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#f0e442", "#999999")
FAILED = ("failed", "fetch_failed", "worker_lost")
STATUSES = ("success", "running", "killed") + FAILED


def timeline_figure(tasks: list, title: str = None) -> Figure:
    """A figure with one bar per task attempt, one row per worker.

    Parameters
    ----------
    tasks: dicts with ``worker_id``, ``stage_id``, ``partition``, ``attempt``, ``start`` and
        ``end`` (seconds since the job started; ``end`` may be None for a running attempt,
        drawn up to the latest time known), ``status`` (one of ``STATUSES``) and
        ``speculative``.
    title: the figure's title.
    """
    figure = Figure(figsize=(8, 2.2))
    axes = figure.add_subplot()
    if title:
        axes.set_title(title, loc="left", fontsize=11)
    if not tasks:
        axes.text(0.5, 0.5, "no tasks", ha="center", va="center", transform=axes.transAxes,
                  fontsize=12, color="#595959")
        axes.set_axis_off()
        return figure
    for task in tasks:
        if task.get("status") not in STATUSES:
            raise ValueError(f"task status {task.get('status')!r} is not one of "
                             f"{', '.join(STATUSES)}")
    latest = max(t for task in tasks for t in (task["start"], task["end"]) if t is not None)
    workers = sorted({task["worker_id"] for task in tasks})
    lost = {task["worker_id"] for task in tasks if task["status"] == "worker_lost"}
    row = {worker: i for i, worker in enumerate(workers)}
    stages = sorted({task["stage_id"] for task in tasks})
    colour = {stage: STAGE_COLOURS[i % len(STAGE_COLOURS)] for i, stage in enumerate(stages)}

    order = ("worker_id", "start", "stage_id", "partition", "attempt")
    for task in sorted(tasks, key=lambda t: tuple(t[k] for k in order)):
        end = task["end"] if task["end"] is not None else latest
        style = _bar_style(task)
        axes.barh(row[task["worker_id"]], max(end - task["start"], latest * 0.005),
                  left=task["start"], height=0.6, color=colour[task["stage_id"]], **style)
        if end - task["start"] > latest * 0.04:   # label bars wide enough to hold it
            text = f"p{task['partition']}" + (f" #{task['attempt']}" if task["attempt"] else "")
            axes.text(task["start"] + (end - task["start"]) / 2, row[task["worker_id"]], text,
                      ha="center", va="center", fontsize=7, color="black",
                      bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))

    axes.set_yticks(range(len(workers)),
                    [f"worker {w}" + (" (lost)" if w in lost else "") for w in workers])
    axes.set_ylim(len(workers) - 0.4, -0.6)   # worker 0 on top
    axes.set_xlim(0, latest * 1.02 or 1)
    axes.set_xlabel("seconds since the job started")
    axes.grid(axis="x", color="#e0e0e0", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    handles = [Patch(facecolor=colour[s], label=f"stage {s}") for s in stages]
    statuses = {task["status"] for task in tasks}
    if statuses & set(FAILED):
        handles.append(Patch(facecolor="white", edgecolor="#d55e00", hatch="xx", linewidth=2,
                             label="failed"))
    if "killed" in statuses:
        handles.append(Patch(facecolor="white", edgecolor="#595959", hatch="//", label="killed"))
    if "running" in statuses:
        handles.append(Patch(facecolor="#bbbbbb", alpha=0.45, label="running"))
    if any(task.get("speculative") for task in tasks):
        handles.append(Patch(facecolor="white", edgecolor="black", linestyle="--",
                             linewidth=1.5, label="speculative"))
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8,
                frameon=False)
    figure.set_size_inches(8, 1.3 + 0.45 * len(workers) + (0.3 if title else 0))
    figure.set_layout_engine("constrained")
    return figure


def _bar_style(task) -> dict:
    """Outline, hatch and transparency of one attempt's bar."""
    style = {"edgecolor": "white", "linewidth": 0.8}
    if task["status"] in FAILED:
        style.update(edgecolor="#d55e00", linewidth=2, hatch="xx")
    elif task["status"] == "killed":
        style.update(edgecolor="#595959", linewidth=1.2, hatch="//", alpha=0.6)
    elif task["status"] == "running":
        style.update(alpha=0.45)
    if task.get("speculative"):
        style.update(edgecolor="black", linewidth=1.5, linestyle="--")
    return style
