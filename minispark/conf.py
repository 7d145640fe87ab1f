"""SparkConf: key-value settings of a context, with PySpark's methods.

The settings MiniSpark reads (defaults in brackets):

* ``spark.master`` ["local[*]"], ``spark.app.name``
* ``spark.task.maxFailures`` [4]: attempts of a task before its job fails
* ``spark.default.parallelism`` [the number of workers]
* ``spark.locality.wait`` [3s]: how long a task waits for the worker that caches its input
* ``spark.shuffle.spill.numElementsForceSpillThreshold`` [1000000]: records a reduce-side map
  may hold before it spills a sorted run to disk
* ``spark.local.dir`` [the system temp dir]: where the context keeps shuffle files
* ``spark.executor.heartbeatInterval`` [1s]: how often a worker says it is alive
* ``spark.network.timeout`` [10s]: silence after which a worker counts as hung and is replaced
* ``spark.minispark.task.timeout`` [none]: kill a task (and its worker) running longer than this
* ``spark.speculation`` [false], ``spark.speculation.multiplier`` [1.5],
  ``spark.speculation.quantile`` [0.75]: speculative copies of straggling tasks
* ``spark.ui.showConsoleProgress`` [on when stderr is a terminal]: the text progress bar
* ``spark.eventLog.enabled`` [false], ``spark.eventLog.dir`` [the working directory]: write
  every event as a JSON line, for ``minispark.events.replay``

>>> conf = SparkConf().setMaster("local[2]").setAppName("demo").set("spark.task.maxFailures", 2)
>>> conf.get("spark.app.name"), conf.get("spark.task.maxFailures")
('demo', '2')
"""


class SparkConf:
    """Configuration for a MiniSpark application, as ``pyspark.SparkConf``."""

    def __init__(self, loadDefaults=True, _jvm=None, _jconf=None):
        self._settings: dict[str, str] = {}

    def set(self, key: str, value) -> "SparkConf":
        self._settings[key] = str(value)
        return self

    def setIfMissing(self, key: str, value) -> "SparkConf":
        self._settings.setdefault(key, str(value))
        return self

    def setMaster(self, value: str) -> "SparkConf":
        return self.set("spark.master", value)

    def setAppName(self, value: str) -> "SparkConf":
        return self.set("spark.app.name", value)

    def setSparkHome(self, value: str) -> "SparkConf":
        return self.set("spark.home", value)

    def setExecutorEnv(self, key=None, value=None, pairs=None) -> "SparkConf":
        for k, v in pairs or [(key, value)]:
            self.set(f"spark.executorEnv.{k}", v)
        return self

    def setAll(self, pairs) -> "SparkConf":
        for key, value in pairs:
            self.set(key, value)
        return self

    def get(self, key: str, defaultValue=None):
        return self._settings.get(key, defaultValue)

    def getAll(self) -> list:
        return sorted(self._settings.items())

    def contains(self, key: str) -> bool:
        return key in self._settings

    def toDebugString(self) -> str:
        return "\n".join(f"{k}={v}" for k, v in self.getAll())

    def __repr__(self):
        return f"SparkConf({dict(self.getAll())!r})"
