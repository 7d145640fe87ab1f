"""The coursework grades itself: its checks bite, its solutions pass, and the grader says so.

Real kernels run the notebooks of notebooks/coursework/ top to bottom (nbclient, as nbval and
the grader do). The student version, with every answer left as ``...``, must fail every
grading cell with "Not answered yet": a check that passes on a blank answer would grade
nothing. The solution must pass every one. The grader runs as graders run it, a command in a
subprocess, on both. Every assignment gets these guarantees (the tests are parametrized over
``POINTS``); assignment 1 also stands for all of them in the grader's harder cases: a
submission with wrong answers, one that kills its own kernel, and files that are not
submissions at all. After each grading, no kernel and no MiniSpark worker it started may still
be running, even when the notebook never reached ``%minispark stop``.
"""

import copy
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

COURSEWORK = Path(__file__).resolve().parents[1] / "notebooks" / "coursework"
# The points of each exercise of each assignment, in order: what the grader must report.
POINTS = {1: [2, 2, 3, 2, 1], 2: [2, 3, 2, 2, 1]}
NUMBERS = sorted(POINTS)
NOT_ANSWERED = "Not answered yet: replace the ... in the answer cell"
LEFTOVER_TIMEOUT = 15    # seconds for a kernel's workers to exit after the kernel is gone


def execute(path: Path):
    """Run a notebook top to bottom in a fresh kernel, in its folder, errors allowed."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def assignment(number: int) -> Path:
    """The student version of assignment ``number``: blank answers, no outputs."""
    return COURSEWORK / "assignments" / f"assignment-{number}.ipynb"


def solution(number: int) -> Path:
    """The solution of assignment ``number``, with its stored outputs."""
    return COURSEWORK / "solutions" / f"assignment-{number}.ipynb"


# The grader's harder cases (wrong answers, a dying kernel) are written against assignment 1.
ASSIGNMENT, SOLUTION = assignment(1), solution(1)


def name(number: int) -> str:
    """The test id of assignment ``number``."""
    return f"assignment-{number}"


def checks(notebook) -> list:
    """(exercise, points, cell) for every grading cell, in order."""
    return [(cell.metadata["minispark"]["exercise"], cell.metadata["minispark"]["points"], cell)
            for cell in notebook.cells if "grade" in cell.metadata.get("tags", [])]


def errors(cell) -> list:
    return [output for output in cell.get("outputs", []) if output.output_type == "error"]


@pytest.fixture(scope="module", params=NUMBERS, ids=name)
def blank(request):
    return execute(assignment(request.param))


@pytest.fixture(scope="module", params=NUMBERS, ids=name)
def solved(request):
    return execute(solution(request.param))


@pytest.mark.parametrize("number", NUMBERS, ids=name)
def test_assignment_and_solution_have_the_same_checks(number):
    handed_out = nbformat.read(assignment(number), as_version=4)
    answered = nbformat.read(solution(number), as_version=4)
    assert [(e, p, c.source) for e, p, c in checks(handed_out)] == \
           [(e, p, c.source) for e, p, c in checks(answered)]
    assert [(e, p) for e, p, _ in checks(handed_out)] == list(enumerate(POINTS[number], 1))
    assert sum(POINTS[number]) == 10
    code = [cell.source for cell in handed_out.cells if cell.cell_type == "code"]
    assert code[0] == "%load_ext minispark\n%minispark start --workers 2"
    assert code[-1] == "%minispark stop"
    # The student version is handed out clean: no outputs to mistake for results.
    assert all(not cell.outputs and cell.execution_count is None
               for cell in handed_out.cells if cell.cell_type == "code")


def test_every_check_fails_on_the_blank_assignment(blank):
    for exercise, _, cell in checks(blank):
        [error] = errors(cell)
        assert error.ename == "ExerciseError", (exercise, error.ename, error.evalue)
        assert error.evalue.startswith(NOT_ANSWERED), (exercise, error.evalue)
        # The student sees the explanation, not a traceback through minispark/testing.py.
        assert error.traceback == [f"\x1b[0;31mExerciseError\x1b[0m: {error.evalue}"]
    # Only the checks fail: the given cells, the blank answers and %minispark stop all run.
    others = [cell for cell in blank.cells if cell.cell_type == "code"
              and "grade" not in cell.metadata.get("tags", [])]
    assert not any(errors(cell) for cell in others)
    assert "MiniSpark stopped" in others[-1].outputs[0].text


def test_the_solution_passes_every_check(solved):
    assert not any(errors(cell) for cell in solved.cells if cell.cell_type == "code")
    for exercise, points, cell in checks(solved):
        unit = "point" if points == 1 else "points"
        printed = "".join(output.get("text", "") for output in cell.outputs)
        assert printed == f"Exercise {exercise}: correct ({points}/{points} {unit})\n"


# ---- the grader, run as a command ------------------------------------------------------------

def processes_with(marker: str) -> set:
    """Live processes (not zombies) whose environment holds ``marker``."""
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            environment = Path(f"/proc/{name}/environ").read_bytes().split(b"\0")
            state = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in environment and state not in ("Z", "X"):
            found.add(int(name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)   # polling interval; the condition decides
    return True


def run_grader(*args, tmp_path, environment=None):
    """Run the grader; return (exit code, stdout, stderr, its JSON). Asserts nothing is left."""
    marker = f"MINISPARK_GRADE_TEST={uuid.uuid4().hex}"
    grades = tmp_path / "grades.json"
    done = subprocess.run([sys.executable, "-m", "minispark_widgets.grade", *map(str, args),
                           "--json", str(grades)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(environment or {}),
                               marker.split("=")[0]: marker.split("=")[1]})
    assert wait_until(lambda: not processes_with(marker), LEFTOVER_TIMEOUT), (
        f"still running after grading: {sorted(processes_with(marker))}")
    return done.returncode, done.stdout, done.stderr, json.loads(grades.read_text())


def messages(grades, notebook=0) -> dict:
    return {r["exercise"]: r["message"] for r in grades["notebooks"][notebook]["exercises"]}


@pytest.mark.parametrize("number", NUMBERS, ids=name)
def test_grader_gives_the_solution_full_marks(number, tmp_path):
    # A python3 kernel installed for another Python (here: one that cannot start) comes first on
    # JUPYTER_PATH; the grader must still run the notebook with this Python, as nbval does.
    other = tmp_path / "jupyter" / "kernels" / "python3"
    other.mkdir(parents=True)
    (other / "kernel.json").write_text(json.dumps({
        "argv": ["/nonexistent/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (elsewhere)", "language": "python"}))
    code, out, err, grades = run_grader(solution(number), tmp_path=tmp_path,
                                        environment={"JUPYTER_PATH": str(tmp_path / "jupyter")})
    assert code == 0, out + err
    [result] = grades["notebooks"]
    assert (result["score"], result["points"], result["error"]) == (10, 10, None)
    assert [(r["exercise"], r["score"]) for r in result["exercises"]] == \
           list(enumerate(POINTS[number], 1))
    assert set(messages(grades).values()) == {"correct"}
    assert out.splitlines() == [f"{solution(number)}: 10/10 points"] + [
        f"  Exercise {e}  {p}/{p}  correct" for e, p in enumerate(POINTS[number], 1)]


@pytest.mark.parametrize("number", NUMBERS, ids=name)
def test_grader_gives_the_blank_assignment_nothing(number, tmp_path):
    code, out, err, grades = run_grader(assignment(number), tmp_path=tmp_path)
    assert code == 1, out + err
    assert (grades["notebooks"][0]["score"], grades["notebooks"][0]["points"]) == (0, 10)
    assert all(m.startswith(NOT_ANSWERED) for m in messages(grades).values())
    assert len(messages(grades)) == len(POINTS[number])
    assert out.splitlines()[0] == f"{assignment(number)}: 0/10 points"


def submission(tmp_path, name, answers: dict, drop_stop=False, pids_to=None) -> Path:
    """The solution with some answer cells replaced ({start of the cell: new source})."""
    notebook = copy.deepcopy(nbformat.read(SOLUTION, as_version=4))
    for cell in notebook.cells:
        for start, source in answers.items():
            if cell.cell_type == "code" and cell.source.startswith(start):
                cell.source = source
    if drop_stop:   # a student who deleted the last cell: %minispark stop never runs
        notebook.cells = [cell for cell in notebook.cells if cell.source != "%minispark stop"]
    if pids_to is not None:   # after the set-up cell, note the kernel's and the workers' pids
        notebook.cells.insert(4, nbformat.v4.new_code_cell(
            "import os, json\n"
            f"open({str(pids_to)!r}, 'w').write(json.dumps([os.getpid()] + "
            "[worker.pid for worker in sc._pool.workers.values()]))"))
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


def test_wrong_answers_get_the_checks_explanations(tmp_path):
    pids = tmp_path / "pids.json"
    path = submission(tmp_path, "wrong.ipynb", {
        "long_words =": "answer_1 = words.takeOrderd(12)",      # a typo: the cell crashes
        "answer_2 =": "answer_2 = words.distinct().map(lambda word: (word[0], 1)).reduceByKey(add)",
        "answer_4 =": "answer_4 = lines.filter(lambda line: 'queen' in words_of(line))",
        # An edited check: --reference puts the assignment's own check back.
        "# Grading cell for Exercise 4": 'print("Exercise 4: correct (2/2 points)")',
    }, drop_stop=True, pids_to=pids)
    code, out, err, grades = run_grader(path, "--reference", ASSIGNMENT,
                                        "--cwd", SOLUTION.parent, tmp_path=tmp_path)
    assert code == 1, out + err
    assert grades["notebooks"][0]["score"] == 10 - 2 - 2 - 2
    found = messages(grades)
    assert found[1].startswith("the grading cell raised NameError: name 'answer_1' is not "
                               "defined (before it, the cell `answer_1 = words.takeOrderd(12)` "
                               "raised AttributeError:"), found[1]
    assert found[2].startswith("Expected a plan with 2 stages, but this RDD needs 3 stages")
    assert found[4].startswith("Expected each partition of RDD "), found[4]
    assert "Call .cache() on it" in found[4]
    assert (found[3], found[5]) == ("correct", "correct")
    # The kernel and its workers are gone, though %minispark stop never ran.
    assert not any(alive(pid) for pid in json.loads(pids.read_text()))


def test_a_kernel_that_dies_is_reported_and_leaves_no_workers(tmp_path):
    pids = tmp_path / "pids.json"
    path = submission(tmp_path, "dies.ipynb", {
        "cast_by_word =": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    }, pids_to=pids)
    code, out, err, grades = run_grader(path, "--cwd", SOLUTION.parent, tmp_path=tmp_path)
    assert code == 1, out + err
    found = messages(grades)
    assert (found[1], found[2]) == ("correct", "correct")
    assert all(found[n].startswith("not run: the kernel died") for n in (3, 4, 5))
    assert not any(alive(pid) for pid in json.loads(pids.read_text()))


def test_bad_input_exits_2_and_says_why(tmp_path):
    not_a_notebook = tmp_path / "notes.txt"
    not_a_notebook.write_text("my answers")
    no_checks = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), no_checks)
    missing = tmp_path / "missing.ipynb"
    code, out, err, grades = run_grader(missing, not_a_notebook, no_checks, tmp_path=tmp_path)
    assert code == 2
    assert err.splitlines() == [
        f"{missing}: cannot grade: no such file",
        f"{not_a_notebook}: cannot grade: not a Jupyter notebook (NotJSONError)",
        f"{no_checks}: cannot grade: no grading cells (code cells tagged 'grade'): is it an "
        "assignment notebook?"]
    assert [r["error"] is not None for r in grades["notebooks"]] == [True, True, True]
