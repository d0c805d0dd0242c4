"""oaic: the conformance and contract test suite for OpenAI-compatible APIs."""

__version__ = "0.1.0"
