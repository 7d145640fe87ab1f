"""nbval_sanitize.cfg: each pattern turns a run-dependent detail into a fixed word, once.

nbval sanitizes both the stored and the fresh output before comparing them, so a pattern must
make two runs equal and must leave its own result alone (the pitfall hit before: ``0x[0-9a-f]+``
-> ``0xADDR`` turned a stored ``0xADDR`` into ``0xADDRR``, and ``640x480`` into ``640xADDR``).
The file is read with nbval's own parser, as ``pytest --nbval`` reads it.
"""

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

CONFIG = Path(__file__).parents[1] / "nbval_sanitize.cfg"
PATTERNS = get_sanitize_patterns(CONFIG.read_text())

EXAMPLES = [
    # (fresh output, what the comparison sees)
    ("(2) MapPartitionsRDD[1] at map at 2211026219.py:3 []",
     "(2) MapPartitionsRDD[1] at map at <cell>:3 []"),
    ("File /tmp/ipykernel_7710/2211026219.py:3, in broken(x)", "File <cell>:3, in broken(x)"),
    ("/var/folders/x_/b1/T/ipykernel_99/12.py:7", "<cell>:7"),
    ("File <ipython-input-3-4c5e8e6b1f2a>:2", "File <cell>:2"),
    ("collect at wordcount.py:12", "collect at wordcount.py:12"),   # a real file keeps its name
    ("Job 0 finished: collect took 1.23 s", "Job 0 finished: collect took <N> s"),
    ("Stage 1 took 12 ms", "Stage 1 took <N> ms"),
    ("WorkerAdded(worker_id=0, pid=4242, time=1732392000.123)",
     "WorkerAdded(worker_id=0, pid=<pid>, time=<t>)"),
    ("TaskEnded(task_id=3, duration=4.2e-05, runtime=1)",
     "TaskEnded(task_id=3, duration=<t>, runtime=1)"),
    ("2026-11-22T10:00:00.123456 job started", "<TIMESTAMP> job started"),
    ("<object object at 0x7f87925a73b0>", "<object object at 0x<addr>>"),
    ("<Figure size 640x480 with 1 Axes>", "<Figure size 640x480 with 1 Axes>"),
    ("Worker 1 (pid 4242) was lost", "Worker 1 (pid <pid>) was lost"),
    ("Job 0 started: collect at In[7]:1.", "Job 0 started: collect at In[<n>]:1."),
    ("DAGExplorer(job 3: 2 stages, running)", "DAGExplorer(job 3: 2 stages, <status>)"),
    ("<div class='minispark-snapshot'><p>x</p>\n<svg>\n</svg></div>",
     "<minispark explorer snapshot>"),
    ("Task 3 of stage 1 failed on worker 0 (attempt 0)",
     "Task 3 of stage 1 failed on worker <n> (attempt 0)"),
    ("<span class='ms-task ms-task-done' data-partition='2' title='t'>1</span>",
     "<span class='ms-task ms-task-done' data-partition='2' title='t'></span>"),
    ("/tmp/minispark-4242-k3j_x9ab/shuffle_0", "/tmp/minispark-<pid>-<dir>/shuffle_0"),
]


def sanitize(text: str) -> str:
    """What nbval does: every pattern in file order (nbval keeps them in an OrderedDict)."""
    for regex, replace in dict(PATTERNS).items():
        text = re.sub(regex, replace, text)
    return text


def test_the_file_has_patterns():
    assert len(PATTERNS) >= 9


@pytest.mark.parametrize("output, expected", EXAMPLES)
def test_pattern_makes_runs_equal(output, expected):
    assert sanitize(output) == expected


@pytest.mark.parametrize("output, expected", EXAMPLES)
def test_sanitized_output_stays_as_it_is(output, expected):
    assert sanitize(expected) == expected
