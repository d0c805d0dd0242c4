"""multipart/form-data request bodies, parsed exactly: a file part's bytes are kept as sent (no line-ending or
charset changes), since the provider must give them back byte for byte."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .wire import APIError

_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True)
class FilePart:
    filename: str
    data: bytes
    content_type: str


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, FilePart] = field(default_factory=dict)


def header_params(value: str) -> dict[str, str]:
    """The ``name=value`` parameters of a header such as Content-Type or Content-Disposition."""
    out = {}
    for name, raw in _PARAM.findall(value):
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        out[name.lower()] = raw
    return out


def parse(content_type: str, raw: bytes) -> Form:
    """The fields and files of a multipart/form-data body; a body that is not one is a 400."""
    boundary = header_params(content_type).get("boundary")
    if not content_type.lower().startswith("multipart/form-data") or not boundary:
        raise APIError(400, "Invalid Content-Type header: expected multipart/form-data with a boundary.", None,
                       None)
    delimiter = b"--" + boundary.encode("latin-1")
    form = Form()
    for part in raw.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        part = part[2:] if part.startswith(b"\r\n") else part
        head, _, body = part.partition(b"\r\n\r\n")
        body = body[:-2] if body.endswith(b"\r\n") else body
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        params = header_params(headers.get("content-disposition", ""))
        name = params.get("name")
        if name is None:
            continue
        if "filename" in params:
            form.files[name] = FilePart(params["filename"], body,
                                        headers.get("content-type", "application/octet-stream"))
        else:
            form.fields[name] = body.decode("utf-8", "replace")
    return form
