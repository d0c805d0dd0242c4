"""The fault catalogue of the reference provider.

A fault changes exactly one behaviour of the otherwise faithful provider and names the requirement(s) of the
suite that must catch it. Faults live in this package, one module per area (``chat.py``, ``tools.py``,
``transport.py`` …); every module is imported automatically, so adding a fault is adding a ``fault(...)`` call.

A fault acts through hooks. The provider calls ``active.apply(POINT, value, ctx)`` at fixed points and uses what
comes back; each active fault that has a hook for POINT transforms the value in turn. Hook points:

    request            the parsed JSON request body (dict), before validation (e.g. drop a parameter = ignore it)
    error              (status, body) of an error response the provider is about to send
    response.status    the HTTP status of any response, streamed or not, errors included (after ``error``)
    response.headers   dict of response headers (e.g. a wrong content type, no x-request-id)
    response.body      the serialized body bytes of a non-streamed response; may return an iterable of byte
                       strings instead, which is sent as it is produced (e.g. a huge body, generated lazily)
    models.list        GET /models body        models.retrieve   GET /models/{id} body
    chat.response      non-streamed chat.completion body
    chat.chunks        streamed chat: the list of chunk dicts, in order, before serialization
    sse.data           any stream: the list of ``data:`` payload strings, "[DONE]" included, after serialization
    sse.bytes          any stream: the list of byte strings written to the socket, in order
    completions.response / completions.chunks      legacy completions
    embeddings.response                            embeddings body
    moderations.response                           moderations body
    transcriptions.json / transcriptions.verbose   audio transcription bodies in the json and verbose_json formats
    transcriptions.text / .srt / .vtt              the plain-text body (str); a hook may return a JSON value instead
    responses.response / responses.events          Responses API body / list of stream event dicts
    stored.list / stored.retrieve / stored.messages / stored.update / stored.delete   stored chat completions
    stored.query       both stored lists: the parsed, valid ``stored.ListQuery`` before the page is cut
    auth               True when the request's key is accepted; a fault may accept a wrong or missing key
    models.unknown     True when a request naming a model the provider does not serve is refused (404)
    files.id / files.upload      a new file's id / its file object, before it is stored (later reads show it)
    files.query / files.purpose  GET /files: the parsed ListQuery / the purpose filter (None: no filter)
    files.list / files.retrieve / files.content / files.delete   the answers (files.content: a wire.RawBody)
    files.remove       True when DELETE /files/{id} really removes the file
    batches.id / batches.create / batches.retrieve / batches.cancel / batches.list   a new batch's id / answers
    batches.query      GET /batches: the parsed ListQuery
    batches.output / batches.errors / batches.counts   a finished batch's result lines (lists of dicts) and counts

``ctx`` is a ``FaultContext`` (method, path, query, request JSON, endpoint name). Endpoint names: models.list,
models.retrieve, chat.completions, stored.list, stored.retrieve, stored.update, stored.delete, stored.messages,
completions, embeddings, moderations, audio.transcriptions, responses.create, responses.retrieve,
responses.delete, responses.input_items, files.upload, files.list, files.retrieve, files.delete, files.content,
batches.create, batches.list, batches.retrieve, batches.cancel, and "unrouted" for unknown paths and methods. A hook
inside an endpoint (request and the endpoint points) may raise
``oaic.reference.wire.APIError`` to answer with that error instead. Besides hooks, provider code may
ask ``"name" in active`` for behaviours that are not a transform, and hooks on ``sse.bytes`` (or a lazy
``response.body``) may insert ``Stall(seconds)`` / ``Close()`` markers that the server turns into a pause or an
abrupt close of the connection.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fault:
    name: str
    requirements: tuple[str, ...]  # the requirement IDs the suite must report as fail (MUST) or warn (SHOULD)
    description: str
    hooks: Mapping[str, Callable[[Any, FaultContext], Any]] = field(default_factory=dict)
    public: bool = True  # listed by `oaic serve --list-faults` and counted in the mutation score
    # Requirement globs whose scenarios provoke the fault, when the fault's own requirements are judged on every
    # exchange (transport.*) rather than by scenarios of their own; the mutation self-test runs just those.
    exercised_by: tuple[str, ...] = ()


@dataclass
class FaultContext:
    method: str = "GET"
    path: str = "/"
    endpoint: str = ""  # e.g. "chat.completions", "models.list"
    query: Mapping[str, str] = field(default_factory=dict)
    request: Any = None


@dataclass(frozen=True)
class Stall:
    """In ``sse.bytes``: pause this long before writing the next piece (the client should time out)."""

    seconds: float


@dataclass(frozen=True)
class Close:
    """In ``sse.bytes``: drop the connection here, without finishing the response."""


FAULTS: dict[str, Fault] = {}


def fault(name: str, requirements: Iterable[str], description: str, public: bool = True,
          exercised_by: Iterable[str] = (), **hooks: Callable[[Any, FaultContext], Any]) -> Fault:
    """Register a fault. Hook keyword names use '_' for '.', e.g. ``chat_response=...`` for "chat.response"."""
    if name in FAULTS:
        raise ValueError(f"duplicate fault {name}")
    entry = Fault(name, tuple(requirements), " ".join(description.split()),
                  {key.replace("_", "."): fn for key, fn in hooks.items()}, public, tuple(exercised_by))
    FAULTS[name] = entry
    return entry


class ActiveFaults:
    """The faults switched on in one provider instance."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        load_all()
        unknown = [n for n in names if n not in FAULTS]
        if unknown:
            raise KeyError(f"unknown fault {unknown[0]!r} (see: oaic serve --list-faults)")
        self.faults = [FAULTS[n] for n in names]

    def __contains__(self, name: str) -> bool:
        return any(f.name == name for f in self.faults)

    def __bool__(self) -> bool:
        return bool(self.faults)

    def apply(self, point: str, value: Any, ctx: FaultContext) -> Any:
        for entry in self.faults:
            hook = entry.hooks.get(point)
            if hook is not None:
                value = hook(value, ctx)
        return value


def load_all() -> dict[str, Fault]:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return FAULTS
