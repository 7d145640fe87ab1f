"""kit.py: the one command a newcomer to MiniSpark needs.

    python3 kit.py lab                     open the notebooks in JupyterLab
    python3 kit.py test [pytest args...]   run the tests (CI runs exactly `python3 kit.py test`)
    python3 kit.py example                 run examples/wordcount.py, with a text progress bar

Every command first sets up the project's virtual environment, in this order:

1. Create `.venv/` in the repository root with `python3 -m venv`, or reuse it if its
   pip works. Debian's system Python may lack `ensurepip` (it lives in the `python3-venv`
   package), so when venv fails we install `virtualenv` into a temporary directory with
   pip and let it create `.venv/` instead.
2. Install what the command needs into it, editable (`pip install -e ...`, see INSTALLS):
   the engine for `example`; the engine with its `lab` extra (JupyterLab, ipykernel) and
   the Jupyter layer in widgets/ for `lab`; all that and the `test` extra (pytest, nbval,
   Playwright ...) for `test`. The package lists live in pyproject.toml, not here. A stamp
   file per command, `.venv/kit-<command>.sha256`, holds a hash of the pip arguments, of
   pyproject.toml and of widgets/pyproject.toml; while it matches, the install is skipped.
3. For `test` only: make sure Debian's `chromium` is installed, for the browser tests in
   tests/browser/ (as root with apt-get; otherwise kit prints the command, and those tests
   skip, saying why).
4. Run the command with `.venv/bin/python`.

Each step prints one line starting with "kit:". The script uses the standard library
only, because it runs before anything is installed.
"""
import argparse
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
WIDGETS = ROOT / "widgets"
NOTEBOOKS = ROOT / "notebooks"
PYTEST_NO_TESTS_COLLECTED = 5
LAB_PORT = 8888   # JupyterLab's usual port, when it is free

# What each command installs, editable: "." is the engine with the extras named in
# brackets (pyproject.toml lists their packages); "widgets/" is the Jupyter layer.
INSTALLS = {
    "example": ["."],
    "lab": [".[lab]", "widgets/"],
    "test": [".[test,lab]", "widgets/"],
}


def step(message):
    print(f"kit: {message}", flush=True)


def run(command, **kwargs):
    """Run `command` (a list), let its output through, and return its exit code."""
    code = subprocess.call([str(part) for part in command], **kwargs)
    # A child killed by a signal reports -signal; shells report 128 + signal.
    return 128 - code if code < 0 else code


# --- Step 1: the virtual environment ------------------------------------------------

def venv_works():
    return VENV_PYTHON.exists() and run(
        [VENV_PYTHON, "-m", "pip", "--version"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


def create_venv():
    """Make `.venv` hold a Python with a working pip, reusing a good one."""
    if venv_works():
        step(f"reusing {VENV.name}/")
        return
    if VENV.exists():
        step(f"{VENV.name}/ has no working pip; removing it")
        shutil.rmtree(VENV)
    step(f"creating {VENV.name}/ (python3 -m venv)")
    if run([sys.executable, "-m", "venv", VENV]) == 0 and venv_works():
        return
    # venv leaves a half-made directory behind when ensurepip is missing.
    shutil.rmtree(VENV, ignore_errors=True)
    create_venv_with_virtualenv(VENV)
    if not venv_works():
        sys.exit(f"kit: could not create {VENV}; on Debian, `apt-get install python3-venv` fixes this")


def create_venv_with_virtualenv(destination):
    """Create a virtual environment at `destination` with virtualenv, which brings its own pip.

    virtualenv goes into a temporary directory (`pip install --target`), not into the
    user's site-packages: --target is also exempt from Debian's "externally managed
    environment" refusal (PEP 668), which blocks `pip install --user` there.
    """
    with tempfile.TemporaryDirectory(prefix="kit-virtualenv-") as scratch:
        step(f"venv failed; installing virtualenv into {scratch} (pip install --target)")
        code = run([sys.executable, "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "--target", scratch, "virtualenv"])
        if code != 0:
            sys.exit("kit: neither venv nor pip works with this Python; "
                     "on Debian, `apt-get install python3-venv python3-pip` fixes this")
        step(f"creating {Path(destination).name}/ (python3 -m virtualenv)")
        environment = {**os.environ, "PYTHONPATH": scratch}
        run([sys.executable, "-m", "virtualenv", "--quiet", destination], env=environment)


# --- Step 2: the project, installed editable -----------------------------------------

def install_project(command):
    """`pip install -e` what `command` needs into .venv, unless nothing changed since last time."""
    projects = INSTALLS[command]
    if "widgets/" in projects and not (WIDGETS / "pyproject.toml").exists():
        step("widgets/pyproject.toml not found; skipping the Jupyter layer "
             "(`%load_ext minispark` will not work)")
        projects = [project for project in projects if project != "widgets/"]
    pip_arguments = [argument for project in projects for argument in ("-e", project)]
    digest = install_digest(pip_arguments)
    stamp = VENV / f"kit-{command}.sha256"
    if stamp.exists() and stamp.read_text().strip() == digest:
        step("nothing changed since the last install; skipping pip install")
        return
    step(f"installing into .venv: pip install {' '.join(pip_arguments)}")
    code = run([VENV_PYTHON, "-m", "pip", "install", "--quiet",
                "--disable-pip-version-check", *pip_arguments], cwd=ROOT)
    if code != 0:
        sys.exit(f"kit: pip install failed (exit {code}); see pip's message above")
    stamp.write_text(digest + "\n")


def install_digest(pip_arguments):
    """A hash of what an install depends on: its pip arguments and the two pyproject files."""
    digest = hashlib.sha256(" ".join(pip_arguments).encode())
    for pyproject in (ROOT / "pyproject.toml", WIDGETS / "pyproject.toml"):
        digest.update(pyproject.read_bytes() if pyproject.exists() else b"(none)")
    return digest.hexdigest()


def ensure_system_packages(names):
    """Make sure the Debian packages `names` are installed (e.g. "chromium" for browser tests).

    As root, missing packages are installed with apt-get. Otherwise, or without dpkg,
    this prints how to install them and carries on: the tests that need them say so.
    """
    if shutil.which("dpkg") is None:
        step(f"cannot check for system packages {' '.join(names)} (no dpkg); "
             "install them with your package manager if tests ask for them")
        return
    missing = [name for name in names
               if run(["dpkg", "-s", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0]
    if not missing:
        return
    command = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        step(f"missing system packages; install them with: sudo {' '.join(command)}")
        return
    step(f"installing system packages ({' '.join(command)})")
    apt_environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # A fresh machine has empty package lists, so update them before installing.
    if (run(["apt-get", "update", "-qq"], env=apt_environment) != 0
            or run(command, env=apt_environment) != 0):
        step(f"apt-get could not install {' '.join(missing)}; continuing without them")


def set_up(command):
    create_venv()
    install_project(command)


# --- Step 3: the commands -------------------------------------------------------------

def test(pytest_args):
    """Run pytest in .venv; "no tests collected" counts as a failure.

    pyproject.toml gives pytest its paths (tests/, minispark/ and notebooks/, whose notebooks
    nbval runs and compares) and options, so a bare `pytest` in .venv runs the same tests.
    """
    set_up("test")
    ensure_system_packages(["chromium"])   # for tests/browser/; without it they skip
    step(f"running pytest {' '.join(pytest_args)}".rstrip())
    code = run([VENV_PYTHON, "-m", "pytest", *pytest_args], cwd=ROOT)
    if code == PYTEST_NO_TESTS_COLLECTED:
        print("kit: pytest collected no tests (exit 5); a run that tests nothing is a failure",
              file=sys.stderr)
        return 1
    return code


def lab():
    """Start JupyterLab on notebooks/, on localhost; it opens a browser when there is one.

    Stop it with Ctrl-C in this terminal (Jupyter asks to confirm; press Ctrl-C twice to stop
    at once). kit waits for it meanwhile instead of exiting on the first Ctrl-C.
    """
    set_up("lab")
    NOTEBOOKS.mkdir(exist_ok=True)
    port, token = lab_port(), secrets.token_hex(16)
    command = [VENV_PYTHON, "-m", "jupyterlab", "--notebook-dir", NOTEBOOKS,
               "--ServerApp.ip=localhost", f"--ServerApp.port={port}",
               # We print the URL below, so the port must be the one we chose.
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")   # Jupyter refuses to run as root without it
    step("starting JupyterLab on notebooks/")
    lab_process = subprocess.Popen([str(part) for part in command], cwd=ROOT)
    base_url = f"http://localhost:{port}"
    try:
        if wait_for_lab(lab_process, base_url, token):
            # Jupyter prints its URL with the token hidden, above many lines of its log.
            step(f"JupyterLab is at {base_url}/lab?token={token} (Ctrl-C to stop it)")
    except KeyboardInterrupt:
        pass
    while True:
        try:
            code = lab_process.wait()
            return 128 - code if code < 0 else code
        except KeyboardInterrupt:
            continue   # Ctrl-C reached Jupyter too; it decides whether to stop


def wait_for_lab(lab_process, base_url, token, timeout=60):
    """Poll until the server answers (True), or exits or takes longer than `timeout` (False)."""
    request = urllib.request.Request(f"{base_url}/api/status",
                                     headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + timeout
    while lab_process.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=1):
                return True
        except OSError:
            time.sleep(0.2)   # polling interval; the condition decides
    return False


def lab_port():
    """LAB_PORT if nothing listens there, else a free port the system picks."""
    with socket.socket() as probe:
        try:
            probe.bind(("localhost", LAB_PORT))
        except OSError:
            probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def example():
    """Run examples/wordcount.py: a word count with the console progress bar."""
    set_up("example")
    step("running examples/wordcount.py")
    return run([VENV_PYTHON, ROOT / "examples" / "wordcount.py"], cwd=ROOT)


def main(argv):
    if sys.version_info < (3, 10):
        sys.exit("kit: MiniSpark needs Python 3.10 or newer")
    parser = argparse.ArgumentParser(
        prog="python3 kit.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["lab", "test", "example"], help="what to do")
    parser.add_argument("args", nargs=argparse.REMAINDER,
                        help="for `test`: arguments passed on to pytest (try `test --help`)")
    if not argv:
        parser.print_help()
        return 2
    options = parser.parse_args(argv)
    if options.command == "test":
        return test(options.args)
    if options.args:
        parser.error(f"`{options.command}` takes no arguments")
    return lab() if options.command == "lab" else example()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
