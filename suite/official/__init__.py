"""OpenAI's official OpenAPI document: loading (path or URL, YAML or JSON), normalization into a document the
suite can test with, a cache of the normalized result keyed by content hash, and the drift check against the
project's profile. The official document is reference data: nothing here copies it into the project."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..profile import Document


def load_official(source: str) -> Document:
    """The normalized official document as a Document (validators resolve its $refs)."""
    from ..profile import Document
    from .cache import normalized_document

    data, digest = normalized_document(source)
    return Document(data, f"urn:oaic:official:{digest[:16]}")
