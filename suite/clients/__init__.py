"""Client libraries under test (``--client openai|node|raw``, ``--client-cmd CMD``).

``wrap`` is the one entry point the run uses: it hands back the transport the scenarios get. See
docs/clients.md for the driver protocol.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from typing import Any

from ..findings import Finding
from .commands import driver_command

CLIENT_CAPABILITY = "client"


_started: dict[tuple[str, ...], Any] = {}  # driver processes started ahead of the run, by command


def prestart(values: dict[str, Any]) -> None:
    """Fail early, with one line, when the client cannot be run (UsageError); else start its driver ahead of the
    run, so the driver's start (its interpreter, the library's import) overlaps with the start of the run."""
    command = driver_command(values.get("client"), values.get("client_cmd"))
    if command is not None and tuple(command) not in _started:
        from .process import DriverProcess

        driver = DriverProcess(command)
        driver.start()
        _started[tuple(command)] = driver
        atexit.register(driver.close)  # when no run took it (the run stopped on a usage error first)


def wrap(transport: Any, values: dict[str, Any], sink: Callable[[list[Finding]], Any]) -> Any:
    """The transport itself for the raw wire; with a client, one that sends mappable requests through it and
    passes the client.* findings to ``sink``. The target then claims the ``client`` capability."""
    command = driver_command(values.get("client"), values.get("client_cmd"))
    if command is None:
        return transport
    from .client_transport import ClientTransport

    transport.target.capabilities.add(CLIENT_CAPABILITY)
    return ClientTransport(transport, command, sink, _started.pop(tuple(command), None))
