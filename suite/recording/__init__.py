"""Record and replay: every exchange of a run as standard VCR cassettes, replayed offline.

``oaic run --record DIR`` writes DIR/profile.toml (the scrubbed target profile) and one cassette per scenario
test (naming.py); ``oaic run --replay DIR`` answers every request from them with the network blocked, and
``oaic run`` with no target replays the bundled recording of a real server (``default_recording``).
The transport captures everything itself and hands finished exchanges to the store: vcrpy is used for the
cassette format (its request type, matchers, serializer and persister), never to patch httpx, whose streaming
vcrpy does not record faithfully.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..target import Target

DEFAULT_RECORDING = "litellm-1.106.2"


def open_store(values: dict[str, Any], target: Target | None) -> Any:
    """The store for ``--record DIR`` (a Recorder of ``target``) or ``--replay DIR`` (a Player); see store.py."""
    from .store import Player, Recorder

    if values.get("replay"):
        return Player(Path(values["replay"]), allow_incomplete=bool(values.get("allow_incomplete")))
    assert target is not None, "recording needs the target"
    return Recorder(Path(values["record"]), target, overwrite=bool(values.get("overwrite")))


def default_recording() -> Path:
    """The bundled recording ``oaic run`` replays when no target is given."""
    from ..data import bundled_recordings

    try:
        folder = bundled_recordings() / DEFAULT_RECORDING
    except FileNotFoundError:
        folder = Path(DEFAULT_RECORDING)
    if not folder.is_dir():
        raise UsageError(f"no target given and the bundled recording {folder} is missing: give --base-url URL "
                         f"(or --target FILE), or --replay DIR")
    return folder
