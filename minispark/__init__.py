"""MiniSpark: a small, honest Spark in pure Python, for learning how Spark works.

The API is PySpark's (``SparkContext``, ``RDD``, ``StorageLevel``, ``Broadcast``,
``Accumulator``), so lesson code runs unchanged on a real Spark cluster. Underneath, every part
is real and small enough to read: lineage (:mod:`rdd`, :mod:`dependencies`), stages
(:mod:`planner`), scheduling (:mod:`scheduler`), worker processes (:mod:`pool`,
:mod:`worker`), shuffles on the workers (:mod:`shuffle`), caches on the workers
(:mod:`storage`), and one event stream for everything that happens (:mod:`events`).
"""

__version__ = "0.1.0"

from .accumulators import Accumulator, AccumulatorParam
from .broadcast import Broadcast
from .conf import SparkConf
from .context import SparkContext
from .errors import SparkException, TaskFailedError
from .partitioner import Partitioner
from .rdd import RDD
from .resultiterable import ResultIterable
from .stats import StatCounter
from .storagelevel import StorageLevel
from .taskcontext import TaskContext

__all__ = [
    "SparkConf", "SparkContext", "RDD", "StorageLevel", "Broadcast", "Accumulator",
    "AccumulatorParam", "TaskContext", "StatCounter", "Partitioner", "ResultIterable",
    "SparkException", "TaskFailedError",
]


def load_ipython_extension(ipython):
    """``%load_ext minispark``: hand over to the Jupyter layer (package minispark_widgets)."""
    try:
        import minispark_widgets
    except ImportError as error:
        raise ImportError(
            "The %minispark magics live in the Jupyter layer, which is not installed. "
            "Install it with: pip install -e widgets/   (or run: python3 kit.py lab)") from error
    minispark_widgets.load_ipython_extension(ipython)
