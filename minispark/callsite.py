"""Where in the user's code an RDD was made, for ``toDebugString`` and the DAG pictures.

Spark labels every RDD with its *call site*: the operation and the first line of user code on
the stack (``map at wordcount.py:12``). We walk up the stack past MiniSpark's own frames.
"""

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_call_site() -> str:
    """Return ``file:line`` of the nearest caller outside the minispark package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            return f"{_short_name(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>:0"


def _short_name(filename: str) -> str:
    if filename.startswith("<"):
        return filename  # <stdin>, <ipython-input-3-...>, <doctest ...>
    return os.path.basename(filename)
