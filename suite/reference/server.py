"""``oaic serve``: run the reference provider with uvicorn; and ``running()``, the same provider in a background
thread on a free port, for self-tests and benchmarks."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator

EXIT_USAGE = 2


def _uvicorn_options() -> dict[str, str]:
    """The fastest event loop and HTTP parser that are installed (uvloop, httptools), else the pure-Python ones."""
    options = {}
    for module, key, value in (("uvloop", "loop", "uvloop"), ("httptools", "http", "httptools")):
        try:
            __import__(module)
            options[key] = value
        except ImportError:
            pass
    return options


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without it
    # (the pure-Python loop, no uvloop) every answer written in two parts waits 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def list_fault_catalogue(out=None) -> None:
    from .faults import load_all

    out = out or sys.stdout
    faults = sorted((f for f in load_all().values() if f.public), key=lambda f: f.name)
    width = max((len(f.name) for f in faults), default=10)
    for entry in faults:
        out.write(f"{entry.name.ljust(width)}  {', '.join(entry.requirements)}\n")
        out.write(f"{' ' * width}  {entry.description}\n")
    out.write(f"{len(faults)} faults\n")


def serve(host: str = "127.0.0.1", port: int = 8080, api_key_env: str | None = None,
          faults: Iterable[str] = (), list_faults: bool = False, routes: str | None = None,
          unknown_routes: str = "openai", latency: float = 0.0) -> int:
    import uvicorn

    from .app import create_app

    if list_faults:
        list_fault_catalogue()
        return 0
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            print(f"oaic: error: environment variable {api_key_env} is not set (it must hold the API key)",
                  file=sys.stderr)
            return EXIT_USAGE
    if latency < 0:
        print(f"oaic: error: --latency must not be negative (got {latency:g})", file=sys.stderr)
        return EXIT_USAGE
    try:
        app = create_app(list(faults), api_key, routes=routes, unknown_routes=unknown_routes, latency=latency)
    except KeyError as exc:
        print(f"oaic: error: {exc.args[0]}", file=sys.stderr)
        return EXIT_USAGE
    try:
        sock = _bind(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"oaic: error: port {port} on {host} is already in use", file=sys.stderr)
        else:
            print(f"oaic: error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    shown = f"[{host}]" if ":" in host else host
    active = ", ".join(faults) or "none"
    extras = (f"; routes: {routes} (others: {unknown_routes} 404)" if routes else "") + \
        (f"; latency: {latency:g}s" if latency else "")
    print(f"oaic: reference provider on http://{shown}:{sock.getsockname()[1]}/v1 (faults: {active}; "
          f"api key: {'required' if api_key else 'not required'}{extras})", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2,
                            **_uvicorn_options())
    uvicorn.Server(config).run(sockets=[sock])
    return 0


class ReferenceServer:
    """The provider served by uvicorn in a background thread on a free port. ``reset()`` puts a fresh provider
    (other faults, empty storage) behind the same port, so a series of runs pays for one server start.
    ``routes``, ``unknown_routes`` and ``latency`` are as for ``oaic serve`` and kept across resets."""

    def __init__(self, faults: Iterable[str] = (), api_key: str | None = None, host: str = "127.0.0.1",
                 routes: str | Iterable[str] | None = None, unknown_routes: str = "openai",
                 latency: float = 0.0) -> None:
        import uvicorn

        self.options = {"routes": routes, "unknown_routes": unknown_routes, "latency": latency}
        self.reset(faults, api_key)
        self.sock = _bind(host, 0)
        self.base_url = f"http://{host}:{self.sock.getsockname()[1]}/v1"
        config = uvicorn.Config(self._forward, interface="asgi3", log_level="error", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=1, **_uvicorn_options())
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                       name="oaic-reference")

    def reset(self, faults: Iterable[str] = (), api_key: str | None = None, **options) -> None:
        """A fresh provider; ``options`` (routes, unknown_routes, latency) change the kept ones."""
        from .app import create_app

        self.options.update(options)
        self.app = create_app(list(faults), api_key, **self.options)

    async def _forward(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)

    def start(self) -> ReferenceServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the reference provider did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(faults: Iterable[str] = (), api_key: str | None = None, host: str = "127.0.0.1",
            **options) -> Iterator[str]:
    """Serve a fresh provider in a background thread on a free port; yields its base URL (``.../v1``)."""
    with ReferenceServer(faults, api_key, host, **options) as server:
        yield server.base_url
