"""Task metrics, added up per stage: the numbers of the Spark UI's Stages tab.

Every task measures what it did on its worker (``taskcontext.TaskMetrics``) and sends the
numbers back with its result; the scheduler puts them into the task's ``TaskEnded`` event:

* ``records_read``: records the task read from its input (a shuffle, for a reduce task);
* ``shuffle_records_written``, ``shuffle_bytes_written``: what a *map* task of a shuffle wrote
  into its shuffle file, after the map-side combine;
* ``shuffle_bytes_read``: what a *reduce* task read from the map tasks' shuffle files;
* ``spill_bytes``: what a task wrote to temporary files because its data did not fit in memory.

``StageMetrics`` is a listener that adds these up per stage, counting each partition of a stage
attempt once (the first attempt that succeeded: a failed attempt's output is thrown away, and a
speculative copy's duplicate result is ignored by the scheduler too). Use it around the actions
you want to measure:

>>> from operator import add
>>> words = sc.parallelize(["a", "b", "a", "a"], 2).map(lambda word: (word, 1))
>>> with StageMetrics(sc) as grouped:
...     _ = words.groupByKey().collect()
>>> with StageMetrics(sc) as reduced:
...     _ = words.reduceByKey(add).collect()
>>> grouped.shuffle_records_written, reduced.shuffle_records_written
(4, 3)

``reduceByKey`` combined ``("a", 1), ("a", 1)`` into ``("a", 2)`` inside the first map task, so
one record less crossed the shuffle. In Spark you read the same kind of numbers in the web UI
(Stages tab: *Shuffle Write*, *Shuffle Read*); MiniSpark has no web UI, so it gives them to you
as an object, and the Jupyter explorer prints them next to each stage. (PySpark hands records to
the JVM in pickled batches, so there the record counts are batches; the bytes compare.)
"""

from dataclasses import dataclass

from . import events

COUNTED = ("records_read", "shuffle_records_written", "shuffle_bytes_written",
           "shuffle_bytes_read", "spill_bytes")


@dataclass
class StageTotals:
    """The metrics of one stage's successful tasks, added up."""

    stage_id: int
    name: str
    tasks: int = 0                      # successful task attempts counted
    records_read: int = 0
    shuffle_records_written: int = 0
    shuffle_bytes_written: int = 0
    shuffle_bytes_read: int = 0
    spill_bytes: int = 0


class StageMetrics:
    """Adds up the task metrics of every stage that runs while it listens.

    Use it as a context manager (``with StageMetrics(sc) as metrics: ...``), or call
    ``start()`` and ``stop()``; or call it with events yourself (``StageMetrics(None)``, as the
    Jupyter explorer's model does). ``metrics.stages`` maps stage id to ``StageTotals``; the
    properties add up all stages; ``print(metrics)`` shows a table, one stage a line.
    """

    def __init__(self, sc):
        self.sc = sc
        self.stages: dict = {}        # stage id -> StageTotals, in the order the stages ran
        self._counted: set = set()    # (stage id, stage attempt, partition) already added up

    # ---- listening ---------------------------------------------------------------------------
    def start(self) -> "StageMetrics":
        # Synchronous: every event is counted before the action that caused it returns.
        self.sc.addSparkListener(self, synchronous=True)
        return self

    def stop(self) -> None:
        self.sc.removeSparkListener(self)

    def __enter__(self) -> "StageMetrics":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __call__(self, event) -> None:
        if isinstance(event, events.StageSubmitted):
            self.stages.setdefault(event.stage_id, StageTotals(event.stage_id, event.name))
        elif isinstance(event, events.TaskEnded) and event.status == "success":
            key = (event.stage_id, event.stage_attempt, event.partition)
            if key in self._counted or event.stage_id not in self.stages:
                return
            self._counted.add(key)
            totals = self.stages[event.stage_id]
            totals.tasks += 1
            for name in COUNTED:
                setattr(totals, name, getattr(totals, name) + event.metrics.get(name, 0))

    # ---- reading -----------------------------------------------------------------------------
    @property
    def shuffle_records_written(self) -> int:
        return sum(stage.shuffle_records_written for stage in self.stages.values())

    @property
    def shuffle_bytes_written(self) -> int:
        return sum(stage.shuffle_bytes_written for stage in self.stages.values())

    @property
    def shuffle_bytes_read(self) -> int:
        return sum(stage.shuffle_bytes_read for stage in self.stages.values())

    @property
    def spill_bytes(self) -> int:
        return sum(stage.spill_bytes for stage in self.stages.values())

    def __str__(self) -> str:
        if not self.stages:
            return "No stage ran while these metrics were listening."
        # The name (with its call site, such as "map at In[7]:3") comes last, so the columns of
        # numbers line up the same way whatever the length of the names: a lesson that prints
        # this table shows the same text in every run, whatever its cells are numbered.
        lines = [f"{'stage':>5}  {'tasks':>5}  {'shuffle write':>26}  {'shuffle read':>12}  name"]
        for stage in self.stages.values():
            written = (f"{stage.shuffle_records_written:,} records, "
                       f"{format_bytes(stage.shuffle_bytes_written)}"
                       if stage.shuffle_records_written else "")
            read = format_bytes(stage.shuffle_bytes_read) if stage.shuffle_bytes_read else ""
            lines.append(f"{stage.stage_id:>5}  {stage.tasks:>5}  {written:>26}  {read:>12}  "
                         f"{stage.name}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"StageMetrics({len(self.stages)} stages, shuffle write "
                f"{self.shuffle_records_written:,} records / "
                f"{format_bytes(self.shuffle_bytes_written)})")


def format_bytes(size: int) -> str:
    """``size`` in B, KiB or MiB, as the Spark UI writes it.

    >>> format_bytes(512), format_bytes(2048), format_bytes(3 * 1024 * 1024)
    ('512 B', '2.0 KiB', '3.0 MiB')
    """
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.1f} MiB"
