"""kit.py: the one command a newcomer to MiniSpark needs.

    python3 kit.py test [pytest args...]   run the tests (CI runs exactly `python3 kit.py test`)
    python3 kit.py lab                     run the examples (later: open JupyterLab)

Both commands first set up the project's virtual environment, in this order:

1. Create `.venv/` in the repository root with `python3 -m venv`, or reuse it if its
   pip works. Debian's system Python may lack `ensurepip` (it lives in the `python3-venv`
   package), so when venv fails we install `virtualenv` into a temporary directory with
   pip and let it create `.venv/` instead.
2. Install MiniSpark into it, editable, with the `test` extra (`pip install -e .[test]`).
   A stamp file, `.venv/kit-pyproject.sha256`, holds the hash of the pyproject.toml we
   installed from; while it matches, the install is skipped.
3. Run the command with `.venv/bin/python`.

Each step prints one line starting with "kit:". The script uses the standard library
only, because it runs before anything is installed.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / "kit-pyproject.sha256"
PYTEST_NO_TESTS_COLLECTED = 5


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

def install_project():
    """`pip install -e .[test]` into .venv, unless pyproject.toml is unchanged since the last time."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        step("pyproject.toml unchanged since the last install; skipping pip install")
        return
    step("installing minispark and its test tools into .venv (pip install -e .[test])")
    code = run([VENV_PYTHON, "-m", "pip", "install", "--quiet",
                "--disable-pip-version-check", "-e", ".[test]"], cwd=ROOT)
    if code != 0:
        sys.exit(f"kit: pip install failed (exit {code}); see pip's message above")
    STAMP.write_text(digest + "\n")


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


def set_up():
    create_venv()
    install_project()


# --- Step 3: the commands -------------------------------------------------------------

def test(pytest_args):
    """Run pytest in .venv; "no tests collected" counts as a failure."""
    set_up()
    step(f"running pytest {' '.join(pytest_args)}".rstrip())
    code = run([VENV_PYTHON, "-m", "pytest", *pytest_args], cwd=ROOT)
    if code == PYTEST_NO_TESTS_COLLECTED:
        print("kit: pytest collected no tests (exit 5); a run that tests nothing is a failure",
              file=sys.stderr)
        return 1
    return code


def lab():
    """Run the examples; this is where JupyterLab will be installed and started.

    The Jupyter layer does not exist yet, so for now the lab is examples/wordcount.py.
    When it does, this function installs jupyterlab into .venv and runs
    `jupyter lab notebooks/` instead.
    """
    set_up()
    step("running examples/wordcount.py")
    return run([VENV_PYTHON, ROOT / "examples" / "wordcount.py"], cwd=ROOT)


def main(argv):
    if sys.version_info < (3, 10):
        sys.exit("kit: MiniSpark needs Python 3.10 or newer")
    parser = argparse.ArgumentParser(
        prog="python3 kit.py", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["test", "lab"], help="what to do")
    parser.add_argument("args", nargs=argparse.REMAINDER,
                        help="for `test`: arguments passed on to pytest (try `test --help`)")
    if not argv:
        parser.print_help()
        return 2
    options = parser.parse_args(argv)
    if options.command == "test":
        return test(options.args)
    if options.args:
        parser.error("`lab` takes no arguments")
    return lab()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
