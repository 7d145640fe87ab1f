"""The benchmark's own Python environment, ``bench/.venv-bench``, with Dask and PySpark.

The comparison engines are heavy (PySpark is a few hundred MB), so they are not part of the
project's dependencies and the test suite never installs them. ``ensure_bench_env`` makes a
virtual environment from the running Python (``python -m venv``), installs ``REQUIREMENTS`` and
the repository itself (editable) with pip, and writes a stamp file so later runs reuse it. Every
engine, MiniSpark included, then runs with that one interpreter, so they are compared on the
same Python.

When setting it up fails (no network, no ``venv`` module), the benchmark goes on with the running
Python and the engines that cannot be imported there are skipped, with the reason in the table.
"""

import os
import subprocess
import sys
import warnings

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
VENV_DIR = os.path.join(BENCH_DIR, ".venv-bench")
REQUIREMENTS = ["dask[bag]", "pyspark", "cloudpickle", "psutil"]
STAMP = os.path.join(VENV_DIR, "bench-requirements.txt")
INSTALL_TIMEOUT = 30 * 60


def venv_python() -> str:
    folder, name = ("Scripts", "python.exe") if os.name == "nt" else ("bin", "python")
    return os.path.join(VENV_DIR, folder, name)


def ensure_bench_env(log=print) -> str:
    """Return the Python to run the engines with: the bench venv's, or else the running one."""
    wanted = "\n".join(REQUIREMENTS + [f"-e {REPO_DIR}"])
    if os.path.exists(STAMP) and open(STAMP).read() == wanted:
        return venv_python()
    log(f"setting up {VENV_DIR} (pip install {' '.join(REQUIREMENTS)} and -e {REPO_DIR}); "
        "this takes a few minutes the first time")
    steps = [
        [sys.executable, "-m", "venv", VENV_DIR],
        [venv_python(), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
        [venv_python(), "-m", "pip", "install", "--quiet", "-e", REPO_DIR],
    ]
    for step in steps:
        try:
            subprocess.run(step, check=True, capture_output=True, text=True,
                           timeout=INSTALL_TIMEOUT)
        except (OSError, subprocess.SubprocessError) as exc:
            detail = getattr(exc, "stderr", None) or repr(exc)
            warnings.warn(f"bench environment set-up failed at `{' '.join(step)}`:\n"
                          f"{detail[-2000:]}\ngoing on with {sys.executable}; the engines it "
                          "cannot import will be skipped", stacklevel=2)
            return sys.executable
    with open(STAMP, "w") as f:
        f.write(wanted)
    return venv_python()
