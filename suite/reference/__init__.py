"""The reference provider: a faithful OpenAI-compatible API (ASGI) with a catalogue of injectable faults.

It answers the way OpenAI's recorded transcripts do, deterministically (replies are derived from the prompt), so
the suite can prove itself: clean, it must pass everything; with one fault, the requirements the fault names must
fail. Run it with ``oaic serve [--fault NAME] [--api-key-env VAR] [--routes AREAS] [--unknown-routes detail]
[--latency SECONDS]``, or in-process:

    create_app(faults=(), api_key=None, ...)       the Starlette app of a fresh provider (app.py)
    ReferenceServer(...) / running(...)            served by uvicorn in a background thread (server.py)

Modules: app.py (routes, auth, hooks), wire.py (errors, JSON, SSE, stalls and drops), params.py and messages.py
(OpenAI's validation), text.py / instances.py / toolplan.py (the deterministic "model"), one module per endpoint
(models, chat, stored, completions, embeddings, responses), and faults/ (the catalogue, one module per area, plus
the legal variations the suite must not report, and the variations on which a check's precondition never
happens).
"""
