"""Target: the API under test, assembled from flags > OAIC_* environment variables > a TOML profile.

Every bad input raises UsageError with one line that names the offending value; the CLI turns it into exit 2.
The API key itself is never accepted as a flag or stored in a profile: only the name of the environment variable
that holds it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .capabilities import ALWAYS_CLAIMED, AREA_CAPABILITY, CAPABILITIES, DEFAULT_CAPABILITIES, MODEL_AREAS

PROFILE_KEYS = {
    "name", "base_url", "api_key_env", "models", "headers", "capabilities", "timeout", "connect_timeout",
    "total_timeout", "max_requests", "max_tokens_budget", "rps", "max_retries", "retry_after_cap",
    "attempted", "not_served", "max_failures",
}
NUMERIC = {
    "timeout": float, "connect_timeout": float, "total_timeout": float, "max_requests": int,
    "max_tokens_budget": int, "rps": float, "max_retries": int, "retry_after_cap": float,
    "max_failures": int,
}
ENV_PREFIX = "OAIC_"


@dataclass
class Target:
    base_url: str
    name: str = ""
    api_key_env: str = "OAIC_API_KEY"
    api_key: str | None = field(default=None, repr=False)
    models: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    capabilities: set[str] = field(default_factory=set)
    timeout: float = 30.0  # connect excluded: the longest wait for the next byte (the stall deadline)
    connect_timeout: float = 5.0
    total_timeout: float = 120.0  # the longest one request may take, streams included
    max_requests: int = 500
    max_tokens_budget: int = 200_000
    rps: float = 0.0  # 0 means no limit
    max_retries: int = 2
    retry_after_cap: float = 10.0
    max_failures: int = 0  # stop the run after this many failed requirements (0: never)
    capabilities_given: bool = False  # a list came from flags, OAIC_CAPABILITIES or the profile (no discovery)
    # Discovered targets: capabilities the run attempts without a claim (an honest refusal is then unsupported,
    # not a failure), and the ones whose route the target does not serve (capability -> what it answered).
    attempted: set[str] = field(default_factory=set)
    not_served: dict[str, str] = field(default_factory=dict)

    def claims(self, capability: str) -> bool:
        return capability in self.capabilities

    def model(self, area: str) -> str | None:
        return self.models.get(area) or (self.models.get("chat") if area in ("tools", "completions",
                                                                             "responses") else None)

    def public(self) -> dict[str, Any]:
        """The target as reports show it: no key, and header values that look secret are masked."""
        from .scrub import scrub_headers

        return {
            "name": self.name,
            "base_url": self.base_url,
            "api_key_env": self.api_key_env,
            "api_key_set": bool(self.api_key),
            "models": {area: self.model(area) for area in MODEL_AREAS if self.model(area)},
            "headers": scrub_headers(self.headers),
            "capabilities": sorted(self.capabilities),
            "attempted": sorted(self.attempted),
            "not_served": dict(sorted(self.not_served.items())),
            "timeout": self.timeout,
            "total_timeout": self.total_timeout,
            "max_requests": self.max_requests,
            "max_tokens_budget": self.max_tokens_budget,
            "rps": self.rps,
        }


def load_profile(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read target profile {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"target profile {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - PROFILE_KEYS)
    if unknown:
        raise UsageError(f"target profile {path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(PROFILE_KEYS))})")
    return data


def _env_settings(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("base_url", "api_key_env", "name", *NUMERIC):
        value = env.get(ENV_PREFIX + key.upper())
        if value not in (None, ""):
            out[key] = value
    models = {}
    for area, var in (("chat", "MODEL"), ("tools", "TOOLS_MODEL"), ("embeddings", "EMBEDDING_MODEL"),
                      ("completions", "COMPLETIONS_MODEL"), ("responses", "RESPONSES_MODEL"),
                      ("moderations", "MODERATION_MODEL"), ("transcriptions", "TRANSCRIPTION_MODEL")):
        if env.get(ENV_PREFIX + var):
            models[area] = env[ENV_PREFIX + var]
    if models:
        out["models"] = models
    if env.get(ENV_PREFIX + "CAPABILITIES"):
        out["capabilities"] = _split_list(env[ENV_PREFIX + "CAPABILITIES"])
    if env.get(ENV_PREFIX + "HEADERS"):
        out["headers"] = parse_headers(env[ENV_PREFIX + "HEADERS"].split("\n"), "OAIC_HEADERS")
    return out


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.replace(" ", ",").split(",") if item.strip()]


def parse_headers(lines: list[str], source: str) -> dict[str, str]:
    headers = {}
    for line in lines:
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            raise UsageError(f"{source}: header {line!r} is not in the form 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def build_target(flags: Mapping[str, Any], env: Mapping[str, str] | None = None,
                 require_base_url: bool = True) -> Target:
    """Merge flags > OAIC_* environment > profile (``flags['target']``) and validate the result."""
    env = os.environ if env is None else env
    profile_path = flags.get("target") or env.get(ENV_PREFIX + "TARGET")
    profile = load_profile(profile_path) if profile_path else {}
    from_env = _env_settings(env)

    def pick(key: str) -> Any:
        for source in (flags, from_env, profile):
            value = source.get(key)
            if value not in (None, "", [], {}):
                return value
        return None

    models: dict[str, str] = {}
    for source in (profile.get("models") or {}, from_env.get("models") or {}, flags.get("models") or {}):
        if not isinstance(source, dict):
            raise UsageError("target profile: [models] must be a table of area = \"model\"")
        for area, model in source.items():
            if area not in MODEL_AREAS:
                raise UsageError(f"unknown model area {area!r} (known: {', '.join(MODEL_AREAS)})")
            if model:
                if not isinstance(model, str):
                    raise UsageError(f"model for {area} must be a string, got {model!r}")
                models[area] = model

    headers: dict[str, str] = {}
    for source in (profile.get("headers") or {}, from_env.get("headers") or {}, flags.get("headers") or {}):
        if not isinstance(source, dict):
            raise UsageError("target profile: [headers] must be a table of Name = \"value\"")
        headers.update({str(k): str(v) for k, v in source.items()})

    base_url = pick("base_url")
    if base_url is None:
        if require_base_url:
            raise UsageError("no base URL: give --base-url URL, OAIC_BASE_URL, or base_url in a --target profile")
        base_url = ""
    else:
        base_url = validate_base_url(str(base_url))

    settings: dict[str, Any] = {}
    for key, kind in NUMERIC.items():
        value = pick(key)
        if value is None:
            continue
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise UsageError(f"{key.replace('_', '-')} must be a number, got {value!r}") from None
        if number < 0 or (number == 0 and key not in ("rps", "max_retries")):
            raise UsageError(f"{key.replace('_', '-')} must be positive, got {value!r}")
        settings[key] = number

    claimed = _capabilities(pick("capabilities"), models)
    attempted = profile.get("attempted") or []
    not_served = profile.get("not_served") or {}
    if not isinstance(attempted, list) or not isinstance(not_served, dict):
        raise UsageError("target profile: attempted must be a list of capabilities, [not_served] a table")

    api_key_env = pick("api_key_env")
    if api_key_env is not None and (not isinstance(api_key_env, str) or not api_key_env.replace("_", "").isalnum()):
        raise UsageError(f"api-key-env must be the name of an environment variable, got {api_key_env!r}")
    if api_key_env:
        api_key = env.get(api_key_env) or None
    else:
        api_key_env = "OAIC_API_KEY"
        api_key = env.get("OAIC_API_KEY") or None
        if api_key is None and env.get("OPENAI_API_KEY"):
            api_key_env, api_key = "OPENAI_API_KEY", env["OPENAI_API_KEY"]

    target = Target(
        base_url=base_url,
        name=str(pick("name") or _name_from_url(base_url)),
        api_key_env=api_key_env,
        api_key=api_key,
        models=models,
        headers=headers,
        capabilities=claimed,
        capabilities_given=pick("capabilities") is not None,
        attempted={str(c) for c in attempted} & claimed,
        not_served={str(k): str(v) for k, v in not_served.items()},
        **settings,
    )
    if base_url:
        for area, capability in (("chat", "chat"), *AREA_CAPABILITY.items()):
            if target.claims(capability) and not target.model(area) and capability not in target.attempted:
                flag = "--model" if area == "chat" else f"--{area.rstrip('s') if area in SINGULAR_FLAGS else area}-model"
                raise UsageError(f"capability {capability!r} is claimed but no {area} model is set (give {flag})")
    return target


SINGULAR_FLAGS = ("embeddings", "moderations", "transcriptions")  # --embedding-model, not --embeddings-model


def _capabilities(value: Any, models: dict[str, str]) -> set[str]:
    if value is None:
        claimed = set(DEFAULT_CAPABILITIES) if models.get("chat") else set()
        claimed |= {AREA_CAPABILITY[a] for a in AREA_CAPABILITY if a in models}
        if models:
            claimed.add("models")
        return claimed | ALWAYS_CLAIMED
    if isinstance(value, str):
        items = _split_list(value)
    elif isinstance(value, list):
        items = value
    elif isinstance(value, dict):
        items = [name for name, on in value.items() if _truthy(name, on)]
        unknown_off = [name for name, on in value.items() if name not in CAPABILITIES and name != "all"]
        if unknown_off:
            items = items + unknown_off  # so the unknown name is reported below
    else:
        raise UsageError(f"capabilities must be a list of names, got {value!r}")
    claimed: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise UsageError(f"capability names must be strings, got {item!r}")
        if item == "all":
            claimed |= set(CAPABILITIES)
        elif item in CAPABILITIES:
            claimed.add(item)
        else:
            raise UsageError(f"unknown capability {item!r} (known: all, {', '.join(sorted(CAPABILITIES))})")
    return claimed | ALWAYS_CLAIMED


def _truthy(name: str, on: Any) -> bool:
    if not isinstance(on, bool):
        raise UsageError(f"capability {name!r} must be true or false, got {on!r}")
    return on


def validate_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"base URL {url!r} is not an http(s) URL with a host (example: http://127.0.0.1:8000/v1)")
    try:
        _ = parts.port  # urlsplit checks the port only when asked
    except ValueError:
        raise UsageError(f"base URL {url!r} has an invalid port") from None
    if parts.query or parts.fragment:
        raise UsageError(f"base URL {url!r} must not carry a query or fragment")
    return url.rstrip("/")


def _name_from_url(url: str) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.hostname}-{parts.port}" if parts.port else str(parts.hostname)


def profile_example_path() -> Path:
    from .data import examples

    return examples() / "target.toml"
