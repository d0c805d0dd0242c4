"""multipart/form-data request bodies with a deterministic boundary.

httpx encodes the form; the boundary is derived from the content instead of being random, so the same upload is
the same bytes on every run and a recorded request is found again on replay (matching compares bodies).
"""

from __future__ import annotations

import hashlib

import httpx

FileField = tuple[str, bytes, str]  # (filename, content, content type)


def boundary_for(fields: dict[str, str], files: dict[str, FileField]) -> str:
    digest = hashlib.sha256()
    for name, value in sorted(fields.items()):
        digest.update(f"{name}={value}\0".encode())
    for name, (filename, content, content_type) in sorted(files.items()):
        digest.update(f"{name}:{filename}:{content_type}\0".encode())
        digest.update(content)
    return "oaic-" + digest.hexdigest()[:32]


def encode(fields: dict[str, str], files: dict[str, FileField]) -> tuple[bytes, str]:
    """(body, content type header value) of a multipart/form-data request with these fields and files."""
    boundary = boundary_for(fields, files)
    content_type = f"multipart/form-data; boundary={boundary}"
    if not files:  # httpx encodes fields without a file as urlencoded: a fields-only form is built here
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                 for name, value in fields.items()]
        return ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8"), content_type
    request = httpx.Request("POST", "http://multipart.invalid/", data=fields or None, files=files,
                            headers={"content-type": content_type})
    return request.read(), content_type
