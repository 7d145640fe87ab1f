"""The browser tests' own smoke test: JupyterLab runs a notebook, draws a widget, and a click
in the page reaches the Python callback in the kernel; MiniSpark runs a job in that kernel.

If this fails, every other browser test would fail the same way: look here first. The
screenshot it takes, /tmp/minispark-smoke.png, shows what the browser saw.
"""

import re
import tempfile
from pathlib import Path

from labdriver import kernel_eval, open_notebook_and_run_all

SCREENSHOT = Path(tempfile.gettempdir()) / "minispark-smoke.png"


def test_run_all_then_a_click_reaches_python(lab, page):
    from playwright.sync_api import expect

    open_notebook_and_run_all(page, lab, "smoke.ipynb")

    # The job ran in workers started by the kernel: sum(range(10)).
    stdout = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stdout']")
    expect(stdout).to_have_text(re.compile(r"^\s*45\s*$"))

    # The Label widget is a div.widget-label (a description would be a <label class=widget-label>).
    label = page.locator(".jp-OutputArea-output div.widget-label")
    expect(label).to_have_text("not clicked")
    page.locator(".jp-OutputArea-output button.jupyter-button", has_text="Click me").click()
    expect(label).to_have_text("clicked")
    assert kernel_eval(lab, "smoke.ipynb", "label.value") == "'clicked'"

    page.screenshot(path=SCREENSHOT)
