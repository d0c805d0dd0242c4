"""Client libraries under test (``--client openai|node|raw``, ``--client-cmd CMD``).

``wrap`` is the one entry point the run uses: it hands back the transport the scenarios get. See
docs/clients.md for the driver protocol.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the Python driver imports this package first: it imports no more than it needs
    from ..findings import Finding

CLIENT_CAPABILITY = "client"


# Driver processes ready for the next run in this process, by command: started ahead of a run, or kept from the
# run before (a test session, the release gate, a benchmark run the suite many times in one process).
_started: dict[tuple[str, ...], Any] = {}


def prestart(values: dict[str, Any]) -> None:
    """Fail early, with one line, when the client cannot be run (UsageError); else start its driver ahead of the
    run, so the driver's start (its interpreter, the library's import) overlaps with the start of the run."""
    from .commands import driver_command

    command = driver_command(values.get("client"), values.get("client_cmd"))
    if command is not None and tuple(command) not in _started:
        from .process import DriverProcess

        driver = DriverProcess(command)
        driver.start()
        _started[tuple(command)] = driver


def release(command: list[str], driver: Any) -> None:
    """A run is over with its driver: keep it for the next run, unless it died or one is kept already. It holds
    nothing from the run that a later one could see: each run's client is made for that run's own proxy."""
    kept = _started.get(tuple(command))
    if kept is driver:  # released twice
        return
    if kept is not None or not driver.alive():
        driver.close()
    else:
        _started[tuple(command)] = driver


@atexit.register
def close_all() -> None:
    """Stop the drivers no run took."""
    while _started:
        _started.popitem()[1].close()


def wrap(transport: Any, values: dict[str, Any], sink: Callable[[list[Finding]], Any]) -> Any:
    """The transport itself for the raw wire; with a client, one that sends mappable requests through it and
    passes the client.* findings to ``sink``. The target then claims the ``client`` capability."""
    from .commands import driver_command

    command = driver_command(values.get("client"), values.get("client_cmd"))
    if command is None:
        return transport
    from .client_transport import ClientTransport

    transport.target.capabilities.add(CLIENT_CAPABILITY)
    return ClientTransport(transport, command, sink, _started.pop(tuple(command), None))
