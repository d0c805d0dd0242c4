"""The target profile of a recording (DIR/profile.toml): what was claimed and which models were used.

It is a valid ``--target`` profile, so a recording can be re-recorded or run live against the same server, and
replay rebuilds the Target from it. Written scrubbed: credential headers hold a placeholder and the key itself is
never there (only the name of its environment variable, as in every profile).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import __version__
from ..capabilities import MODEL_AREAS
from ..results import now_iso
from ..scrub import scrub_text
from ..target import Target, build_target
from .scrubbing import scrub_headers

PROFILE = "profile.toml"
_SETTINGS = ("timeout", "connect_timeout", "total_timeout", "max_requests", "max_tokens_budget", "rps",
             "max_retries", "retry_after_cap")


def write_profile(folder: Path, target: Target, secrets: list[str]) -> Path:
    header = [f"# Target profile of the oaic recording in this folder (oaic {__version__}, recorded {now_iso()}).",
              "# Secrets are scrubbed. Re-record: oaic run --target <this file> --record <this folder> --overwrite"]
    path = folder / PROFILE
    path.write_text(profile_text(target, secrets, header), encoding="utf-8")
    return path


def save_supported(path: Path, target: Target, supported: set[str], secrets: list[str]) -> Path:
    """``oaic run --save-profile FILE``: the target as discovered, its supported capabilities claimed. A later run
    with it fails where one of them disappears: a provider's regression gate."""
    pinned = Target(**{**target.__dict__, "capabilities": set(supported) | {"core"}, "attempted": set(),
                       "not_served": {}})
    header = [f"# Target profile saved by oaic {__version__} on {now_iso()}: the capabilities this target supported",
              "# are claimed, so a run with --target <this file> fails when one of them disappears."]
    path.write_text(profile_text(pinned, secrets, header), encoding="utf-8")
    return path


def profile_text(target: Target, secrets: list[str], header: list[str]) -> str:
    lines = [*header,
             f"name = {_string(target.name)}",
             f"base_url = {_string(scrub_text(target.base_url, secrets))}",
             f"api_key_env = {_string(target.api_key_env)}",
             f"capabilities = [{', '.join(_string(c) for c in sorted(target.capabilities))}]"]
    if target.attempted:  # a discovered target: what was attempted rather than claimed
        lines.append(f"attempted = [{', '.join(_string(c) for c in sorted(target.attempted))}]")
    lines += [f"{key} = {_number(getattr(target, key))}" for key in _SETTINGS]
    models = {area: target.models[area] for area in MODEL_AREAS if target.models.get(area)}
    lines += ["", "[models]"] + [f"{area} = {_string(model)}" for area, model in models.items()]
    headers = scrub_headers(target.headers, secrets)
    if headers:
        lines += ["", "[headers]"] + [f"{_string(name)} = {_string(value)}" for name, value in headers.items()]
    if target.not_served:
        lines += ["", "[not_served]"] + [f"{_string(c)} = {_string(scrub_text(reason, secrets))}"
                                         for c, reason in sorted(target.not_served.items())]
    return "\n".join(lines) + "\n"


def read_target(folder: Path) -> Target:
    """The recorded Target; nothing from this machine's environment is mixed in (no key, no OAIC_* values)."""
    return build_target({"target": str(folder / PROFILE)}, env={}, require_base_url=False)


def _string(value: Any) -> str:
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def _number(value: Any) -> str:
    return repr(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else _string(value)
