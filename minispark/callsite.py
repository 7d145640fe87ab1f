"""Where in the user's code an RDD was made, for ``toDebugString`` and the DAG pictures.

Spark labels every RDD with its *call site*: the operation and the first line of user code on
the stack (``map at wordcount.py:12``). We walk up the stack past MiniSpark's own frames.

Some operations build several RDDs: ``distinct()`` is a ``map``, a ``reduceByKey`` and another
``map``. Spark labels all three with the operation the user called (``distinct at
wordcount.py:14``; its web UI draws them in one box named ``distinct``, an *operation scope*).
``user_call`` finds that operation: the last MiniSpark frame before the user's code.
"""

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# How to name a file of user code; the Jupyter layer names notebook cells (``In[3]``) here.
_name_formatters: list = []


def register_name_formatter(formatter) -> None:
    """Use ``formatter(filename) -> str | None`` to name call sites (None: not mine)."""
    if formatter not in _name_formatters:
        _name_formatters.append(formatter)


def user_call():
    """``(operation, "file:line")``: the MiniSpark function the user's code called, and where.

    One walk up the stack, past MiniSpark's own frames: the first frame outside the package is
    the user's line; the last one inside is the operation it called. ``sc.parallelize(data)
    .distinct()`` makes three RDDs, and for each the operation is ``distinct``. It is None for
    a function with no public name (a lambda, a private helper such as ``__add__``).
    """
    frame, called = sys._getframe(1), None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            public = called is not None and called.isidentifier() and not called.startswith("_")
            return (called if public else None), f"{_short_name(filename)}:{frame.f_lineno}"
        called = frame.f_code.co_name
        frame = frame.f_back
    return None, "<unknown>:0"


def user_call_site() -> str:
    """Return ``file:line`` of the nearest caller outside the minispark package."""
    return user_call()[1]


def _short_name(filename: str) -> str:
    for formatter in _name_formatters:
        name = formatter(filename)
        if name:
            return name
    if filename.startswith("<"):
        return filename  # <stdin>, <ipython-input-3-...>, <doctest ...>
    return os.path.basename(filename)
