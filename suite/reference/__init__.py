"""The reference provider: a faithful OpenAI-compatible API (ASGI) with a catalogue of injectable faults."""
