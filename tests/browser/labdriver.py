"""Drive a real JupyterLab from a test: start a server, open a notebook, run it, ask its kernel.

A browser test plays a student: it opens a notebook in JupyterLab, runs every cell, clicks a
widget and looks at what is drawn. Three things make that reliable (each was a real failure):

* **Ask the server, not the page, whether the kernel is ready.** On a fresh server the page
  sometimes shows "Idle" while the notebook has no kernel at all (a "Select Kernel" dialog is
  open), and Run All then does nothing. `wait_for_kernel_idle` polls ``GET /api/sessions``.
* **Start from a fresh kernel and a fresh workspace.** A kernel outlives the page that started
  it (reloading the page attaches to the old one), so `open_notebook_and_run_all` deletes every
  session first. Lab's default workspace reopens every notebook opened before, each with a
  kernel, so `Lab.notebook_url` opens a new workspace each time.
* **Serve a copy.** Lab autosaves the notebooks it runs, so `start_lab` serves a copy of the
  notebooks, never the repository's files, with its own config, runtime, settings and
  workspaces directories (nothing from ``~/.jupyter``) and the two user settings that keep
  dialogs and toasts away: ``autoStartDefaultKernel`` and no news notification.

The pieces of state:

* `Lab`: one running server (url: ``http://127.0.0.1:PORT``; token: sent on every request;
  root: the copy it serves; runtime_dir: where it writes kernel connection files; process and
  log: the server's process and its output file).
  `Lab.kernel_and_worker_pids()` lists the processes a test may leave behind by mistake.

Waiting is polling with a deadline, never a fixed sleep.
"""

import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from jupyter_client import BlockingKernelClient

CHROMIUM = Path("/usr/bin/chromium")   # Debian's package; `playwright install` cannot download here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
START_TIMEOUT = 60      # seconds for the server to answer /api/status (it takes about 2)
KERNEL_TIMEOUT = 60     # seconds from opening a notebook until its kernel is idle (about 3)
RUN_TIMEOUT = 120       # seconds for Run All to finish, by default
STOPPED_FOR = 2.0       # seconds a half-run notebook must stay so before Run All counts as stopped
STDERR = "application/vnd.jupyter.stderr"   # tracebacks are shown with this type too

# User settings a fresh Lab reads from JUPYTERLAB_SETTINGS_DIR: start the kernel without asking;
# keep every cell in the page (by default Lab 4 leaves cells far out of view out of the DOM, and
# a long notebook would look as if Run All had stopped half-way); and no "get notified about
# Jupyter news?" toast over the bottom-right corner.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        {"autoStartDefaultKernel": True, "windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass
class Lab:
    """A running JupyterLab server, and the REST calls a test needs."""

    url: str
    token: str
    root: Path
    runtime_dir: Path
    process: subprocess.Popen
    log: Path

    def api(self, method: str, path: str):
        """Call the server's REST API; the token header means no XSRF cookie is needed."""
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def sessions(self) -> list:
        return self.api("GET", "/api/sessions")

    def delete_sessions(self) -> None:
        """Shut down every notebook's kernel (the server waits for each to exit)."""
        for session in self.sessions():
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def notebook_url(self, name: str) -> str:
        """The page that opens notebook `name` in a new, empty workspace.

        In the default workspace Lab would reopen every notebook an earlier test opened, each
        with a kernel of its own.
        """
        workspace = f"test-{secrets.token_hex(4)}"
        path = urllib.parse.quote(name)
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?token={self.token}"

    def kernel_and_worker_pids(self) -> set:
        """Live ``ipykernel_launcher`` and ``minispark.worker`` processes started under this Lab.

        They are recognised by the JUPYTER_RUNTIME_DIR they inherited from the server, so that
        other programs on the machine (another test run) are never counted. Zombies have exited.
        """
        marker = f"JUPYTER_RUNTIME_DIR={self.runtime_dir}".encode()
        found = set()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
                environment = Path(f"/proc/{entry}/environ").read_bytes().split(b"\0")
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):   # exited meanwhile, or not ours to read
                continue
            if ((b"ipykernel_launcher" in command or b"minispark.worker" in command)
                    and marker in environment and state not in ("Z", "X")):
                found.add(int(entry))
        return found

    def log_tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:]

    def stop(self) -> None:
        """SIGTERM: the server shuts its kernels down, then exits (a few seconds)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_lab(notebooks: Path, base: Path) -> Lab:
    """Start JupyterLab on 127.0.0.1 serving a copy of `notebooks`; `base` holds all its files.

    Raises RuntimeError with the end of the server's log if the server exits, or does not
    answer within START_TIMEOUT seconds.
    """
    root = base / "root"
    shutil.copytree(notebooks, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name, values in LAB_SETTINGS.items():
        setting = base / "settings" / name
        setting.parent.mkdir(parents=True, exist_ok=True)
        setting.write_text(json.dumps(values))
    runtime_dir = base / "runtime"
    environment = {**os.environ,
                   "JUPYTER_CONFIG_DIR": str(base / "config"),
                   "JUPYTER_DATA_DIR": str(base / "data"),   # no user kernelspecs or extensions
                   "JUPYTER_RUNTIME_DIR": str(runtime_dir),
                   "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
                   "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces")}
    port, token = free_port(), secrets.token_hex(16)
    log = base / "lab.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             # The port was free a moment ago; if someone took it since, fail, don't move on.
             "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=root, env=environment, stdout=log_file, stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, runtime_dir, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            lab.api("GET", "/api/status")
            return lab
        except OSError:   # URLError and ConnectionRefusedError: not listening yet
            if process.poll() is not None or time.monotonic() > deadline:
                problem = (f"exited with code {process.returncode}" if process.poll() is not None
                           else f"did not answer within {START_TIMEOUT} s")
                lab.stop()
                raise RuntimeError(f"JupyterLab {problem}; end of {log}:\n{lab.log_tail()}")
            time.sleep(0.1)   # polling interval; the condition decides


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_kernel_idle(lab: Lab, name: str, page=None, timeout: float = KERNEL_TIMEOUT) -> None:
    """Wait until the server says the kernel of notebook `name` is idle.

    While waiting, accept a "Select Kernel" dialog on `page` if one appears: on a fresh server
    Lab sometimes asks instead of starting the default kernel.
    """
    deadline = time.monotonic() + timeout
    while not any(session["path"] == name and session["kernel"]["execution_state"] == "idle"
                  for session in lab.sessions()):
        if page is not None:
            accept = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
            if accept.count():
                accept.first.click()
        if time.monotonic() > deadline:
            raise TimeoutError(f"the kernel of {name} was not idle after {timeout} s; "
                               f"sessions: {lab.sessions()}")
        time.sleep(0.2)   # polling interval; the condition decides


def open_notebook_and_run_all(page, lab: Lab, name: str, wait: bool = True,
                              timeout: float = RUN_TIMEOUT) -> None:
    """Open notebook `name` (a path relative to the Lab's root) on a fresh kernel and Run All.

    With `wait` (the default), return once every code cell has run; an exception in a cell
    not tagged ``raises-exception`` stops Run All, and that raises AssertionError with the
    error shown. With ``wait=False``, return right after Run All was clicked, to interact with
    widgets while cells are still running.
    """
    lab.delete_sessions()
    page.goto(lab.notebook_url(name), wait_until="domcontentloaded")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=KERNEL_TIMEOUT * 1000)
    wait_for_kernel_idle(lab, name, page)
    # Stored outputs and execution counts would look like a finished run; clear them first.
    click_menu(page, "Edit", "Clear Outputs of All Cells")
    click_menu(page, "Run", "Run All Cells")
    if wait:
        wait_for_run_all(page, timeout)


def click_menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


# A code cell's prompt reads "[ ]:" before it runs, "[*]:" while queued or running, "[3]:" after.
_RUN_STATE = """() => {
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
    const prompts = cells.map(cell => cell.querySelector('.jp-InputPrompt')?.textContent ?? '');
    if (prompts.some(p => p.includes('*'))) return 'running';
    const ran = cells.filter((cell, i) => /\\d/.test(prompts[i]));
    const empty = cells.filter(cell => !cell.querySelector('.cm-content')?.textContent.trim());
    if (ran.length + empty.length >= cells.length) return 'done';
    return ran.length ? 'stopped' : 'not started';
}"""


def wait_for_run_all(page, timeout: float = RUN_TIMEOUT) -> None:
    """Wait until every non-empty code cell has an execution count; fail if Run All stopped.

    Lab may send a cell only once the one before it has answered, so for a moment after each
    cell no prompt shows ``*``: a run looks stopped only when it stays so for STOPPED_FOR seconds.
    """
    deadline = time.monotonic() + timeout
    stopped_since = None
    while (state := page.evaluate(_RUN_STATE)) != "done":
        now = time.monotonic()
        if state == "stopped":
            stopped_since = stopped_since or now
            if now - stopped_since >= STOPPED_FOR:
                stderr = page.locator(f".jp-OutputArea-output[data-mime-type='{STDERR}']")
                raise AssertionError("Run All stopped at an exception:\n"
                                     + "\n".join(stderr.all_inner_texts()))
        else:
            stopped_since = None
        if now > deadline:
            raise TimeoutError(f"Run All was still {state} after {timeout} s")
        page.wait_for_timeout(100)   # polling interval; the condition decides


def kernel_eval(lab: Lab, name: str, expression: str, timeout: float = 30) -> str:
    """Evaluate `expression` in the kernel of notebook `name`; return its repr (text/plain).

    Lets a browser test check the Python side of what it clicked (``model.stages[1].attempts``)
    without a cell in the notebook. The request is silent: no execution count, no output in the
    page. A kernel busy running a cell answers when that cell ends.
    """
    kernel_id = next(session["kernel"]["id"] for session in lab.sessions()
                     if session["path"] == name)
    client = BlockingKernelClient(
        connection_file=str(lab.runtime_dir / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    try:
        msg_id = client.execute("", silent=True, user_expressions={"value": expression})
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"{name}'s kernel did not answer within {timeout} s") from None
            if reply["parent_header"].get("msg_id") == msg_id:
                break
    finally:
        client.stop_channels()
    value = reply["content"]["user_expressions"]["value"]
    if value["status"] != "ok":
        raise RuntimeError(f"{expression!r} raised {value['ename']}: {value['evalue']}")
    return value["data"]["text/plain"]


def describe_processes(pids) -> str:
    lines = []
    for pid in sorted(pids):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except FileNotFoundError:
            command = "(exited)"
        lines.append(f"  pid {pid}: {command}")
    return "\n".join(lines)
