"""Audio transcriptions: a half-second tone the suite generates, transcribed in each response format, and two
requests missing a required part, and one naming an unknown model (eight requests). The wording of a transcript is never judged."""

from __future__ import annotations

import pytest
from oaic import multipart
from oaic.audio_clip import SECONDS, tone_wav
from oaic.checks import audio, common, errors

pytestmark = pytest.mark.needs("audio_transcriptions")

CLIP = ("tone.wav", tone_wav(), "audio/wav")


def transcribe(api, fields: dict[str, str], with_file: bool = True):
    """POST the form. The exchange's request_json records the form fields, so checks can read what was asked."""
    body, headers = multipart.encode(fields, {"file": CLIP} if with_file else {})
    return api.request("POST", "/audio/transcriptions", json=fields, content=body, headers=headers)


def in_format(api, target, response_format: str):
    return transcribe(api, {"model": target.model("transcriptions"), "response_format": response_format})


def format_refused(ex) -> str | None:
    """Why the model does not offer the format, when it said so as OpenAI does (400 naming response_format:
    OpenAI's gpt-4o transcribe models answer json only); None otherwise."""
    body = ex.json() if ex.status == 400 else None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("param") == "response_format":
        return f"not judged: the model does not offer this response_format ({str(error.get('message'))[:160]})"
    return None


def not_judged(ex, verdicts, requirements) -> bool:
    """Report a format the model refuses (OpenAI's json-only models do) instead of judging the answer."""
    reason = format_refused(ex)
    if reason:
        verdicts.skip(requirements, reason)
        return True
    return False


@pytest.mark.covers("audio.transcription.json")
def test_json(api, target, verdicts):
    ex = in_format(api, target, "json")
    verdicts.extend(audio.json_transcription(ex))


@pytest.mark.covers("audio.transcription.text", "audio.formats.text-content-type")
def test_text(api, target, verdicts):
    ex = in_format(api, target, "text")
    if not_judged(ex, verdicts, ["audio.transcription.text"]):
        return
    verdicts.extend(audio.text_transcription(ex))


@pytest.mark.covers("audio.verbose.*")
def test_verbose_json(api, target, verdicts):
    ex = in_format(api, target, "verbose_json")
    if not_judged(ex, verdicts, sorted(verdicts.covered)):
        return
    verdicts.extend(audio.verbose_transcription(ex, SECONDS))


@pytest.mark.covers("audio.srt.*", "audio.formats.text-content-type")
def test_srt(api, target, verdicts):
    ex = in_format(api, target, "srt")
    if not_judged(ex, verdicts, ["audio.srt.format", "audio.srt.cues-ordered"]):
        return
    verdicts.extend(audio.subtitles(ex, "srt"))


@pytest.mark.covers("audio.vtt.*", "audio.formats.text-content-type")
def test_vtt(api, target, verdicts):
    ex = in_format(api, target, "vtt")
    if not_judged(ex, verdicts, ["audio.vtt.format", "audio.vtt.cues-ordered"]):
        return
    verdicts.extend(audio.subtitles(ex, "vtt"))


@pytest.mark.covers("audio.input.file-missing-rejected", "audio.input.status-400", "errors.body.shape")
def test_missing_file(api, target, verdicts):
    ex = transcribe(api, {"model": target.model("transcriptions")}, with_file=False)
    verdicts.extend(audio.part_missing_rejected(ex, "audio.input.file-missing-rejected", "a file"))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("audio.input.model-missing-rejected", "audio.input.status-400", "errors.body.shape")
def test_missing_model(api, verdicts):
    ex = transcribe(api, {})
    verdicts.extend(audio.part_missing_rejected(ex, "audio.input.model-missing-rejected", "a model"))
    verdicts.extend(common.error_body(ex))


@pytest.mark.covers("audio.model.unknown-404", "errors.unknown-model.code", "errors.body.shape")
def test_unknown_model(api, verdicts):
    ex = transcribe(api, {"model": "oaic-no-such-model-7b3e", "response_format": "json"})
    verdicts.extend(errors.unknown_model(ex, "audio.model.unknown-404", "a transcription request"))
    verdicts.extend(errors.unknown_model_code(ex))
    verdicts.extend(common.error_body(ex))
