"""Every magic, run in a real Jupyter kernel with nbclient (as a student's notebook would).

The notebook is built here, cell by cell, and executed top to bottom in a fresh kernel of this
Python. Mistakes (a magic before ``start``, ``dag`` of a non-RDD, ``kill`` of a worker that does
not exist, an unknown subcommand) must each produce one ``UsageError`` line and leave the
kernel healthy: the cells after them still run.
"""

import sys

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

CELLS = [
    "%load_ext minispark",
    "%minispark status",                                                     # before start
    "%minispark start --workers 2 --conf spark.eventLog.enabled=true --conf spark.eventLog.dir={logdir}",
    "%minispark start",                                                      # twice
    "words = sc.parallelize(['a b', 'b c'] * 50, 4).flatMap(str.split)\n"
    "counts = words.map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)",
    "%minispark dag counts",
    "%minispark dag 42",
    "%%minispark\nsorted(counts.collect())",
    "%minispark status",
    "%minispark kill 0",
    "%minispark kill 99",
    "%minispark slow 1 0.05",
    "%minispark fail --partition 1",
    "%minispark chaos 0.2 --seed 3",
    "%%minispark\nprint(sorted(counts.mapValues(lambda n: n * 2).collect()))",
    "%minispark clear",
    "%minispark timeline",
    "%minispark frobnicate",
    "%minispark kill --help",
    "import glob\nlog = glob.glob('{logdir}/*.jsonl')[0]\n%minispark stop",
    "%minispark replay $log",
    "%minispark kill 1",                                                     # after stop
]


def text_of(cell):
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        else:
            parts.extend(v for k, v in output.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def executed(executed_cells):
    return [text_of(cell) for cell in executed_cells]


@pytest.fixture(scope="module")
def executed_cells(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("eventlog")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(c.replace("{logdir}", str(logdir))) for c in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = nbclient.NotebookClient(notebook, timeout=120, allow_errors=True,
                                     kernel_name="python3", resources={"metadata": {"path": str(logdir)}})
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if "python3" not in specs:
        pytest.skip("no python3 kernelspec for this Python (pip install ipykernel)")
    client.execute()
    return notebook.cells


def test_magics_before_start_say_how_to_start(executed):
    assert "UsageError: No MiniSpark context is running" in executed[1]
    assert "%minispark start" in executed[1]


def test_start_puts_sc_in_the_namespace_and_refuses_a_second_one(executed):
    assert "MiniSpark is running with 2 worker processes" in executed[2]
    assert "UsageError: A MiniSpark context is already running" in executed[3]


def test_dag_draws_the_plan_without_running_it(executed):
    assert "DAGExplorer(plan: 2 stages, not run)" in executed[5] or "<svg" in executed[5]
    assert "UsageError: %minispark dag needs an RDD, but '42' is a int." in executed[6]


def test_cell_magic_runs_the_cell_with_an_explorer(executed):
    assert "[('a', 50), ('b', 100), ('c', 50)]" in executed[7]
    assert "DAGExplorer(job" in executed[7] and "succeeded)" in executed[7]


def test_a_cell_magic_cell_keeps_its_own_number_in_out_and_in_call_sites(executed_cells):
    cell = executed_cells[7]
    (result,) = [output for output in cell.outputs if output.output_type == "execute_result"]
    assert result.execution_count == cell.execution_count
    assert f"collect at In[{cell.execution_count}]:1" in text_of(cell)


def test_fault_magics_and_recovery(executed):
    assert "workers alive [0, 1], lost []" in executed[8]
    assert "Worker 0 killed" in executed[9]
    assert "UsageError: There is no live worker 99" in executed[10]
    assert "[('a', 100), ('b', 200), ('c', 100)]" in executed[14]
    assert "All injected faults cleared." in executed[15]


def test_timeline_is_a_picture(executed):
    assert "<IPython.core.display.Image object>" in executed[16]


def test_bad_subcommand_and_help(executed):
    assert "UsageError: %minispark: argument command: invalid choice: 'frobnicate'" in executed[17]
    assert "usage: %minispark kill" in executed[18]


def test_stop_replay_and_after_stop(executed):
    assert "MiniSpark stopped" in executed[19]
    assert "Replayed" in executed[20] and "DAGExplorer(job" in executed[20]
    assert "UsageError: No MiniSpark context is running" in executed[21]
