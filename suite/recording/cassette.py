"""Exchanges as VCR cassettes: vcrpy's request type, serialization and persister, one YAML file per test.

Each interaction is a standard VCR interaction (request: method, uri, headers, body; response: status, headers,
body) holding the response body byte for byte. What VCR has no place for lives in the response under ``oaic``:
when each network read arrived and where it ends in the body (so a stream replays chunk by chunk with its
timing), whether the body was read as SSE, first byte and total time, the transport error of a stalled or
closed stream, retries, and the pytest phase that sent the request.
"""

from __future__ import annotations

import http
import json
from pathlib import Path
from typing import Any

import yaml
from vcr.persisters.filesystem import FilesystemPersister
from vcr.request import Request
from vcr.serializers import yamlserializer

from ..exchange import Exchange
from ..scrub import scrub_text
from ..sse import SSEDecoder
from . import scrubbing
from .matching import body_bytes

try:
    _BaseDumper: type = yaml.CSafeDumper
except AttributeError:  # PyYAML built without libyaml
    _BaseDumper = yaml.SafeDumper


class _ReadableDumper(_BaseDumper):  # type: ignore[misc, valid-type]
    """Multi-line text (SSE bodies) as literal blocks, so a cassette reads like the wire.

    YAML falls back to a quoted string by itself whenever a literal block could not hold the text exactly
    (carriage returns, trailing spaces, non-ASCII), so the body still round-trips byte for byte.
    """


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ReadableDumper.add_representer(str, _represent_str)


class Serializer:
    """vcrpy's serializer protocol: vcrpy's own safe YAML loader, and a dumper that keeps streams readable."""

    @staticmethod
    def deserialize(text: str) -> Any:
        return yamlserializer.deserialize(text)

    @staticmethod
    def serialize(data: Any) -> str:
        return yaml.dump(data, Dumper=_ReadableDumper, width=1 << 16)


SERIALIZER = Serializer()


def is_cassette(path: Path) -> bool:
    """True for a YAML file written as a VCR cassette (what --overwrite may delete)."""
    try:
        with path.open("rb") as handle:
            return handle.read(14) == b"interactions:\n"
    except OSError:
        return False


def save(path: Path, interactions: list[tuple[Request, dict[str, Any]]]) -> None:
    FilesystemPersister.save_cassette(path, {"requests": [r for r, _ in interactions],
                                             "responses": [r for _, r in interactions]}, serializer=SERIALIZER)


def load(path: Path) -> list[tuple[Request, dict[str, Any]]]:
    requests, responses, *_ = FilesystemPersister.load_cassette(path, serializer=SERIALIZER)
    return list(zip(requests, responses))


# -- exchange -> interaction --------------------------------------------------------------------------------
def request_of(method: str, uri: str, body: bytes | None, headers: dict[str, str] | None = None) -> Request:
    return Request(method=method, uri=uri, body=body or None, headers=headers or {})


def sent_body(request_json: Any, content: bytes | None) -> bytes | None:
    """The request body as the transport sent it."""
    if content is not None:
        return content
    if request_json is None:
        return None
    return json.dumps(request_json).encode("utf-8")


def to_interaction(exchange: Exchange, content: bytes | None, base_url: str, secrets: list[str],
                   phase: str) -> tuple[Request, dict[str, Any]]:
    uri = scrubbing.scrub_uri(base_url + exchange.path, secrets)
    body = sent_body(exchange.request_json, content)
    request = request_of(exchange.method, uri, scrubbing.scrub_bytes(body, secrets) if body else None,
                         scrubbing.scrub_headers(exchange.request_headers, secrets))
    response_body, ends = scrubbing.scrub_chunks(exchange.chunks, secrets)
    if not exchange.chunks:
        response_body = scrubbing.scrub_bytes(exchange.body, secrets)
    own: dict[str, Any] = {
        "chunks": [[offset, end] for (offset, _), end in zip(exchange.chunks, ends)],
        "elapsed": exchange.elapsed,
        "first_byte": exchange.first_byte,
    }
    if exchange.events is not None:
        own["sse"] = True
    if exchange.error:
        own["error"] = scrub_text(exchange.error, secrets)
        own["error_kind"] = exchange.error_kind
    if exchange.retries:
        own["retries"] = exchange.retries
    if phase != "call":
        own["phase"] = phase
    response = {
        "status": {"code": exchange.status, "message": _reason(exchange.status)},
        "headers": {name: [value] for name, value in scrubbing.scrub_headers(exchange.headers, secrets).items()},
        "body": {"string": response_body},
        "oaic": own,
    }
    return request, response


def _reason(status: int | None) -> str:
    try:
        return http.HTTPStatus(status).phrase if status is not None else ""
    except ValueError:
        return ""


# -- interaction -> exchange --------------------------------------------------------------------------------
def to_exchange(request: Request, response: dict[str, Any], method: str, path: str, request_json: Any) -> Exchange:
    """Rebuild the Exchange the transport captured: same body, chunks, timing, SSE events and transport error."""
    own = response.get("oaic") or {}
    body = body_bytes((response.get("body") or {}).get("string"))
    chunks, start = [], 0
    for offset, end in own.get("chunks") or []:
        chunks.append((offset, body[start:end]))
        start = end
    headers = {str(name).lower(): ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)
               for name, values in (response.get("headers") or {}).items()}
    exchange = Exchange(
        method=method, path=path, request_json=request_json,
        request_headers={name: str(value) for name, value in request.headers.items()},
        status=(response.get("status") or {}).get("code"),
        headers=headers, body=body, chunks=chunks,
        error=own.get("error"), error_kind=own.get("error_kind"),
        elapsed=own.get("elapsed", 0.0), first_byte=own.get("first_byte"), retries=own.get("retries", 0),
    )
    if own.get("sse"):
        decoder = SSEDecoder()  # fed exactly as the transport fed it, so events, offsets and problems match
        for offset, chunk in chunks:
            decoder.feed(chunk, offset)
        decoder.close(exchange.elapsed)
        exchange.events = decoder.events
        exchange.stream_problems = decoder.problems
        exchange.comment_lines = decoder.comment_count
    return exchange
