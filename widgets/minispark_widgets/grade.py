"""Grade coursework notebooks: run each one in a fresh kernel and add up its passed checks.

    python -m minispark_widgets.grade NOTEBOOK [NOTEBOOK ...] [--json FILE]
                                      [--reference ASSIGNMENT] [--timeout SECONDS] [--cwd DIR]

An assignment notebook (notebooks/coursework/) ends each exercise with a *grading cell*: a code
cell tagged ``grade`` whose metadata says which exercise it checks and what it is worth,
``{"minispark": {"exercise": 1, "points": 2}}``. The cell calls a check from
``minispark.testing``, which raises ``ExerciseError`` when the answer is wrong or still blank.
So an exercise is passed exactly when its grading cell runs without an error.

For each notebook, the grader

1. reads it and finds its grading cells (a missing file, a file that is not a notebook, or a
   notebook without grading cells is *bad input*);
2. with ``--reference``, puts the reference's grading cells (the assignment as handed out) in
   place of the submission's, so that a student who edits a check does not change the grade;
3. runs it top to bottom in a fresh kernel of this Python (whatever kernel the notebook names),
   in the notebook's folder (or ``--cwd``), like nbval. Errors do not stop the run, so one
   failing exercise does not hide the others, and a cell that runs longer than ``--timeout``
   seconds is interrupted;
4. scores each exercise: all its points if the grading cell ran without error, none otherwise,
   with the reason: the check's explanation, or the error that crashed the cell (and the first
   error above it in the same exercise, which is usually the real cause).

The kernel is shut down after each notebook. Its MiniSpark workers go with it even when the
notebook's last cell (``%minispark stop``) never ran: the context stops itself when the kernel's
interpreter exits, and a worker exits by itself when the kernel process is gone.

Exit status: 0 when every exercise of every notebook passed, 1 when one failed, 2 for bad input.

>>> from nbformat.v4 import new_code_cell, new_notebook
>>> check = new_code_cell("check_result(answer_1, [1, 2])")
>>> check.metadata.update(tags=["grade"], minispark={"exercise": 1, "points": 2})
>>> grading_cells(new_notebook(cells=[new_code_cell("answer_1 = ..."), check]))
[GradingCell(index=1, exercise=1, points=2)]
"""

import argparse
import json
import sys
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from traitlets import default

GRADE_TAG = "grade"
TIMED_OUT = "CellTimeoutError"     # the error name nbclient reports for an interrupted cell


class BadInput(Exception):
    """A notebook that cannot be graded; the message says why."""


@dataclass(frozen=True)
class GradingCell:
    index: int | None   # position of the cell in the notebook; None: missing from a submission
    exercise: int       # the exercise it checks
    points: int         # what a pass is worth


@dataclass
class ExerciseResult:
    exercise: int
    points: int
    score: int          # all the points or none
    message: str        # "correct", or why not


@dataclass
class NotebookGrade:
    notebook: str
    exercises: list = field(default_factory=list)    # ExerciseResult, by exercise number
    error: str | None = None                         # why it could not be graded at all

    @property
    def score(self) -> int:
        return sum(result.score for result in self.exercises)

    @property
    def points(self) -> int:
        return sum(result.points for result in self.exercises)

    @property
    def passed(self) -> bool:
        return self.error is None and all(r.score == r.points for r in self.exercises)


def read_notebook(path: Path):
    """The notebook at ``path``; BadInput when it is missing or not a notebook."""
    if not path.is_file():
        raise BadInput("no such file")
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:          # nbformat raises several kinds, all meaning "not one"
        raise BadInput(f"not a Jupyter notebook ({type(error).__name__})") from None
    # Small departures from the schema (an editor's own metadata) are not the grader's business.
    if not isinstance(notebook.get("cells"), list):
        raise BadInput("not a Jupyter notebook (it has no list of cells)")
    return notebook


def grading_cells(notebook) -> list:
    """The grading cells of ``notebook``, in order; BadInput if none, or one is malformed."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or GRADE_TAG not in cell.metadata.get("tags", []):
            continue
        about = cell.metadata.get("minispark", {})
        exercise, points = about.get("exercise"), about.get("points")
        if not isinstance(exercise, int) or not isinstance(points, int) or points < 0:
            raise BadInput(f"cell {index + 1} is tagged {GRADE_TAG!r} but its metadata lacks "
                           '{"minispark": {"exercise": <int>, "points": <int>}}')
        if any(earlier.exercise == exercise for earlier in found):
            raise BadInput(f"exercise {exercise} has two grading cells")
        found.append(GradingCell(index, exercise, points))
    if not found:
        raise BadInput(f"no grading cells (code cells tagged {GRADE_TAG!r}): is it an "
                       "assignment notebook?")
    return found


def use_reference_checks(notebook, cells: list, reference, reference_cells: list) -> list:
    """Give the submission the reference's grading cells; returns the cells to score.

    The reference decides which exercises exist and what they are worth. An exercise whose
    grading cell was deleted from the submission gets ``index=None``: it cannot pass.
    """
    by_exercise = {cell.exercise: cell for cell in cells}
    chosen = []
    for expected in reference_cells:
        cell = by_exercise.get(expected.exercise)
        if cell is not None:
            notebook.cells[cell.index].source = reference.cells[expected.index].source
        chosen.append(GradingCell(cell.index if cell else None, expected.exercise, expected.points))
    return chosen


class ThisPythonKernelSpecs(KernelSpecManager):
    """Every kernel name means ipykernel in this Python, as nbval's ``--nbval-current-env``.

    A submission's kernelspec, or a ``python3`` kernel installed for another Python, must not
    choose the interpreter that grades it.
    """

    def get_kernel_spec(self, kernel_name):
        return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())


class ThisPythonKernelManager(AsyncKernelManager):
    @default("kernel_spec_manager")
    def _this_python(self):
        return ThisPythonKernelSpecs(parent=self)


def run(notebook, folder: Path, timeout: int) -> tuple:
    """Run every cell; returns ({cell index: execute reply content}, why the run stopped early)."""
    for cell in notebook.cells:                     # a submission's stale outputs must not count
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    replies = {}

    def keep_reply(cell, cell_index, execute_reply):
        replies[cell_index] = execute_reply["content"]

    client = NotebookClient(
        notebook, timeout=timeout, kernel_manager_class=ThisPythonKernelManager,
        kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True, record_timing=False, store_widget_state=False,
        error_on_timeout={"ename": TIMED_OUT,
                          "evalue": f"ran longer than {timeout} s and was interrupted",
                          "traceback": []},
        resources={"metadata": {"path": str(folder)}},
        on_cell_executed=keep_reply)
    try:
        client.execute()
    except DeadKernelError:
        return replies, "the kernel died (out of memory, or a crash in the cell before it)"
    except CellTimeoutError:
        return replies, f"a cell ran longer than {timeout} s and could not be interrupted"
    return replies, None


def explain(notebook, cell, checks: list, replies: dict, stopped: str | None) -> str:
    """Why a grading cell did not pass, in one paragraph (``checks``: where the checks are)."""
    if cell.index is None:
        return "its grading cell is missing from the notebook"
    reply = replies.get(cell.index)
    if reply is None:
        return f"not run: {stopped or 'the run stopped before it'}"
    if reply["ename"] == "ExerciseError":
        message = reply["evalue"]
    else:
        message = f"the grading cell {_what_went_wrong(reply)}"
    # The exercise's own cells are those between the check above this one and this one.
    start = max((index for index in checks if index < cell.index), default=-1)
    for index in range(start + 1, cell.index):
        earlier = replies.get(index)
        if earlier is not None and earlier["status"] == "error":
            source = textwrap.shorten(notebook.cells[index].source, 60, placeholder=" ...")
            return f"{message} (before it, the cell `{source}` {_what_went_wrong(earlier)})"
    return message


def _what_went_wrong(reply: dict) -> str:
    r"""'raised NameError: name 'x' is not defined', or 'ran longer than 120 s ...'.

    A failed job's message ends with the error in the student's own function: keep that line.

    >>> _what_went_wrong({"ename": "TaskFailedError", "evalue": "Job aborted due to stage "
    ...     "failure: Task 1 failed 4 times:\nTraceback ...\nZeroDivisionError: division by zero"})
    'raised TaskFailedError: Job aborted due to stage failure: Task 1 failed 4 times: ... ZeroDivisionError: division by zero'
    """
    if reply["ename"] == TIMED_OUT:
        return reply["evalue"]
    lines = [line for line in str(reply["evalue"]).strip().splitlines() if line.strip()]
    if not lines:
        return f"raised {reply['ename']}"
    cause = f" ... {textwrap.shorten(lines[-1], 200)}" if len(lines) > 1 else ""
    return f"raised {reply['ename']}: {textwrap.shorten(lines[0], 300)}{cause}"


def grade(path: Path, reference=None, timeout: int = 120, cwd: Path | None = None) -> NotebookGrade:
    """Run the notebook at ``path`` and score each exercise (``reference``: (notebook, cells))."""
    result = NotebookGrade(str(path))
    try:
        notebook = read_notebook(path)
        cells = grading_cells(notebook)
    except BadInput as error:
        result.error = str(error)
        return result
    if reference is not None:
        cells = use_reference_checks(notebook, cells, *reference)
    replies, stopped = run(notebook, cwd or path.parent, timeout)
    checks = [cell.index for cell in cells if cell.index is not None]
    for cell in sorted(cells, key=lambda cell: cell.exercise):
        passed = replies.get(cell.index, {}).get("status") == "ok"
        message = "correct" if passed else explain(notebook, cell, checks, replies, stopped)
        result.exercises.append(
            ExerciseResult(cell.exercise, cell.points, cell.points * passed, message))
    return result


def report(result: NotebookGrade) -> str:
    """The grade of one notebook as text, one exercise a line (long reasons wrapped)."""
    if result.error is not None:
        return f"{result.notebook}: cannot grade: {result.error}"
    lines = [f"{result.notebook}: {result.score}/{result.points} points"]
    for r in result.exercises:
        head = f"  Exercise {r.exercise}  {r.score}/{r.points}  "
        lines.append(textwrap.fill(r.message, width=100, initial_indent=head,
                                   subsequent_indent=" " * len(head)))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minispark_widgets.grade",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="the notebooks to grade")
    parser.add_argument("--json", type=Path, help="also write the grades to this JSON file")
    parser.add_argument("--reference", type=Path,
                        help="the assignment as handed out: its grading cells replace the "
                             "submissions' own")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (120)")
    parser.add_argument("--cwd", type=Path, help="working directory of every notebook's kernel "
                        "(default: the notebook's own folder)")
    args = parser.parse_args(argv)
    reference = None
    if args.reference is not None:
        try:
            reference_notebook = read_notebook(args.reference)
            reference = (reference_notebook, grading_cells(reference_notebook))
        except BadInput as error:
            print(f"{args.reference}: cannot use it as the reference: {error}", file=sys.stderr)
            return 2
    results = []
    for path in args.notebooks:
        results.append(grade(path, reference, args.timeout, args.cwd))
        print(report(results[-1]), file=sys.stderr if results[-1].error else sys.stdout,
              flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps({"notebooks": [
            {**asdict(r), "score": r.score, "points": r.points} for r in results]}, indent=2))
    if any(r.error is not None for r in results):
        return 2
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
