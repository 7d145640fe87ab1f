"""The task timeline (timeline.py): one bar per attempt, one row per worker, from real events.

A real job runs on the shared context and its ``TaskStarted``/``TaskEnded`` events become the
task dicts the Jupyter layer passes in. Assertions count bars (``Rectangle`` patches in the
axes) and read labels and legends; never timings.
"""

import io
import subprocess
import sys
from operator import add

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from minispark import events
from minispark_widgets.timeline import timeline_figure


def tasks_of_last_job(recorder) -> list:
    """The attempts of the last job, with times in seconds since the job started."""
    job = recorder.of(events.JobStarted)[-1]
    started = {e.task_id: e for e in recorder.of(events.TaskStarted, job_id=job.job_id)}
    return [dict(worker_id=end.worker_id, stage_id=end.stage_id, partition=end.partition,
                 attempt=end.attempt, start=started[end.task_id].time - job.time,
                 end=end.time - job.time, status=end.status,
                 speculative=started[end.task_id].speculative)
            for end in recorder.of(events.TaskEnded, job_id=job.job_id)]


def bars(figure) -> list:
    return [p for p in figure.axes[0].patches if isinstance(p, Rectangle)]


def legend_texts(figure) -> list:
    return [t.get_text() for t in figure.axes[0].get_legend().get_texts()]


def task(worker_id=0, stage_id=0, partition=0, attempt=0, start=0.0, end=1.0, status="success",
         speculative=False) -> dict:
    return dict(worker_id=worker_id, stage_id=stage_id, partition=partition, attempt=attempt,
                start=start, end=end, status=status, speculative=speculative)


def test_a_word_count_has_one_bar_per_task_in_rows_per_worker(sc, recorder):
    words = sc.parallelize(["a b c", "b c", "c"] * 10, 4).flatMap(str.split)
    assert sorted(words.map(lambda w: (w, 1)).reduceByKey(add, 3).collect()) == \
        [("a", 10), ("b", 20), ("c", 30)]
    tasks = tasks_of_last_job(recorder)
    assert len(tasks) == 4 + 3
    figure = timeline_figure(tasks, title="Job: word count")
    assert isinstance(figure, Figure)
    assert len(bars(figure)) == 7
    axes = figure.axes[0]
    workers = sorted({t["worker_id"] for t in tasks})
    labels = [label.get_text() for label in axes.get_yticklabels()]
    assert labels == [f"worker {w}" for w in workers]
    stages = sorted({t["stage_id"] for t in tasks})
    assert len(stages) == 2 and legend_texts(figure) == [f"stage {s}" for s in stages]
    assert axes.get_xlabel() == "seconds since the job started"
    assert axes.get_title(loc="left") == "Job: word count"
    # bars are coloured by stage: one colour per stage
    colours = {tuple(bar.get_facecolor()) for bar in bars(figure)}
    assert len(colours) == 2
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")                  # draws without pyplot
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_a_failed_attempt_is_hatched_and_outlined_and_its_retry_has_its_own_bar(sc, recorder):
    sc.faults.fail_task(partition=1, times=1)
    try:
        assert sc.parallelize(range(8), 2).map(lambda x: x * 2).sum() == 56
    finally:
        sc.faults.clear()
    tasks = tasks_of_last_job(recorder)
    assert sorted(t["status"] for t in tasks) == ["failed", "success", "success"]
    figure = timeline_figure(tasks)
    assert len(bars(figure)) == 3
    failed = [b for b in bars(figure) if b.get_hatch()]
    assert len(failed) == 1 and failed[0].get_hatch() == "xx"
    assert failed[0].get_edgecolor()[:3] == pytest.approx((0xd5 / 255, 0x5e / 255, 0))
    assert "failed" in legend_texts(figure)


def test_killed_speculative_running_attempts_and_lost_workers_are_marked():
    tasks = [task(0, 0, 0, start=0.0, end=2.0),
             task(1, 0, 1, start=0.0, end=0.8, status="worker_lost"),
             task(2, 0, 1, attempt=1, start=0.9, end=1.5),
             task(0, 0, 2, start=2.0, end=4.0, status="killed"),
             task(2, 0, 2, start=2.5, end=3.2, speculative=True),
             task(2, 1, 0, start=3.3, end=None, status="running")]
    figure = timeline_figure(tasks)
    assert len(bars(figure)) == 6
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert labels == ["worker 0", "worker 1 (lost)", "worker 2"]
    assert legend_texts(figure) == ["stage 0", "stage 1", "failed", "killed", "running",
                                    "speculative"]
    by_start = sorted(bars(figure), key=lambda bar: (bar.get_x(), bar.get_y()))
    killed = [b for b in by_start if b.get_hatch() == "//"]
    speculative = [b for b in by_start if b.get_linestyle() == "--"]
    assert len(killed) == 1 and killed[0].get_x() == 2.0
    assert len(speculative) == 1 and speculative[0].get_x() == 2.5
    running = [b for b in by_start if b.get_x() == 3.3][0]
    assert running.get_width() == pytest.approx(4.0 - 3.3)   # up to the latest time known


def test_no_tasks_gives_a_figure_that_says_so():
    figure = timeline_figure([], title="Job 3")
    assert isinstance(figure, Figure)
    assert [t.get_text() for t in figure.axes[0].texts] == ["no tasks"]
    assert not figure.axes[0].axison and bars(figure) == []


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="task status 'done' is not one of success"):
        timeline_figure([task(status="done")])


def test_pyplot_is_never_imported():
    """No global figure manager: figures made in a kernel thread never leak or pop up."""
    script = ("import sys\n"
              "from minispark_widgets.timeline import timeline_figure\n"
              "timeline_figure([dict(worker_id=0, stage_id=0, partition=0, attempt=0, start=0,"
              " end=1, status='success', speculative=False)]).savefig(sys.stdout.buffer)\n"
              "assert 'matplotlib.pyplot' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.startswith(b"\x89PNG")
