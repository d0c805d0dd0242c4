"""The two stores the transport plugs into: a Recorder (``--record DIR``) and a Player (``--replay DIR``)."""

from __future__ import annotations

import errno
import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vcr.matchers import requests_match

from ..errors import NotRecorded, UsageError
from ..exchange import Exchange
from ..scope import TestScope
from ..target import Target
from . import cassette
from .matching import MATCHERS, first_difference, parsed_body, path_and_query
from .naming import cassette_name
from .profile import PROFILE, read_target, write_profile
from .scrubbing import run_secrets, scrub_uri

OPTIONS = "options.json"  # run options that decide which requests are sent
PROPERTY_PLANS = "property-plans.json"  # the property phase's requests, so a replay need not generate them
REPLAYED_OPTIONS = ("seed", "examples")
INCOMPLETE = "incomplete"  # set in options.json by a recording whose run did not end


def existing_recording(folder: Path) -> bool:
    return (folder / PROFILE).exists() or any(cassette.is_cassette(p) for p in folder.rglob("*.yaml"))


class Recorder:
    """Keeps every live exchange of the run, scrubbed, and writes one cassette per test at the end."""

    replaying = False

    def __init__(self, folder: Path, target: Target, overwrite: bool) -> None:
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"--record {folder}: not a directory")
        if folder.exists() and existing_recording(folder) and not overwrite:
            raise UsageError(f"--record {folder}: a recording is already there; add --overwrite to replace it")
        self.folder = folder
        self.target = target
        self.secrets = run_secrets(target)
        self.options: dict[str, Any] = {}
        self.cassettes: dict[str, list[tuple[Any, dict[str, Any]]]] = {}

    def property_options(self, given: dict[str, Any]) -> dict[str, Any]:
        """The property phase's options as given, and a book the phase writes its requests into: both are kept,
        so a replay sends the same requests (see properties/phase.planned)."""
        self.options = {name: given.get(name) for name in REPLAYED_OPTIONS}
        self.plans: dict[str, Any] = {}
        self.plans_spec = given.get("spec")
        return {**given, "plans": self.plans}

    def replay(self, method: str, path: str, request_json: Any, content: bytes | None,
               scope: TestScope | None) -> Exchange:
        """Never called (``replaying`` is False); here because the transport's store protocol has it."""
        raise NotRecorded("the recorder does not replay")

    def record(self, exchange: Exchange, content: bytes | None, scope: TestScope | None) -> None:
        nodeid, phase = (scope.test, scope.phase) if scope else (None, "session")
        interaction = cassette.to_interaction(exchange, content, self.target.base_url, self.secrets, phase)
        self.cassettes.setdefault(cassette_name(nodeid), []).append(interaction)

    def worker_part(self) -> dict[str, Any]:
        """A worker process of a parallel run (--jobs) writes nothing: it hands its cassettes to the run's own
        recorder, which writes them all at the end."""
        return {"cassettes": self.cassettes, "plans": getattr(self, "plans", {})}

    def absorb(self, part: dict[str, Any]) -> None:
        for name, interactions in part["cassettes"].items():
            self.cassettes.setdefault(name, []).extend(interactions)
        if part["plans"] and hasattr(self, "plans"):
            self.plans.update(part["plans"])

    def close(self, complete: bool = True) -> None:
        """Replace the previous recording (its cassettes only: other files in the folder are left alone). A run
        that did not end (interrupted, or pytest stopped early) leaves a recording marked incomplete."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.rglob("*.yaml"):
            if cassette.is_cassette(old):
                old.unlink()
        for folder in sorted(self.folder.rglob("*"), reverse=True):  # deepest first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        for name, interactions in sorted(self.cassettes.items()):
            cassette.save(self.folder / name, interactions)
        write_profile(self.folder, self.target, self.secrets)
        options = {name: value for name, value in self.options.items() if value not in (None, "")}
        if not complete:
            options[INCOMPLETE] = True
        (self.folder / OPTIONS).write_text(json.dumps(options, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        plans = getattr(self, "plans", None)
        if plans:
            write_property_plans(self.folder, options, self.plans_spec, plans)


def write_property_plans(folder: Path, options: dict[str, Any], spec: Any, plans: dict[str, Any]) -> None:
    data = {**{name: options.get(name) for name in REPLAYED_OPTIONS}, "spec": spec, "plans": plans}
    (folder / PROPERTY_PLANS).write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True) + "\n",
                                         encoding="utf-8")


def read_property_plans(folder: Path) -> dict[str, Any] | None:
    path = folder / PROPERTY_PLANS
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except ValueError:
        return None  # unreadable: the phase generates its requests as if there were none
    return data if isinstance(data, dict) and isinstance(data.get("plans"), dict) else None


class _Tape:
    """The interactions of one cassette and which of them were played (each is played once, in order)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.interactions = cassette.load(path) if path.is_file() else []
        except Exception as exc:  # a hand-edited or truncated file: say which one
            raise ValueError(f"cassette {path} is not a readable VCR cassette: {exc}") from exc
        self.played = [False] * len(self.interactions)

    def play(self, request: Any, only_fixtures: bool = False) -> dict[str, Any] | None:
        for index, (recorded, response) in enumerate(self.interactions):
            if self.played[index] or (only_fixtures and (response.get("oaic") or {}).get("phase") is None):
                continue
            if requests_match(request, recorded, MATCHERS):
                self.played[index] = True
                return response
        return None


class Player:
    """Answers every request from the cassettes of a recording; the network is blocked while it is open."""

    replaying = True

    def __init__(self, folder: Path, allow_incomplete: bool = False) -> None:
        if not (folder / PROFILE).is_file():
            raise UsageError(f"--replay {folder}: no recording there ({PROFILE} is missing); "
                             f"record one with: oaic run --target FILE --record {folder}")
        if not allow_incomplete and self._recorded_options(folder).get(INCOMPLETE):
            raise UsageError(f"--replay {folder}: the recording is incomplete (the run that made it did not end); "
                             f"re-record it, or replay what is there with --allow-incomplete")
        self.folder = folder
        self.target = read_target(folder)
        self.tapes: dict[str, _Tape] = {}
        self._all_loaded = False
        self._unblock = block_network()

    def property_options(self, given: dict[str, Any]) -> dict[str, Any]:
        """The property phase generates its requests from --seed and --examples: unless the replay asks for other
        values, use the recorded ones, so the same requests are generated and found."""
        recorded = self._recorded_options(self.folder)
        options = {**given, **{name: recorded[name] for name in REPLAYED_OPTIONS
                               if given.get(name) in (None, "") and recorded.get(name) not in (None, "")}}
        kept = read_property_plans(self.folder)
        same = kept is not None and all(str(kept.get(name) or "") == str(options.get(name) or "")
                                        for name in (*REPLAYED_OPTIONS, "spec"))
        self.plans = kept["plans"] if same else {}  # other options generate other requests: generate them
        return {**options, "plans": self.plans}

    @staticmethod
    def _recorded_options(folder: Path) -> dict[str, Any]:
        path = folder / OPTIONS
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except ValueError:
            raise UsageError(f"--replay {folder}: {OPTIONS} is not JSON") from None
        return data if isinstance(data, dict) else {}

    def record(self, exchange: Exchange, content: bytes | None, scope: TestScope | None) -> None:
        """Nothing is recorded while replaying."""

    def replay(self, method: str, path: str, request_json: Any, content: bytes | None,
               scope: TestScope | None) -> Exchange:
        name = cassette_name(scope.test if scope else None)
        # Scrubbed as it was when recorded: a credential-like query parameter holds the placeholder there too.
        request = cassette.request_of(method, scrub_uri(self.target.base_url + path, []),
                                      cassette.sent_body(request_json, content))
        response = self._tape(name).play(request)
        if response is None:
            response = self._played_by_shared_fixture(request)
        if response is None:
            raise NotRecorded(self._not_recorded(name, request, f"{method} {path}"))
        return cassette.to_exchange(request, response, method, path, request_json)

    def replay_any(self, method: str, path: str, request_json: Any, content: bytes | None) -> Exchange:
        """Serving a recording (``oaic serve --replay``), where no test names the cassette: the first unplayed
        matching interaction of any cassette, else the first matching one again (a client may ask twice)."""
        request = cassette.request_of(method, scrub_uri(self.target.base_url + path, []),
                                      cassette.sent_body(request_json, content))
        tapes = self._all_tapes()
        for tape in tapes:
            response = tape.play(request)
            if response is not None:
                return cassette.to_exchange(request, response, method, path, request_json)
        for tape in tapes:
            for recorded, response in tape.interactions:
                if requests_match(request, recorded, MATCHERS):
                    return cassette.to_exchange(request, response, method, path, request_json)
        shown = cassette.sent_body(request_json, content)
        shown = shown[:200] if shown else b""
        raise NotRecorded(f"no recording of {method} {path} with body {shown.decode('utf-8', 'replace')!r} "
                          f"in {self.folder}")

    def _all_tapes(self) -> list[_Tape]:
        if not self._all_loaded:
            for path in sorted(p for p in self.folder.rglob("*.yaml") if cassette.is_cassette(p)):
                self._tape(path.relative_to(self.folder).as_posix())
            self._all_loaded = True
        return [self.tapes[name] for name in sorted(self.tapes)]

    def _tape(self, name: str) -> _Tape:
        if name not in self.tapes:
            self.tapes[name] = _Tape(self.folder / name)
        return self.tapes[name]

    def _played_by_shared_fixture(self, request: Any) -> dict[str, Any] | None:
        """A module- or session-scoped fixture runs in the setup of whichever test needs it first (and its
        teardown after the last), and that depends on which tests are selected: look for its request among the
        setup and teardown requests of every test."""
        if not self._all_loaded:
            for path in sorted(p for p in self.folder.rglob("*.yaml") if cassette.is_cassette(p)):
                self._tape(path.relative_to(self.folder).as_posix())
            self._all_loaded = True
        for tape in self.tapes.values():
            response = tape.play(request, only_fixtures=True)
            if response is not None:
                return response
        return None

    def _not_recorded(self, name: str, request: Any, where: str) -> str:
        tape = self._tape(name)
        rerecord = f"re-record with: oaic run --target {self.folder / PROFILE} --record {self.folder} --overwrite"
        if not tape.interactions:
            return f"no recording of {where}: cassette {tape.path} does not exist; {rerecord}"
        same = [i for i, (recorded, _) in enumerate(tape.interactions) if requests_match(request, recorded, MATCHERS)]
        if same:
            return (f"{where} was recorded {len(same)} time(s) in cassette {tape.path} and is asked for once more; "
                    f"{rerecord}")
        # Requests replay in order, so the first unplayed recording of the same method and path is its counterpart.
        closest = [recorded for played, (recorded, _) in zip(tape.played, tape.interactions)
                   if recorded.method == request.method and path_and_query(recorded.uri) == path_and_query(request.uri)
                   and not played]
        detail = ""
        if closest:
            difference = first_difference(parsed_body(request.body), parsed_body(closest[0].body))
            detail = f" (the next recorded {request.method} to that path differs in its body {difference})"
        return f"no recording of {where} in cassette {tape.path}{detail}; {rerecord}"

    def close(self, complete: bool = True) -> None:
        self._unblock()


def block_network() -> Callable[[], None]:
    """Make every Internet connection attempt fail at once (replay must never reach a server); returns the undo."""
    original = socket.socket.connect, socket.socket.connect_ex

    def refuse(sock: socket.socket, address: Any, *args: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise ConnectionRefusedError(f"oaic replays offline: the network is blocked (connect to {address!r})")
        return original[0](sock, address, *args)

    def refuse_ex(sock: socket.socket, address: Any, *args: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            return errno.ECONNREFUSED
        return original[1](sock, address, *args)

    socket.socket.connect, socket.socket.connect_ex = refuse, refuse_ex  # type: ignore[method-assign]

    def undo() -> None:
        socket.socket.connect, socket.socket.connect_ex = original  # type: ignore[method-assign]

    return undo
