"""The run options, declared once for both ``oaic run`` (argparse) and ``pytest --pyargs oaic.scenarios``.

Under pytest every option is namespaced (``--oaic-model``) so that installing oaic changes no other test run; the
short names (``--model``) are added only to a pytest run of the oaic scenarios (see plugin.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Option:
    name: str  # the flag without dashes, e.g. "base-url"
    help: str
    metavar: str | None = None
    kind: str = "value"  # value | append | flag
    default: Any = None

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")


OPTIONS = (
    Option("target", "TOML target profile (see examples/target.toml)", "FILE"),
    Option("base-url", "base URL of the API under test, e.g. http://127.0.0.1:8000/v1", "URL"),
    Option("api-key-env", "environment variable holding the API key (default OAIC_API_KEY, then OPENAI_API_KEY)",
           "NAME"),
    Option("model", "chat model", "MODEL"),
    Option("tools-model", "model for tool calling (default: the chat model)", "MODEL"),
    Option("embedding-model", "embeddings model (claims the embeddings capability)", "MODEL"),
    Option("completions-model", "legacy completions model (claims the completions capability)", "MODEL"),
    Option("responses-model", "Responses API model (claims the responses capability)", "MODEL"),
    Option("moderation-model", "moderations model (claims the moderations capability)", "MODEL"),
    Option("transcription-model", "audio transcription model (claims the audio_transcriptions capability)", "MODEL"),
    Option("header", "extra request header 'Name: value' (repeatable)", "HEADER", "append"),
    Option("capabilities", "capabilities the target claims, comma separated, or 'all' (see: oaic capabilities)",
           "LIST"),
    Option("timeout", "seconds to wait for the next byte of a response (stall deadline; default 30)", "SECONDS"),
    Option("total-timeout", "seconds one request may take in all, streams included (default 120)", "SECONDS"),
    Option("max-requests", "stop sending after this many requests (default 500)", "N"),
    Option("max-tokens-budget", "stop sending once usage reports this many tokens (default 200000)", "N"),
    Option("rps", "at most this many requests per second (default: no limit)", "N"),
    Option("max-failures", "stop after N requirements failed; the rest is reported not judged and the run is "
                           "INCOMPLETE (exit 3)", "N"),
    Option("report-dir", "folder for results.json, junit.xml and report.html (default: reports)", "DIR"),
    Option("only", "run only requirements whose ID matches this glob (repeatable)", "GLOB", "append"),
    Option("skip", "skip requirements whose ID matches this glob (repeatable)", "GLOB", "append"),
    Option("strict", "SHOULD-level failures count as failures (exit 1)", kind="flag"),
    Option("record", "record every exchange into cassettes in DIR", "DIR"),
    Option("replay", "replay the recording in DIR with the network blocked", "DIR"),
    Option("baseline", "known failures: a results.json or an expectations file (TOML/JSON list of ids)", "FILE"),
    Option("overwrite", "allow --record to replace an existing recording", kind="flag"),
    Option("save-profile", "write the discovered target as a TOML profile claiming what it supported (a regression "
                           "gate: a later run with --target FILE fails where a capability disappears)", "FILE"),
    Option("allow-incomplete", "let --replay use a recording whose run was interrupted", kind="flag"),
    Option("spec", "OpenAI's OpenAPI document (path or URL) for the property phase and schema checks",
           "PATH_OR_URL"),
    Option("seed", "seed of the property-based phase, so runs reproduce and replay (default 20240611)", "N"),
    Option("examples", "property-based examples per operation (default 5)", "N"),
    Option("client", "send the scenarios' requests through a client library: raw (default), openai, node", "NAME"),
    Option("client-cmd", "a client driver command speaking the JSON-lines protocol of docs/clients.md", "CMD"),
)
# Names pytest (or a common plugin) already owns: under pytest they exist only with the oaic- prefix.
PYTEST_RESERVED = {"strict", "timeout"}
# What a replay takes from the recording's own profile: giving these with --replay is a usage error, not ignored.
REPLAY_IGNORES = ("target", "base-url", "api-key-env", "model", "tools-model", "embedding-model",
                  "completions-model", "responses-model", "moderation-model", "transcription-model", "header", "capabilities", "timeout", "total-timeout",
                  "max-requests", "max-tokens-budget", "rps", "overwrite")
# Environment variables read for the target (flags > OAIC_* > profile), shown in `oaic run --help`.
ENVIRONMENT = {
    "OAIC_BASE_URL": "base URL", "OAIC_TARGET": "TOML profile", "OAIC_API_KEY": "the API key (default variable)",
    "OPENAI_API_KEY": "the API key when OAIC_API_KEY is unset", "OAIC_MODEL": "chat model",
    "OAIC_TOOLS_MODEL / OAIC_EMBEDDING_MODEL / OAIC_COMPLETIONS_MODEL / OAIC_RESPONSES_MODEL": "models per area",
    "OAIC_MODERATION_MODEL / OAIC_TRANSCRIPTION_MODEL": "models per area",
    "OAIC_CAPABILITIES": "claimed capabilities", "OAIC_HEADERS": "extra headers, one 'Name: value' per line",
    "OAIC_TIMEOUT / OAIC_TOTAL_TIMEOUT / OAIC_MAX_REQUESTS / OAIC_MAX_TOKENS_BUDGET / OAIC_RPS": "limits",
    "OAIC_MAX_FAILURES": "stop after this many failed requirements",
}


def target_flags(values: dict[str, Any]) -> dict[str, Any]:
    """The subset of option values that describes the target, in the form build_target() takes."""
    from .target import parse_headers

    flags: dict[str, Any] = {
        "target": values.get("target"),
        "base_url": values.get("base_url"),
        "api_key_env": values.get("api_key_env"),
        "capabilities": values.get("capabilities"),
        "models": {area: values.get(dest) for area, dest in (
            ("chat", "model"), ("tools", "tools_model"), ("embeddings", "embedding_model"),
            ("completions", "completions_model"), ("responses", "responses_model"),
            ("moderations", "moderation_model"), ("transcriptions", "transcription_model")) if values.get(dest)},
        "headers": parse_headers(values.get("header") or [], "--header"),
    }
    for key in ("timeout", "total_timeout", "max_requests", "max_tokens_budget", "rps", "max_failures"):
        flags[key] = values.get(key)
    return flags
