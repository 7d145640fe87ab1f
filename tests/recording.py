"""EventRecorder: a listener that keeps the events of a context, for assertions in tests.

It listens to the same event stream as the progress bar and the Jupyter layer, so a test
asserts on what the scheduler says it did: which stages ran or were skipped, which task ran
on which worker, what each task's metrics were.
"""

from minispark import events


class EventRecorder:
    """A listener that keeps every event; ``of(kind)`` waits for delivery, then filters."""

    def __init__(self, context):
        self.context = context
        self.events = []

    def __call__(self, event):
        self.events.append(event)

    def of(self, kind, **fields) -> list:
        """Delivered events of class ``kind`` whose attributes equal ``fields``."""
        assert self.context.listener_bus.wait_until_empty(), "listener bus did not drain"
        return [e for e in self.events if isinstance(e, kind)
                and all(getattr(e, name) == value for name, value in fields.items())]

    def clear(self):
        self.context.listener_bus.wait_until_empty()
        self.events.clear()

    def last_job_id(self) -> int:
        return self.of(events.JobStarted)[-1].job_id


def record_events(context) -> EventRecorder:
    recorder = EventRecorder(context)
    context.addSparkListener(recorder)
    return recorder
