"""``%minispark`` and ``%%minispark``: the notebook's handles on the engine.

Each subcommand parses its arguments, calls the engine, and shows the result; mistakes raise
IPython's ``UsageError``, which a notebook shows as one line that says how to fix it.

    %minispark start [--workers N] [--conf KEY=VALUE ...]   start a context; `sc` is ready
    %minispark status                                       workers, jobs and cached RDDs
    %minispark stop                                         stop the context
    %minispark dag EXPRESSION                               draw an RDD's plan, run nothing
    %minispark kill WORKER                                  SIGKILL a worker
    %minispark slow WORKER SECONDS                          each task on WORKER takes longer
    %minispark fail [--stage S] [--partition P] [--worker W] [--times N]
    %minispark chaos PROBABILITY --seed N                   kill workers at random task starts
    %minispark clear                                        end all injected faults
    %minispark timeline                                     tasks per worker of the last job
    %minispark replay EVENT_LOG                             redraw a recorded run

    %%minispark                                             run the cell with live explorers

``%minispark SUBCOMMAND --help`` explains one subcommand.
"""

import argparse
import shlex

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import display

from minispark import SparkConf, SparkContext
from minispark.rdd import RDD

from .live import LiveCell, in_kernel
from .model import ExplorerModel


class _HelpShown(Exception):
    """``--help`` printed its text: nothing else to do."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}. Try: {self.prog} --help")

    def exit(self, status=0, message=None):
        if message:
            print(message)
        raise _HelpShown()


def _parser() -> _Parser:
    parser = _Parser(prog="%minispark", add_help=False)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    start = commands.add_parser("start", help="start a context and put it in `sc`")
    start.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    start.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                       help="a Spark setting, e.g. spark.task.maxFailures=2 (repeatable)")
    commands.add_parser("status", help="workers, jobs and cached RDDs")
    commands.add_parser("stop", help="stop the context and its workers")
    dag = commands.add_parser("dag", help="draw the plan of an RDD without running it")
    dag.add_argument("expression", nargs="+", help="a Python expression giving an RDD")
    kill = commands.add_parser("kill", help="kill a worker with SIGKILL")
    kill.add_argument("worker", type=int)
    slow = commands.add_parser("slow", help="make every task on a worker take longer")
    slow.add_argument("worker", type=int)
    slow.add_argument("seconds", type=float)
    fail = commands.add_parser("fail", help="make the next matching task attempt(s) raise")
    fail.add_argument("--stage", type=int)
    fail.add_argument("--partition", type=int)
    fail.add_argument("--worker", type=int)
    fail.add_argument("--times", type=int, default=1)
    chaos = commands.add_parser("chaos", help="kill workers at random task starts, seeded")
    chaos.add_argument("probability", type=float)
    chaos.add_argument("--seed", type=int, required=True)
    commands.add_parser("clear", help="remove every injected fault")
    commands.add_parser("timeline", help="the last job's tasks per worker over time")
    replay = commands.add_parser("replay", help="draw a run recorded with spark.eventLog.enabled")
    replay.add_argument("event_log")
    return parser


@magics_class
class MiniSparkMagics(Magics):
    """The %minispark line magic and the %%minispark cell magic."""

    def __init__(self, shell):
        super().__init__(shell)
        self.recorders: dict = {}     # id(context) -> ExplorerModel of every event since start

    @line_magic
    def minispark(self, line):
        """Control MiniSpark from a notebook; ``%minispark --help`` lists the subcommands."""
        parser = _parser()
        try:
            words = shlex.split(line)
        except ValueError as error:
            raise UsageError(f"%minispark: {error}") from None
        if not words or words[0] in ("-h", "--help", "help"):
            print(__doc__)
            return None
        try:
            args = parser.parse_args(words)
        except _HelpShown:
            return None
        return getattr(self, "_" + args.command)(args)

    @cell_magic("minispark")
    def minispark_cell(self, line, cell):
        """Run the cell; every job it starts gets a live DAG explorer under the cell."""
        if line.strip():
            raise UsageError("%%minispark takes no arguments; put line magics in the cell.")
        sc = self._context()
        # The inner run_cell would file its code under the *next* cell number, so call sites
        # would say In[n+1]. File it under this cell's number, the one its Out[n] prompt shows
        # (the prompt is right as it is: it follows the execution count, which stays untouched).
        compiler, this_cell = self.shell.compile, self.shell.displayhook.prompt_count
        cache = compiler.cache
        compiler.cache = lambda code, number=0, raw_code=None: cache(code, this_cell, raw_code)
        try:
            with LiveCell(sc, self.shell):
                self.shell.run_cell(cell, store_history=False)
        finally:
            del compiler.cache   # back to the class's method

    # ---- subcommands ------------------------------------------------------------------------
    def _start(self, args):
        if SparkContext._active_spark_context is not None:
            raise UsageError("A MiniSpark context is already running (sc); "
                             "stop it first with %minispark stop.")
        if args.workers < 1:
            raise UsageError("--workers must be at least 1.")
        conf = SparkConf()
        for setting in args.conf:
            key, sep, value = setting.partition("=")
            if not sep or not key:
                raise UsageError(f"--conf takes KEY=VALUE, got {setting!r}.")
            conf.set(key.strip(), value.strip())
        sc = SparkContext(f"local[{args.workers}]", "minispark-notebook", conf=conf)
        self._recorder(sc)
        self.shell.user_ns["sc"] = sc
        print(f"MiniSpark is running with {args.workers} worker processes "
              f"({', '.join(str(w) for w in sorted(sc._pool.workers))}); `sc` is ready.")

    def _status(self, args):
        sc = self._context()
        recorder = self._recorder(sc)
        sc.listener_bus.wait_until_empty()
        alive, lost = sorted(sc._pool.workers), sorted(sc._pool.lost)
        jobs = recorder.jobs.values()
        failed = sum(1 for job in jobs if job.status == "failed")
        cached = sorted(recorder.cached_rdds())
        print(f"{sc.master}: workers alive {alive}, lost {lost}; "
              f"{len(jobs)} job(s) seen, {failed} failed; cached RDDs {cached or 'none'}.")
        if in_kernel(self.shell):
            from .workers import WorkersPanel

            display(WorkersPanel(sc, recorder))   # the workers as they are now

    def _stop(self, args):
        sc = self._context()
        sc.stop()
        self.recorders.pop(id(sc), None)
        print("MiniSpark stopped: its workers have exited and its files are removed.")

    def _dag(self, args):
        from .explorer import DAGExplorer
        from minispark.planner import StagePlanner, describe_plan

        expression = " ".join(args.expression)
        try:
            value = eval(expression, self.shell.user_ns)
        except Exception as error:
            raise UsageError(f"%minispark dag: could not evaluate {expression!r}: "
                             f"{type(error).__name__}: {error}") from None
        if not isinstance(value, RDD):
            raise UsageError(f"%minispark dag needs an RDD, but {expression!r} is a "
                             f"{type(value).__name__}.")
        final = StagePlanner().result_stage(value, None, range(value.getNumPartitions()), job_id=-1)
        model = ExplorerModel(job_id=-1)
        from minispark import events

        model(events.JobStarted(-1, 0.0, f"the plan of {expression} (not run)", final.stage_id,
                                [s["stage_id"] for s in describe_plan(final)["stages"]],
                                describe_plan(final)))
        return _StaticPlan(DAGExplorer(value.context, model, -1))

    def _kill(self, args):
        self._fault(self._context().faults.kill_worker, args.worker)
        print(f"Worker {args.worker} killed (SIGKILL).")

    def _slow(self, args):
        self._fault(self._context().faults.slow_worker, args.worker, args.seconds)
        print(f"Each task on worker {args.worker} now takes {args.seconds:g} s longer.")

    def _fail(self, args):
        self._fault(self._context().faults.fail_task, args.stage, args.partition, args.times,
                    args.worker)
        print(f"The next {args.times} matching task attempt(s) will fail.")

    def _chaos(self, args):
        self._fault(self._context().faults.chaos, args.probability, args.seed)
        print(f"Chaos: each task start kills its worker with probability {args.probability:g} "
              f"(seed {args.seed})." if args.probability else "Chaos off.")

    def _clear(self, args):
        self._context().faults.clear()
        print("All injected faults cleared.")

    def _timeline(self, args):
        from .timeline import timeline_figure

        sc = self._context()
        recorder = self._recorder(sc)
        sc.listener_bus.wait_until_empty()
        job = recorder.last_job
        if job is None:
            raise UsageError("No job has run yet: run an action (e.g. rdd.count()) first.")
        attempts = [dict(a) for a in recorder.attempts if a["job_id"] == job.job_id]
        for attempt in attempts:
            attempt["start"] -= job.start
            attempt["end"] = (attempt["end"] or job.end or attempt["start"]) - job.start
        from .explorer import figure_as_image

        return figure_as_image(timeline_figure(attempts, title=f"Job {job.job_id}: tasks per worker"))

    def _replay(self, args):
        from minispark.events import replay

        from .explorer import DAGExplorer

        model = ExplorerModel()
        try:
            replay(args.event_log, model)
        except FileNotFoundError:
            raise UsageError(f"No event log at {args.event_log!r}.") from None
        except (ValueError, KeyError) as error:
            raise UsageError(f"{args.event_log!r} is not a MiniSpark event log: {error}") from None
        job = model.last_job
        if job is None:
            raise UsageError(f"{args.event_log!r} records no job.")
        print(f"Replayed {args.event_log}: {len(model.jobs)} job(s); showing job {job.job_id}.")
        return _StaticPlan(DAGExplorer(None, model, job.job_id))

    # ---- helpers ------------------------------------------------------------------------------
    def _context(self) -> SparkContext:
        sc = SparkContext._active_spark_context
        if sc is None:
            raise UsageError("No MiniSpark context is running: start one with "
                             "%minispark start (or sc = SparkContext('local[2]')).")
        return sc

    def _recorder(self, sc) -> ExplorerModel:
        if id(sc) not in self.recorders:
            recorder = ExplorerModel()
            from minispark import events

            for worker_id, handle in sorted(sc._pool.workers.items()):
                recorder(events.WorkerAdded(worker_id, handle.pid, 0.0))
            recorder.messages.clear()
            sc.addSparkListener(recorder)
            self.recorders[id(sc)] = recorder
        return self.recorders[id(sc)]

    @staticmethod
    def _fault(action, *args):
        try:
            action(*args)
        except ValueError as error:
            raise UsageError(str(error)) from None


class _StaticPlan:
    """Shows an explorer's picture without its live parts (for ``dag`` and ``replay``)."""

    def __init__(self, explorer):
        self.explorer = explorer

    def _repr_html_(self):
        return self.explorer.snapshot_html()

    def __repr__(self):
        return repr(self.explorer)
