"""StatusTracker: PySpark's low-level status API, kept up to date by listening to events.

>>> tracker = sc.statusTracker()
>>> sc.parallelize(range(4), 2).count()
4
>>> job_id = max(tracker.getJobIdsForGroup())
>>> tracker.getJobInfo(job_id).status
'SUCCEEDED'
"""

import threading
from collections import namedtuple

from . import events

SparkJobInfo = namedtuple("SparkJobInfo", "jobId stageIds status")
SparkStageInfo = namedtuple(
    "SparkStageInfo",
    "stageId currentAttemptId name numTasks numActiveTasks numCompletedTasks numFailedTasks")


class StatusTracker:
    """Answers ``getJobInfo``, ``getStageInfo``, ``getActiveStageIds`` ... as ``pyspark.StatusTracker``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._jobs: dict = {}       # job id -> dict(stageIds, status, group)
        self._stages: dict = {}     # stage id -> dict of counters
        self._active_stages: set = set()

    def __call__(self, event):
        with self._lock:
            if isinstance(event, events.JobStarted):
                self._jobs[event.job_id] = {"stageIds": list(event.stage_ids), "status": "RUNNING",
                                            "group": event.group_id}
                for stage in event.plan["stages"]:
                    self._stages.setdefault(stage["stage_id"], {
                        "currentAttemptId": 0, "name": stage["name"], "numTasks": stage["num_tasks"],
                        "numActiveTasks": 0, "numCompletedTasks": 0, "numFailedTasks": 0})
            elif isinstance(event, events.JobEnded):
                self._jobs[event.job_id]["status"] = "SUCCEEDED" if event.succeeded else "FAILED"
            elif isinstance(event, events.StageSubmitted):
                stage = self._stages.setdefault(event.stage_id, {
                    "name": event.name, "numTasks": event.num_tasks, "numActiveTasks": 0,
                    "numCompletedTasks": 0, "numFailedTasks": 0})
                stage["currentAttemptId"] = event.attempt
                self._active_stages.add(event.stage_id)
            elif isinstance(event, events.StageCompleted):
                self._active_stages.discard(event.stage_id)
            elif isinstance(event, events.TaskStarted):
                self._stages[event.stage_id]["numActiveTasks"] += 1
            elif isinstance(event, events.TaskEnded):
                stage = self._stages[event.stage_id]
                stage["numActiveTasks"] -= 1
                stage["numCompletedTasks" if event.status == "success" else "numFailedTasks"] += 1

    def getJobIdsForGroup(self, jobGroup=None) -> list:
        with self._lock:
            return [j for j, info in self._jobs.items() if info["group"] == jobGroup]

    def getActiveStageIds(self) -> list:
        with self._lock:
            return sorted(self._active_stages)

    def getActiveJobsIds(self) -> list:
        with self._lock:
            return sorted(j for j, info in self._jobs.items() if info["status"] == "RUNNING")

    def getJobInfo(self, jobId):
        with self._lock:
            info = self._jobs.get(jobId)
            return None if info is None else SparkJobInfo(jobId, list(info["stageIds"]), info["status"])

    def getStageInfo(self, stageId):
        with self._lock:
            info = self._stages.get(stageId)
            if info is None:
                return None
            return SparkStageInfo(stageId, info.get("currentAttemptId", 0), info["name"],
                                  info["numTasks"], info["numActiveTasks"],
                                  info["numCompletedTasks"], info["numFailedTasks"])
