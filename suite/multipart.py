"""multipart/form-data request bodies (file uploads), encoded by httpx with a fixed boundary.

The boundary is derived from the parts themselves, so the same upload always gives the same bytes: a recorded
run replays (recordings match a body that is not JSON byte for byte), and nothing random reaches a cassette.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import httpx


def boundary_for(fields: Mapping[str, str], files: Mapping[str, tuple[str, bytes, str]]) -> str:
    digest = hashlib.sha256()
    for name, value in sorted(fields.items()):
        digest.update(f"{name}={value}\0".encode())
    for name, (filename, data, content_type) in sorted(files.items()):
        digest.update(f"{name}={filename};{content_type}\0".encode() + data)
    return "oaic-" + digest.hexdigest()[:32]


def encode(fields: Mapping[str, str], files: Mapping[str, tuple[str, bytes, str]]) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of a multipart/form-data request: ``fields`` as text parts, ``files`` as
    name -> (filename, bytes, content type) file parts."""
    content_type = f"multipart/form-data; boundary={boundary_for(fields, files)}"
    request = httpx.Request("POST", "http://multipart.invalid/", data=dict(fields), files=dict(files),
                            headers={"content-type": content_type})
    return request.read(), {"content-type": content_type}
