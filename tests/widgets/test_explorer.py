"""The explorer and its buttons, tested from Python as ipywidgets tests its own widgets.

Events come from real jobs on a real context; buttons are pressed with ``.click()``; the
assertions check both the widget state and the engine's reaction (a worker process really
died, a task really ran again).
"""

import os
import time
from operator import add

import pytest

pytest.importorskip("ipywidgets")

from minispark import events  # noqa: E402
from minispark_widgets.explorer import DAGExplorer  # noqa: E402
from minispark_widgets.model import ExplorerModel  # noqa: E402


def attach(sc):
    """A model fed synchronously by the context, like a %%minispark cell does."""
    model = ExplorerModel()
    for worker_id, handle in sorted(sc._pool.workers.items()):
        model(events.WorkerAdded(worker_id, handle.pid, 0.0))
    sc.addSparkListener(model, synchronous=True)
    return model


def word_count(sc):
    lines = sc.parallelize(["a b c", "b c", "c"] * 20, 4)
    return lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add, 3)


def test_the_explorer_shows_a_finished_job_as_it_happened(fresh_context):
    sc = fresh_context("local[2]")
    model = attach(sc)
    assert sorted(word_count(sc).collect()) == [("a", 20), ("b", 40), ("c", 60)]
    job = model.last_job
    explorer = DAGExplorer(sc, model, job.job_id)
    assert repr(explorer) == f"DAGExplorer(job {job.job_id}: 2 stages, succeeded)"
    assert explorer.dag.value.startswith("<svg")
    assert explorer.dag.value.count("ms-state-done") >= 2
    strips = explorer.task_strips.value
    assert strips.count("ms-task-done") == 4 + 3        # every task of both stages
    assert explorer.cancel_button.disabled
    assert explorer.cancel_button.layout.display == "none"     # hidden once the job is over


def test_kill_button_kills_the_worker_process_and_the_job_recovers(fresh_context):
    sc = fresh_context("local[2]", {"spark.locality.wait": "100ms"})
    model = attach(sc)
    explorer = None

    def press_kill_when_a_task_runs(event):
        if type(event).__name__ == "TaskStarted" and explorer is not None:
            sc.removeSparkListener(press_kill_when_a_task_runs)
            kill = explorer.workers.rows[event.worker_id][1]
            kill.click()

    pairs = word_count(sc)
    assert sorted(pairs.collect()) == [("a", 20), ("b", 40), ("c", 60)]
    explorer = DAGExplorer(sc, model, model.last_job.job_id)
    victim = min(sc._pool.workers)
    victim_pid = sc._pool.workers[victim].pid
    sc.addSparkListener(press_kill_when_a_task_runs, synchronous=True)

    slow = sc.parallelize(range(8), 8).map(lambda x: (time.sleep(0.1), x)[1]).sum()
    assert slow == 28
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and os.path.exists(f"/proc/{victim_pid}") \
            and open(f"/proc/{victim_pid}/stat").read().split(")")[-1].split()[0] != "Z":
        time.sleep(0.05)
    lost = [w for w in model.workers.values() if w.state == "lost"]
    assert lost, "the model never saw a worker lost"
    assert len(sc._pool.workers) == 2
    explorer.refresh(force=True)
    assert any("killed with SIGKILL" in m for m in model.messages)


def test_fail_next_button_makes_a_task_fail_and_run_again(fresh_context):
    sc = fresh_context("local[2]")
    model = attach(sc)
    sc.parallelize([1], 1).count()
    explorer = DAGExplorer(sc, model, model.last_job.job_id)
    worker = min(sc._pool.workers)
    explorer.workers.rows[worker][3].click()      # "Fail next" on that worker
    assert sc.parallelize(range(20), 4).sum() == 190
    job = model.last_job
    final = model.stages[job.final_stage_id]
    failed = [a for a in model.attempts
              if a["job_id"] == job.job_id and a["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["worker_id"] == worker
    retried = [a for a in model.attempts if a["job_id"] == job.job_id
               and a["partition"] == failed[0]["partition"] and a["status"] == "success"]
    assert retried and retried[0]["attempt"] == 1
    assert final.state == "done"


def test_cancel_button_cancels_the_running_job(fresh_context):
    from minispark.errors import JobCancelledError

    sc = fresh_context("local[2]")
    model = attach(sc)
    explorers = []

    def build_and_cancel(event):
        if type(event).__name__ == "JobStarted":
            explorers.append(DAGExplorer(sc, model, event.job_id))
        elif type(event).__name__ == "TaskStarted" and explorers:
            sc.removeSparkListener(build_and_cancel)
            explorers[0].cancel_button.click()

    sc.addSparkListener(build_and_cancel, synchronous=True)
    with pytest.raises(JobCancelledError):
        sc.parallelize(range(20), 20).map(lambda x: (time.sleep(0.2), x)[1]).collect()
    explorers[0].refresh(force=True)
    assert "failed" in explorers[0].status.value
    assert sc.parallelize(range(3)).count() == 3


def test_rdd_picker_shows_where_partitions_are_cached(fresh_context):
    sc = fresh_context("local[2]")
    model = attach(sc)
    cached = sc.parallelize(range(40), 4).map(lambda x: x * 2).cache()
    cached.count()
    cached.count()
    explorer = DAGExplorer(sc, model, model.last_job.job_id)
    explorer.rdd_picker.value = cached.id()
    table = explorer.rdd_detail.value
    assert table.count("<tr>") == 1 + 4
    assert table.count("worker ") == 4          # every partition cached on some worker
    assert table.count("<td>10</td>") == 4      # 40 records in 4 partitions
    assert all(view.computed == 1 for view in model.partitions[cached.id()].values())


def test_refresh_is_throttled_and_skips_unchanged_models(fresh_context):
    sc = fresh_context("local[2]")
    model = attach(sc)
    sc.parallelize(range(4), 2).count()
    explorer = DAGExplorer(sc, model, model.last_job.job_id)
    drawn = explorer.dag.value
    explorer.dag.value = "sentinel"
    explorer.refresh()                       # nothing changed since the first draw
    assert explorer.dag.value == "sentinel"
    model(events.StageSkipped(999, model.last_job.job_id, 0.0))
    explorer.refresh()                       # changed, but within 0.1 s of the last draw
    assert explorer.dag.value == "sentinel"
    explorer.refresh(force=True)
    assert explorer.dag.value == drawn


def test_each_stage_strip_says_what_its_shuffle_moved(fresh_context):
    from minispark.metrics import StageMetrics

    sc = fresh_context("local[2]")
    model = attach(sc)
    with StageMetrics(sc) as metrics:
        word_count(sc).collect()
    explorer = DAGExplorer(sc, model, model.last_job.job_id)
    map_stage, result_stage = explorer.task_strips.value.split("</div>")[:2]
    written = next(iter(metrics.stages.values())).shuffle_records_written
    assert f"shuffle write {written} records" in map_stage
    assert "shuffle read" in result_stage and "shuffle write" not in result_stage
    assert "shuffle write" in explorer.snapshot_html()


def test_the_rdd_picker_never_goes_blank_when_the_explorer_shows_another_job(fresh_context):
    sc = fresh_context("local[2]")
    model = attach(sc)
    word_count(sc).collect()
    first = model.last_job.job_id
    explorer = DAGExplorer(sc, model, first)
    chosen = model.jobs[first].plan["rdds"][0]["rdd_id"]
    explorer.rdd_picker.value = chosen
    assert "times computed" in explorer.rdd_detail.value
    sc.parallelize(range(10), 2).map(lambda x: x + 1).sum()   # RDDs the first job did not have
    explorer.bind(model.last_job.job_id)
    assert explorer.rdd_picker.index == 0 and explorer.rdd_picker.value is None
    assert explorer.rdd_picker.label == "(choose an RDD)"
