"""The conformance scenarios: thin pytest tests (build request, send, run checks, record findings)."""
