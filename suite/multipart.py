"""multipart/form-data request bodies (file uploads) with a fixed boundary.

The boundary is derived from the parts themselves, so the same upload always gives the same bytes: a recorded
run replays (recordings match a body that is not JSON byte for byte), and nothing random reaches a cassette.
Encoded here rather than by httpx, which falls back to a urlencoded form when there is no file part (and a form
without its file is one of the uploads the suite sends on purpose).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

FilePart = tuple[str, bytes, str]  # filename, bytes, content type


def _quoted(value: str) -> str:
    # As browsers and httpx do (RFC 7578 4.2): quotes and line breaks percent-encoded inside the quoted string.
    return '"' + value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A") + '"'


def boundary_for(fields: Mapping[str, str], files: Mapping[str, FilePart]) -> str:
    digest = hashlib.sha256()
    for name, value in sorted(fields.items()):
        digest.update(f"{name}={value}\0".encode())
    for name, (filename, data, content_type) in sorted(files.items()):
        digest.update(f"{name}={filename};{content_type}\0".encode() + data)
    return "oaic-" + digest.hexdigest()[:32]


def encode(fields: Mapping[str, str], files: Mapping[str, FilePart]) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of a multipart/form-data request: ``fields`` as text parts, then ``files`` as
    name -> (filename, bytes, content type) file parts."""
    boundary = boundary_for(fields, files)
    parts = []
    for name, value in fields.items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name={_quoted(name)}\r\n\r\n".encode()
                     + value.encode() + b"\r\n")
    for name, (filename, data, content_type) in files.items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name={_quoted(name)}; "
                     f"filename={_quoted(filename)}\r\nContent-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}
