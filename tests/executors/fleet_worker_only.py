"""An exception class only the workers load (the test process never imports this module)."""


class WorkerOnlyError(Exception):
    """Raised on a worker; unknown to the scheduler's process."""
