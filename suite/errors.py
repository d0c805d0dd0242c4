"""Exceptions that end a run before any test: bad command line, bad profile, unreachable target."""


class UsageError(Exception):
    """A problem the user must fix; the CLI prints it as one ``oaic: error: ...`` line and exits 2."""


class BudgetExhausted(Exception):
    """Raised by the transport instead of sending a request that would overspend the run's budget."""
