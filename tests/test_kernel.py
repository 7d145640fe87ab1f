"""MiniSpark inside a real Jupyter kernel, run by nbclient as a student's notebook would be.

Functions and lambdas defined in notebook cells live in the kernel's ``__main__``, which the
workers cannot import: they must travel by value (cloudpickle), and a failure must still show
the cell's own source line, which only the kernel knows.
"""

import os

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from nbclient import NotebookClient

CELLS = [
    # 0: functions and a lambda defined in the notebook
    '''from minispark import SparkContext

def shout(word):
    return word.upper() + "!"

by_count_then_word = lambda pair: (-pair[1], pair[0])''',
    # 1
    'sc = SparkContext("local[2]", "notebook")',
    # 2: word count
    '''lines = sc.parallelize(["to be or not to be", "that is the question"], 2)
counts = lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
print(sorted(counts.collect(), key=by_count_then_word))''',
    # 3: a map with the notebook's own function
    'print(lines.flatMap(str.split).map(shout).collect())',
    # 4: a failure inside a notebook function (the cell is tagged raises-exception)
    '''def broken(x):
    return x / 0  # the notebook's own line

sc.parallelize([1, 2], 2).map(broken).collect()''',
    # 5: the context is still usable, then stopped
    '''print(sc.parallelize(range(5), 2).map(lambda x: shout(str(x))).count())
sc.stop()
print("stopped")''',
]


@pytest.fixture
def python3_kernel(tmp_path, monkeypatch):
    """Make sure the ``python3`` kernel exists; jupyter_client runs it with this interpreter."""
    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        from ipykernel.kernelspec import write_kernel_spec

        write_kernel_spec(str(tmp_path / "jupyter" / "kernels" / "python3"))
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "python3"


def run_notebook(kernel_name, directory):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    notebook.cells[4].metadata["tags"] = ["raises-exception"]
    NotebookClient(notebook, timeout=120, kernel_name=kernel_name,
                   resources={"metadata": {"path": str(directory)}}).execute()
    return notebook


def stream_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout")


def test_jobs_run_from_a_jupyter_kernel(python3_kernel, tmp_path):
    directory = tmp_path / "notebook"
    directory.mkdir()
    notebook = run_notebook(python3_kernel, directory)
    cells = notebook.cells

    assert stream_text(cells[2]).strip() == (
        "[('be', 2), ('to', 2), ('is', 1), ('not', 1), ('or', 1), ('question', 1), "
        "('that', 1), ('the', 1)]")
    assert stream_text(cells[3]).strip() == (
        "['TO!', 'BE!', 'OR!', 'NOT!', 'TO!', 'BE!', 'THAT!', 'IS!', 'THE!', 'QUESTION!']")

    errors = [o for o in cells[4].outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "TaskFailedError"
    shown = "\n".join(errors[0].traceback) + errors[0].evalue
    assert "return x / 0  # the notebook's own line" in shown
    assert "ZeroDivisionError" in shown

    assert stream_text(cells[5]).split() == ["5", "stopped"]
    assert os.listdir(directory) == []   # nothing written into the notebook's directory
