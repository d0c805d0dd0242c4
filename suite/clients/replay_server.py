"""``oaic serve --replay DIR``: a recording served over HTTP, so any client test suite, in any language, runs
against the recorded behaviour of a real server.

Requests are matched as in replay mode (method, path with query, canonical JSON body), searching every cassette
of the recording; streams are re-emitted event by event at their recorded pace (``--fast``: at once). A request
with no recording is answered 404 in OpenAI's error shape, code ``not_recorded``, naming what is missing.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..exchange import Exchange
from .proxy import CapturingProxy

EXIT_USAGE = 2


class AnyCassette:
    """The store protocol of the transport, answering from whichever cassette holds the request."""

    replaying = True

    def __init__(self, player: Any) -> None:
        self.player = player

    def replay(self, method: str, path: str, request_json: Any, content: bytes | None, scope: Any = None) -> Exchange:
        return self.player.replay_any(method, path, request_json, content)  # any cassette: no test is running

    def record(self, exchange: Exchange, content: bytes | None, scope: Any = None) -> None:
        """Nothing is recorded while serving a recording."""


def recording_proxy(folder: str, host: str = "127.0.0.1", port: int = 0, fast: bool = False) -> CapturingProxy:
    from ..recording.store import Player
    from ..transport import Transport

    player = Player(Path(folder))
    # The transport answers from the cassettes alone and never connects; the block the player puts on outgoing
    # connections (for in-process replays) would also stop a client in this process from reaching the server.
    player.close()
    transport = Transport(player.target, store=AnyCassette(player))
    proxy = CapturingProxy(transport, pace=not fast, host=host, port=port, keep=False)
    return proxy


def serve_recording(folder: str, host: str = "127.0.0.1", port: int = 8080, fast: bool = False) -> int:
    try:
        proxy = recording_proxy(folder, host, port, fast)
    except UsageError as exc:
        print(f"oaic: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        proxy.bind()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"oaic: error: port {port} on {host} is already in use", file=sys.stderr)
        else:
            print(f"oaic: error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"oaic: serving the recording {folder} on {proxy.base_url} "
          f"({'streams at once' if fast else 'streams at recorded pace'})", file=sys.stderr, flush=True)
    proxy.serve_forever()
    return 0
