"""Fixtures for the browser tests: a real JupyterLab, a real Chromium, nothing left running.

Widgets are tested from Python first (set a value, press a button, assert on traits). These
tests check the rest: that the widget is drawn in JupyterLab and a click in the page reaches
the Python callback in the kernel.

* ``lab``: JupyterLab serving a copy of tests/browser/notebooks/ (see labdriver.start_lab).
* ``lessons_lab``: JupyterLab serving a copy of the repository's notebooks/, the lessons.
  Each is started once per session, on first use, and stopped with SIGTERM at the end.
* ``browser``: Debian's /usr/bin/chromium, headless, driven by Playwright. Without Playwright
  or chromium every test here is skipped, with the command that installs what is missing.
* ``page``: a new tab (1280 x 900) per test; when the test fails, a screenshot of it is saved
  and its path printed.
* ``no_leftover_processes`` (automatic): after each test, shut down the kernels of every
  running Lab, then fail if an ``ipykernel_launcher`` or ``minispark.worker`` process that
  started during the test is still alive.

Helpers for the tests themselves (``open_notebook_and_run_all``, ``wait_for_kernel_idle``,
``kernel_eval``) are in labdriver.py.
"""

import importlib.util
import time
from pathlib import Path

import pytest

from labdriver import CHROMIUM, CHROMIUM_ARGS, describe_processes, start_lab

HERE = Path(__file__).parent
REPOSITORY = HERE.parents[1]
LEFTOVER_TIMEOUT = 30   # seconds for kernels and their workers to exit after shutdown

# The notebooks here are driven by the browser tests, not compared by nbval.
collect_ignore = ["notebooks"]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's) through Playwright; skips the test if either is missing."""
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("needs Playwright: `python3 kit.py test` installs it into .venv "
                    "(`playwright install` is not needed: the tests use Debian's chromium)")
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}: "
                    "sudo apt-get install -y --no-install-recommends chromium "
                    "(`python3 kit.py test` does this when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def _labs(browser, tmp_path_factory):
    """Start one Lab per notebooks directory, on first use; stop them all at the end.

    It asks for ``browser`` so that, without one, tests skip before paying for a server.
    """
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.skip("needs JupyterLab: `python3 kit.py test` installs it into .venv")
    running = {}

    def serve(notebooks: Path):
        if notebooks not in running:
            try:
                running[notebooks] = start_lab(notebooks, tmp_path_factory.mktemp("lab"))
            except RuntimeError as error:
                pytest.fail(str(error), pytrace=False)
        return running[notebooks]

    serve.running = running
    yield serve
    for lab in running.values():
        lab.stop()


@pytest.fixture(scope="session")
def lab(_labs):
    """JupyterLab serving a copy of tests/browser/notebooks/."""
    return _labs(HERE / "notebooks")


@pytest.fixture(scope="session")
def lessons_lab(_labs):
    """JupyterLab serving a copy of the repository's notebooks/ (the lessons)."""
    lessons = REPOSITORY / "notebooks"
    if not any(lessons.glob("*.ipynb")):
        pytest.skip("notebooks/ has no notebooks yet")
    return _labs(lessons)


@pytest.fixture
def page(browser, request, tmp_path):
    """A new browser tab; on failure, a screenshot of it goes to the test's tmp_path."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        screenshot = tmp_path / "failure.png"
        tab.screenshot(path=screenshot)
        print(f"screenshot of the page when the test failed: {screenshot}")
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep the call phase's report on the item, for the ``page`` fixture's teardown."""
    report = yield
    if report.when == "call":
        item.report_call = report
    return report


@pytest.fixture(autouse=True)
def no_leftover_processes(_labs):
    """Fail if a kernel or a worker started by the test outlives it (after its kernels stop)."""
    labs = _labs.running.values()   # a view: it will include a Lab the test starts
    before = set().union(*(lab.kernel_and_worker_pids() for lab in labs))
    yield
    for lab in labs:
        lab.delete_sessions()
    deadline = time.monotonic() + LEFTOVER_TIMEOUT
    while leftover := set().union(*(lab.kernel_and_worker_pids() for lab in labs)) - before:
        if time.monotonic() > deadline:
            pytest.fail(f"still running {LEFTOVER_TIMEOUT} s after the test's kernels were shut "
                        f"down:\n{describe_processes(leftover)}", pytrace=False)
        time.sleep(0.1)   # polling interval; the condition decides
