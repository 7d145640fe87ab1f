"""Run notebooks top to bottom and store their outputs, ready for nbval to compare.

    .venv/bin/python tools/store_outputs.py notebooks/*.ipynb notebooks/coursework/solutions/*.ipynb

Each notebook runs in a fresh kernel (its own folder as working directory). Then, so that the
stored outputs are the same on every run and on every machine:

* text outputs pass through ``nbval_sanitize.cfg`` (the same rules nbval applies),
* widget views lose their random model ids (nbval ignores them; the widget's ``text/plain``
  and our static ``text/html`` snapshot stay, so a notebook opened without a kernel still
  shows the DAG),
* cells tagged ``nbval-ignore-output`` (or starting with ``# NBVAL_IGNORE_OUTPUT``) keep no
  output, and no execution timings or widget state are stored.

Run it after changing a lesson, look at the diff, commit the notebook.
"""

import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The rules above the "compare only" line of nbval_sanitize.cfg: the ones below it (the DAG
# snapshot, cell numbers) must stay in the stored notebook, which readers without a kernel see.
SANITIZERS = re.findall(r"^regex: (.*)$\n^replace: (.*)$",
                        (ROOT / "nbval_sanitize.cfg").read_text().split("# ---- compare only")[0],
                        re.MULTILINE)


def ignored(cell) -> bool:
    return "nbval-ignore-output" in cell.metadata.get("tags", []) or any(
        line.strip().lstrip("#").strip() == "NBVAL_IGNORE_OUTPUT" for line in cell.source.splitlines())


def sanitize(text: str) -> str:
    for pattern, replacement in SANITIZERS:
        text = re.sub(pattern, replacement, text)
    return text


def store_outputs(path: Path, timeout: int = 300) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            record_timing=False, store_widget_state=False,
                            coalesce_streams=True)   # one print, one output, on every run
    client.execute()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if ignored(cell):
            cell.outputs = []
            continue
        for output in cell.outputs:
            if "text" in output:
                output.text = sanitize(output.text)
            data = output.get("data", {})
            data.pop(WIDGET_VIEW, None)
            for kind, value in data.items():
                if kind.startswith("text/") and isinstance(value, str):
                    data[kind] = sanitize(value)
    notebook.metadata.pop("widgets", None)
    notebook.metadata.get("language_info", {}).pop("version", None)
    nbformat.write(notebook, path)


def main(paths):
    if not paths:
        print(__doc__)
        return 2
    for name in paths:
        print(f"running {name}", flush=True)
        store_outputs(Path(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
