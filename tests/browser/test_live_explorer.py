"""A student's view of the live explorer: run the demo, kill a busy worker from the page.

The demo notebook's word count takes a few seconds (each task sleeps). While its
``%%minispark`` cell runs, the test clicks **Kill** on a worker that the workers panel shows as
busy. The click must reach the kernel *during* the job (the cell is still running), the worker
process must really die, its task must run again (attempt 1), and the job must still print the
right answer.
"""

import re

from labdriver import kernel_eval, open_notebook_and_run_all, wait_for_run_all

EXPECTED = ("[('brown', 8), ('dog', 8), ('fox', 8), ('jumps', 8), ('lazy', 8), ('over', 8), "
            "('quick', 8), ('the', 16)]")


def test_kill_a_busy_worker_from_the_page_and_watch_the_recovery(lessons_lab, page):
    from playwright.sync_api import expect

    open_notebook_and_run_all(page, lessons_lab, "demo.ipynb", wait=False)

    explorer = page.locator(".minispark-explorer").first
    expect(explorer).to_be_visible(timeout=60_000)
    expect(explorer.locator("svg .ms-stage").first).to_be_visible()          # the DAG is drawn
    expect(explorer.locator(".ms-stage.ms-state-running").first).to_be_visible(timeout=30_000)

    busy = explorer.locator(".ms-workers .widget-html", has_text=re.compile(r"worker (\d+) · task"))
    expect(busy.first).to_be_visible(timeout=30_000)
    worker = int(re.search(r"worker (\d+)", busy.first.inner_text()).group(1))
    explorer.locator(f"button.ms-worker-{worker}", has_text="Kill").click()

    # The recovery, as the explorer tells it while the cell is still running or just after.
    expect(explorer.locator(".ms-messages")).to_contain_text(f"Worker {worker} was lost",
                                                             timeout=30_000)
    wait_for_run_all(page)
    expect(explorer.locator(".ms-messages")).to_contain_text("succeeded")
    retried = explorer.locator(".ms-task[title*='attempt 1']")
    expect(retried.first).to_be_attached()
    stdout = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stdout']")
    expect(stdout.filter(has_text="('the', 16)")).to_have_text(re.compile(re.escape(EXPECTED)))

    assert kernel_eval(lessons_lab, "demo.ipynb", f"{worker} in sc._pool.lost") == "True"
    assert kernel_eval(lessons_lab, "demo.ipynb", "len(sc._pool.workers)") == "2"
    page.screenshot(path="/tmp/minispark-live-explorer.png")
