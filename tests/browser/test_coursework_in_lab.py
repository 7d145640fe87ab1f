"""A student opens a blank assignment in JupyterLab and runs it all.

Every grading cell must fail with the check's own one-line explanation ("Not answered yet"),
Run All must carry on past them (the cells are tagged ``raises-exception``), and the last cell
must stop MiniSpark, so a student who has answered nothing yet still gets the whole picture and
no stray workers.
"""

from pathlib import PurePosixPath

import pytest
from labdriver import open_notebook_and_run_all

ASSIGNMENTS = ["coursework/assignments/assignment-1.ipynb",
               "coursework/assignments/assignment-2.ipynb"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=lambda path: PurePosixPath(path).stem)
def test_run_all_on_the_blank_assignment_shows_every_check_failing_and_reaches_the_end(
        assignment, lessons_lab, page):
    from playwright.sync_api import expect

    open_notebook_and_run_all(page, lessons_lab, assignment)

    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    expect(errors).to_have_count(5)
    for text in errors.all_inner_texts():
        assert text.strip().startswith("ExerciseError: Not answered yet"), text
        assert "Traceback" not in text and "testing.py" not in text   # the message, no frames
    stdout = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stdout']")
    expect(stdout.last).to_contain_text("MiniSpark stopped")
