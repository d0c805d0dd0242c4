"""Zero-config discovery: before a live run with no capability list, find out what the target is.

A handful of cheap requests (at most MAX_REQUESTS): the model list, the same list without the key (is a key
required?), and one tiny request per API area with a model picked from the list. They decide which models the
scenarios use and which areas are served at all; everything else is attempted by the scenarios themselves, whose
own requests are the probes (an honest refusal is then ``unsupported``, see Results.add). Set-up mistakes found on
the way (a refused key, a model the target does not know, a URL that is not an OpenAI-style API, a base URL
missing its /v1) are usage errors, so they never read as the provider's non-conformance.
"""

from __future__ import annotations

import difflib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from .capabilities import AREA_FEATURES, CAPABILITIES
from .errors import UsageError
from .target import Target

MAX_REQUESTS = 10
PROBE_TIMEOUT_S = 30.0
TINY = "Say hi."
# Words in a model's id that say which area it is for (checked in this order).
HINTS: dict[str, tuple[str, ...]] = {
    "embeddings": ("embed",),
    "moderations": ("moderation",),
    "transcriptions": ("whisper", "transcri"),
    "tools": ("tool", "-fc", "function"),
    "completions": ("instruct",),
    "responses": ("responses",),
}
NOT_CHAT = ("embed", "moderation", "whisper", "transcri", "tts", "dall-e", "image")
# area -> (method, path, body for a model): the cheapest request that shows the area is served
PROBES: dict[str, tuple[str, Any]] = {
    "chat": ("/chat/completions", lambda m: {"model": m, "messages": [{"role": "user", "content": TINY}],
                                             "max_tokens": 1}),
    "embeddings": ("/embeddings", lambda m: {"model": m, "input": TINY}),
    "completions": ("/completions", lambda m: {"model": m, "prompt": TINY, "max_tokens": 1}),
    "responses": ("/responses", lambda m: {"model": m, "input": TINY, "max_output_tokens": 16}),
    "moderations": ("/moderations", lambda m: {"model": m, "input": TINY}),
}
AREA_OF = {"chat": "chat", "embeddings": "embeddings", "completions": "completions", "responses": "responses",
           "moderations": "moderations"}


@dataclass
class Discovery:
    models: dict[str, str] = field(default_factory=dict)  # area -> model the scenarios use
    listed: list[str] = field(default_factory=list)
    not_served: dict[str, str] = field(default_factory=dict)  # capability -> what the target answered
    auth: str = "unknown"  # required | not required | unknown (no key given)
    requests: list[dict[str, Any]] = field(default_factory=list)  # what discovery sent, for the report
    no_key_exchange: Any = None  # the unauthenticated /models answer, judged by errors.auth.key-enforced


class _Prober:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.client = httpx.Client(timeout=httpx.Timeout(min(target.timeout, PROBE_TIMEOUT_S),
                                                         connect=target.connect_timeout),
                                   verify=target.base_url.startswith("https:"), follow_redirects=False)
        self.sent: list[dict[str, Any]] = []
        self._reserved = 0  # requests begun: probes are sent side by side, the budget counts them as they start
        self._lock = threading.Lock()

    def send(self, method: str, path: str, body: Any = None, auth: bool = True,
             base_url: str | None = None) -> httpx.Response:
        with self._lock:
            if self._reserved >= MAX_REQUESTS:
                raise _Budget()
            self._reserved += 1
        headers = dict(self.target.headers)
        if auth and self.target.api_key:
            headers["authorization"] = f"Bearer {self.target.api_key}"
        url = (base_url or self.target.base_url) + path
        try:
            response = self.client.request(method, url, json=body, headers=headers)
        except httpx.TimeoutException:
            self.sent.append({"request": f"{method} {path}", "status": None})
            raise _NoAnswer(f"{method} {path}: no answer within {self.client.timeout.read:g}s") from None
        except httpx.HTTPError as exc:
            raise UsageError(f"cannot reach {self.target.base_url}: {exc}") from None
        self.sent.append({"request": f"{method} {path}" + ("" if auth else " (without the key)"),
                          "status": response.status_code})
        return response

    def close(self) -> None:
        self.client.close()


class _Budget(Exception):
    pass


class _NoAnswer(Exception):
    pass


def _json(response: httpx.Response) -> Any:
    """The body as JSON whatever its content type says (a wrong one is for the scenarios to judge), parsed with
    the suite's bounds; None when it is not JSON at all (an HTML page, a hostile body)."""
    from .wirejson import loads

    try:
        return loads(response.content.decode("utf-8", "replace"))
    except ValueError:
        return None


def _looks_json(response: httpx.Response) -> bool:
    """The body is meant as JSON (it opens an object or array), even when it is broken: a broken API, not a web
    page; the scenarios judge how it is broken."""
    return response.content.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] in (b"{", b"[")


def _describe(response: httpx.Response) -> str:
    ctype = response.headers.get("content-type", "no content type").split(";")[0]
    text = response.text[:120].replace("\n", " ")
    return f"HTTP {response.status_code} {ctype}: {text!r}"


def _error_message(response: httpx.Response) -> str:
    body = _json(response)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or "")
    if isinstance(error, str):
        return error
    return response.text[:200]


def _about_model(response: httpx.Response) -> bool:
    """A refusal that is about the model (unknown, not found), not about the route or the request."""
    body = _json(response)
    error = body.get("error") if isinstance(body, dict) else None
    text = json.dumps(error if error is not None else body or response.text[:300]).lower()
    return response.status_code in (400, 404, 422) and "model" in text


def discover(target: Target, pinned_models: dict[str, str], probe_areas: bool = True) -> Discovery:
    """Probe the target; raise UsageError for a set-up mistake. ``pinned_models`` were given by the user; without
    ``probe_areas`` (the user listed the capabilities) only the set-up is checked."""
    prober = _Prober(target)
    found = Discovery()
    try:
        _models(prober, target, found)
        if probe_areas:
            with ThreadPoolExecutor(1) as pool:  # the no-key probe goes beside the area probes
                auth = pool.submit(_auth, prober, target, found)
                _areas(prober, target, pinned_models, found)
                auth.result()
        else:
            for area, model in pinned_models.items():
                if found.listed and model not in found.listed:
                    _check_unlisted_model(prober, area, model, found.listed)
    except _Budget:
        pass
    finally:
        prober.close()
        found.requests = prober.sent
    return found


def _models(prober: _Prober, target: Target, found: Discovery) -> None:
    response = prober.send("GET", "/models")
    if response.status_code in (401, 403):
        source = f"the key in {target.api_key_env}" if target.api_key else \
            f"no key (set {target.api_key_env}, or name another variable with --api-key-env)"
        raise UsageError(f"{target.base_url} refused {source}: GET /models answered HTTP {response.status_code}: "
                         f"{_error_message(response)[:160]!r}")
    body = _json(response)
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        found.listed = [str(m.get("id")) for m in body["data"] if isinstance(m, dict) and m.get("id")]
        return
    if response.status_code in (404, 405) and not target.base_url.rstrip("/").endswith("/v1"):
        # Is the API one folder down?
        try:
            nested = prober.send("GET", "/models", base_url=target.base_url.rstrip("/") + "/v1")
        except _NoAnswer:
            nested = None
        nested_body = _json(nested) if nested is not None else None
        if isinstance(nested_body, dict) and isinstance(nested_body.get("data"), list):
            raise UsageError(f"{target.base_url} serves its API under /v1: give --base-url "
                             f"{target.base_url.rstrip('/')}/v1")
    if body is not None or _looks_json(response):
        return  # JSON (or meant to be), but not a list: the models and transport scenarios judge it
    # Not an OpenAI-style answer: is there a chat route at least?
    model = target.models.get("chat") or "gpt-4o-mini"
    try:
        chat = prober.send("POST", "/chat/completions", PROBES["chat"][1](model))
    except _NoAnswer:
        chat = None
    if chat is None or not _looks_json(chat):
        raise UsageError(f"{target.base_url} does not answer like an OpenAI-compatible API: GET /models answered "
                         f"{_describe(response)}"
                         + (f", POST /chat/completions {_describe(chat)}" if chat is not None else ""))


def _auth(prober: _Prober, target: Target, found: Discovery) -> None:
    if not target.api_key:
        return
    response = prober.send("GET", "/models", auth=False)
    # served without a key: not required; refused in any way: the auth requirements judge how
    found.auth = "not required" if response.status_code < 300 else "required"
    from .exchange import Exchange

    found.no_key_exchange = Exchange.from_parts("GET", "/models", status=response.status_code,
                                                headers=dict(response.headers), body=response.content)


def _candidates(area: str, listed: list[str]) -> list[str]:
    hinted = [m for m in listed if any(h in m.lower() for h in HINTS.get(area, ()))]
    if area == "embeddings" and not hinted:  # an embedding server's models rarely say so (all-MiniLM-L6-v2)
        return listed[:1]
    if area in ("embeddings", "moderations", "transcriptions"):
        return hinted
    chat_like = [m for m in listed if not any(word in m.lower() for word in NOT_CHAT)]
    if area == "chat":  # a plain name first: no hint of another area
        plain = [m for m in chat_like if not any(h in m.lower() for hints in HINTS.values() for h in hints)]
        return plain + [m for m in chat_like if m not in plain]
    return hinted + [m for m in chat_like if m not in hinted]


def _areas(prober: _Prober, target: Target, pinned: dict[str, str], found: Discovery) -> None:
    """One probe per area, sent side by side: chat, embeddings and moderations (and the no-key probe, see
    discover) at once, then completions and responses, which may fall back to the model chat answered with. Against
    a remote API that is two round trips instead of five."""
    for model_area, model in pinned.items():
        if found.listed and model not in found.listed:
            _check_unlisted_model(prober, model_area, model, found.listed)
    for wave in (("chat", "embeddings", "moderations"), ("completions", "responses")):
        with ThreadPoolExecutor(len(wave)) as pool:
            for done in [pool.submit(_probe_area, prober, area, pinned, found) for area in wave]:
                done.result()  # a set-up mistake (UsageError) or the budget (_Budget) surfaces here
    for area in ("tools", "transcriptions"):
        if area in pinned:
            found.models[area] = pinned[area]
        elif _candidates(area, found.listed):
            found.models[area] = _candidates(area, found.listed)[0]


def _probe_area(prober: _Prober, area: str, pinned: dict[str, str], found: Discovery) -> None:
    """Find the model of one area (at most two tries), or that the area is not served; writes only its own keys
    of ``found`` (areas are probed side by side)."""
    if area in pinned:
        found.models[area] = pinned[area]
        return
    candidates = _candidates(area, found.listed)
    if area in ("completions", "responses") and found.models.get("chat"):
        # a model named for the area (an -instruct model), else the chat model that already answered
        hinted = [m for m in found.listed if any(h in m.lower() for h in HINTS[area])]
        candidates = [m for m in hinted if m != found.models["chat"]][:1] + [found.models["chat"]]
    if not candidates and area != "moderations":
        return  # nothing listed: the area's scenarios need a model the user names
    for model in (candidates or [None])[:2]:
        path, body = PROBES[area]
        payload = body(model)
        if model is None:
            payload.pop("model")
        try:
            response = prober.send("POST", path, payload)
        except _NoAnswer:
            if model:
                found.models[area] = model  # slow is not absent: the scenarios judge the area
            return
        if response.status_code < 300:
            if model:
                found.models[area] = model
            return
        if response.status_code in (404, 405, 501) and not _about_model(response):
            reason = f"POST {path} answered {_describe(response)}"
            for capability in (area, *AREA_FEATURES.get(area, ())):
                found.not_served[capability] = reason
            return
        if not _about_model(response):
            if model:
                found.models[area] = model  # served, but the probe was refused: the scenarios judge why
            return


def _check_unlisted_model(prober: _Prober, area: str, model: str, listed: list[str]) -> None:
    """A model the list does not show may still be served (aliases, wildcards): one request decides."""
    probe_area = area if area in PROBES else "chat"
    path, body = PROBES[probe_area]
    try:
        response = prober.send("POST", path, body(model))
    except _NoAnswer:
        return
    if response.status_code >= 400 and _about_model(response):
        close = difflib.get_close_matches(model, listed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"the target does not know the {area} model {model!r} (POST {path} answered HTTP "
                         f"{response.status_code}); it lists: {', '.join(listed[:12])}"
                         f"{' …' if len(listed) > 12 else ''}{hint}")


def apply(target: Target, found: Discovery, client: bool = False) -> None:
    """Make the target what discovery found: its models, every capability attempted except the areas not served
    (and those that need a model nobody found)."""
    target.models = {**found.models, **target.models}
    attempted = set(CAPABILITIES) - {"client"} - set(found.not_served)
    for area, capability in (("chat", "chat"), ("embeddings", "embeddings"), ("moderations", "moderations"),
                             ("transcriptions", "audio_transcriptions")):
        if not target.model(area) and area != "moderations":
            attempted -= {capability, *AREA_FEATURES.get(capability, ())}
    if not target.model("chat"):
        attempted -= {"completions", "responses", "tools", "batches", *AREA_FEATURES.get("completions", ()),
                      *AREA_FEATURES.get("responses", ())}
    if found.auth != "required":
        attempted.discard("auth")
    target.capabilities = attempted | {"core"} | ({"client"} if client else set())
    target.attempted = attempted - {"core"}
    target.not_served = dict(found.not_served)
