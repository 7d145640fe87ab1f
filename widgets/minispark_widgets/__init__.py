"""The Jupyter layer of MiniSpark: ``%load_ext minispark``, magics and a live DAG explorer.

* :mod:`model`: the explorer's state, rebuilt from scheduler events only;
* :mod:`layout` and :mod:`render`: the lineage DAG with its stage boxes, as SVG;
* :mod:`explorer` and :mod:`workers`: the ipywidgets views, with buttons that break workers;
* :mod:`timeline`: tasks per worker over time, with matplotlib;
* :mod:`live`: live explorers for the jobs of a ``%%minispark`` cell;
* :mod:`magics`: ``%minispark start | status | stop | dag | kill | slow | fail | chaos |
  clear | timeline | replay`` and ``%%minispark``;
* :mod:`quiz`: self-check questions; :mod:`grade`: grades coursework notebooks
  (``python -m minispark_widgets.grade``).
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython):
    """Register the magics (``%load_ext minispark``); loading twice is harmless."""
    from minispark.callsite import register_name_formatter

    from .magics import MiniSparkMagics

    ipython.register_magics(MiniSparkMagics)
    register_name_formatter(cell_name)
    _warm_up_layout()


def _warm_up_layout():
    """Lay out a tiny plan once: Graphviz's first layout is slow, and should not be a job's."""
    from .layout import layout_plan

    layout_plan({"stages": [{"stage_id": 0, "kind": "ResultStage", "name": "warm-up", "num_tasks": 1,
                             "parent_ids": [], "rdd_ids": [0]}],
                 "rdds": [{"rdd_id": 0, "name": None, "op_name": "warm-up", "class_name": "RDD",
                           "call_site": "", "num_partitions": 1, "storage_level": None,
                           "parents": [], "stage_id": 0}]})


def cell_name(filename):
    """Name call sites in notebook cells as IPython's tracebacks do: ``In[3]``."""
    from IPython import get_ipython

    shell = get_ipython()
    names = getattr(getattr(shell, "compile", None), "_filename_map", {})
    count = names.get(filename)
    return f"In[{count}]" if count is not None else None
