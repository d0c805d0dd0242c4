"""The suite's own exceptions: what ends a run before any test (bad command line, bad profile, unreachable
target), and what stops a scenario before it could judge (budget spent, request not recorded)."""


class UsageError(Exception):
    """A problem the user must fix; the CLI prints it as one ``oaic: error: ...`` line and exits 2."""


class BudgetExhausted(Exception):
    """Raised by the transport instead of sending a request that would overspend the run's budget."""


class NotRecorded(Exception):
    """Replay mode found no recording for a request."""
