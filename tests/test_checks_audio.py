"""Transcription checks on OpenAI's documented formats and on deviations servers shipped. The wording of a
transcript is never judged: an empty one passes too."""

from __future__ import annotations

import pytest
from oaic.audio_clip import tone_wav, wav_duration
from oaic.checks import audio
from oaic.checks.transport import json_response
from oaic.exchange import Exchange

from tests.helpers import assert_fails, assert_no_failures, assert_passes

PLAIN = {"content-type": "text/plain; charset=utf-8"}
OPENAI_ERROR = {"error": {"message": "Missing required parameter: 'file'.", "type": "invalid_request_error",
                          "param": "file", "code": "missing_required_parameter"}}
SRT = ("1\n00:00:00,000 --> 00:00:03,320\nThe beach was a popular spot.\n\n"
       "2\n00:00:03,320 --> 00:00:08,470\nPeople were swimming in the ocean.\n\n")
VTT = ("WEBVTT\n\n00:00:00.000 --> 00:00:03.320\nThe beach was a popular spot.\n\n"
       "00:00:03.320 --> 00:00:08.470\nPeople were swimming in the ocean.\n\n")


def segment(i, start, end, text=" Hello."):
    """A segment as whisper-1 answers (schema TranscriptionSegment)."""
    return {"id": i, "seek": 0, "start": start, "end": end, "text": text, "tokens": [50364, 2425, 13],
            "temperature": 0.0, "avg_logprob": -0.28, "compression_ratio": 1.23, "no_speech_prob": 0.0098}


def verbose_body(**changes):
    body = {"task": "transcribe", "language": "english", "duration": 8.470000267028809,
            "text": "The beach was a popular spot. People were swimming in the ocean.",
            "segments": [segment(0, 0.0, 3.3199999332), segment(1, 3.3199999332, 8.47)],
            "usage": {"type": "duration", "seconds": 9}}
    return {**body, **changes}


def exchange(body, fmt, status=200, headers=None, **fields):
    headers = headers or (PLAIN if fmt in ("text", "srt", "vtt") and status == 200 else None)
    return Exchange.from_parts("POST", "/audio/transcriptions", status=status, headers=headers, body=body,
                               request_json={"model": "whisper-1", "response_format": fmt, **fields})


def verbose(body, seconds=8.47, **fields):
    return audio.verbose_transcription(exchange(body, "verbose_json", **fields), seconds)


def test_the_suite_audio_is_a_deterministic_half_second_wav():
    assert tone_wav() == tone_wav() and wav_duration(tone_wav()) == 0.5


def test_json_format():
    assert_passes(audio.json_transcription(exchange({"text": "Hello.", "usage": {"type": "duration", "seconds": 1}},
                                                    "json")), audio.JSON)
    assert_passes(audio.json_transcription(exchange({"text": ""}, "json")), audio.JSON)  # silence: no words
    assert_fails(audio.json_transcription(exchange({"transcript": "Hello."}, "json")), audio.JSON, "text is missing")
    assert_fails(audio.json_transcription(exchange("Hello.\n", "json", headers=PLAIN)), audio.JSON,
                 "expected a JSON object")
    assert_fails(audio.json_transcription(exchange(OPENAI_ERROR, "json", status=400)), audio.JSON, "HTTP 400")


def test_text_format():
    findings = audio.text_transcription(exchange("The beach was a popular spot.\n", "text"))
    assert_passes(findings, audio.TEXT)
    assert_passes(findings, audio.TEXT_CONTENT_TYPE)
    assert_no_failures(audio.text_transcription(exchange("\n", "text")))
    findings = audio.text_transcription(exchange({"text": "Hello."}, "text", headers={"content-type":
                                                                                       "application/json"}))
    assert_fails(findings, audio.TEXT, "format was ignored")
    assert_fails(findings, audio.TEXT_CONTENT_TYPE, "application/json")
    assert_fails(audio.text_transcription(exchange('"Hello."', "text")), audio.TEXT, "answered JSON")
    assert_fails(audio.text_transcription(exchange(OPENAI_ERROR, "text", status=500)), audio.TEXT, "HTTP 500")


def test_plain_text_answers_are_not_judged_as_json_by_the_transport_check():
    assert json_response(exchange("Hello.\n", "text")) == []
    assert json_response(exchange(SRT, "srt")) == []
    judged = json_response(exchange("Hello.\n", "json", headers=PLAIN))
    assert [f.verdict for f in judged] == ["fail"]


def test_openai_verbose_json_passes():
    findings = verbose(verbose_body())
    assert_no_failures(findings)
    for req in audio.VERBOSE_CHECKS:
        assert_passes(findings, req)


def test_verbose_without_segments_for_silence_or_word_timestamps():
    assert_no_failures(verbose(verbose_body(segments=[], text="")))
    words_only = verbose(verbose_body(segments=None, words=[{"word": "The", "start": 0.0, "end": 0.2}]),
                         **{"timestamp_granularities[]": "word"})
    assert_no_failures(words_only)
    body = verbose_body()
    del body["segments"]
    assert_fails(verbose(body), audio.SEGMENTS, "segments is missing")


@pytest.mark.parametrize("changes,message", [
    ({"duration": "8.47"}, "duration is \"8.47\""),
    ({"duration": -1}, "non-negative"),
    ({"language": None}, "language is null"),
    ({"text": ["The beach"]}, "text is"),
])
def test_verbose_shape(changes, message):
    assert_fails(verbose(verbose_body(**changes)), audio.VERBOSE_SHAPE, message)


def test_verbose_not_json_or_refused():
    findings = audio.verbose_transcription(exchange("The beach.", "verbose_json", headers=PLAIN), 8.47)
    assert_fails(findings, audio.VERBOSE_SHAPE, "expected 200 with a JSON object")


def test_verbose_task():
    body = verbose_body()
    del body["task"]
    assert_fails(verbose(body), audio.TASK, "task is missing")
    assert_fails(verbose(verbose_body(task="transcription")), audio.TASK, "\"transcription\"")


@pytest.mark.parametrize("bad,message", [
    ({"id": "0"}, "id is \"0\""),
    ({"start": 4.0, "end": 3.0}, "starts at 4.0 and ends at 3.0"),
    ({"start": -0.5}, "0 <= start"),
    ({"end": "3.32"}, "expected numbers"),
    ({"text": None}, "text is null"),
])
def test_segment_shape(bad, message):
    body = verbose_body()
    body["segments"][0].update(bad)
    assert_fails(verbose(body), audio.SEGMENT_SHAPE, message)


def test_segment_decoding_fields():
    body = verbose_body()
    body["segments"] = [{k: s[k] for k in ("id", "start", "end", "text")} for s in body["segments"]]
    assert_fails(verbose(body), audio.SEGMENT_FIELDS, "lacks seek, tokens")


def test_segments_overlapping_or_out_of_order():
    body = verbose_body()
    body["segments"][1]["start"] = 3.0
    assert_fails(verbose(body), audio.ORDERED, "before segments[0]")
    body = verbose_body()
    body["segments"].reverse()
    assert_fails(verbose(body), audio.ORDERED, "time order")
    body = verbose_body()
    body["segments"][1]["id"] = 0
    assert_fails(verbose(body), audio.ORDERED, "do not increase")


def test_segments_touching_within_rounding_pass():
    body = verbose_body()
    body["segments"][1]["start"] = 3.3195
    assert_passes(verbose(body), audio.ORDERED)


def test_segment_past_the_duration():
    body = verbose_body()
    body["segments"][1]["end"] = 10.0
    assert_fails(verbose(body), audio.WITHIN, "after the duration")
    body["segments"][1]["end"] = 8.52  # within rounding of the 20 ms timestamp grid
    assert_passes(verbose(body), audio.WITHIN)


def test_duration_far_from_the_audio_length():
    assert_fails(verbose(verbose_body(duration=8470)), audio.DURATION, "milliseconds")
    assert_fails(verbose(verbose_body(duration=30.0)), audio.DURATION, "lasts 8.47 s")
    skipped = audio.verbose_transcription(exchange(verbose_body(), "verbose_json"))
    assert [f.verdict for f in skipped if f.requirement == audio.DURATION] == ["skip"]


def test_openai_srt_and_vtt_pass():
    for fmt, text, form, ordered in (("srt", SRT, audio.SRT_FORMAT, audio.SRT_ORDERED),
                                     ("vtt", VTT, audio.VTT_FORMAT, audio.VTT_ORDERED)):
        findings = audio.subtitles(exchange(text, fmt), fmt)
        assert_no_failures(findings)
        for req in (form, ordered, audio.TEXT_CONTENT_TYPE):
            assert_passes(findings, req)


def test_legal_subtitle_variants_pass():
    crlf = SRT.replace("\n", "\r\n")
    assert_no_failures(audio.subtitles(exchange(crlf, "srt"), "srt"))
    vtt = ("\ufeffWEBVTT - transcript\r\n\r\nNOTE a comment\r\n\r\ncue-1\r\n00:00.000 --> 00:03.320 align:start\r\n"
           "The beach.\r\n\r\n")
    assert_no_failures(audio.subtitles(exchange(vtt, "vtt"), "vtt"))
    assert_no_failures(audio.subtitles(exchange("", "srt"), "srt"))  # silence: no cue


@pytest.mark.parametrize("text,message", [
    (SRT.replace("00:00:03,320 -->", "00:00:03.320 -->"), "that is WebVTT"),
    (SRT.replace("2\n", "1\n", 1), "numbered \"1\", expected 2"),
    (SRT.replace("1\n00", "0\n00", 1), "expected 1"),
    ("1\nThe beach was a popular spot.\n\n", "timing line"),
])
def test_srt_format(text, message):
    assert_fails(audio.subtitles(exchange(text, "srt"), "srt"), audio.SRT_FORMAT, message)


def test_srt_cues_out_of_order():
    blocks = SRT.split("\n\n")[:2]
    swapped = "1\n" + blocks[1].split("\n", 1)[1] + "\n\n2\n" + blocks[0].split("\n", 1)[1] + "\n\n"
    assert_fails(audio.subtitles(exchange(swapped, "srt"), "srt"), audio.SRT_ORDERED, "before cue 1 ends")
    inverted = SRT.replace("00:00:00,000 --> 00:00:03,320", "00:00:03,320 --> 00:00:00,000")
    assert_fails(audio.subtitles(exchange(inverted, "srt"), "srt"), audio.SRT_ORDERED, "after it ends")


@pytest.mark.parametrize("text,message", [
    (VTT.partition("\n\n")[2], "WEBVTT"),
    (VTT.replace(".320 -->", ",320 -->", 1), "that is SubRip"),
    ("WEBVTT\n\n00:00:00.000 -> 00:00:03.320\nHello.\n\n", "timing line"),
])
def test_vtt_format(text, message):
    assert_fails(audio.subtitles(exchange(text, "vtt"), "vtt"), audio.VTT_FORMAT, message)


def test_vtt_cues_overlapping():
    overlapping = VTT.replace("00:00:03.320 --> 00:00:08.470", "00:00:02.000 --> 00:00:08.470")
    assert_fails(audio.subtitles(exchange(overlapping, "vtt"), "vtt"), audio.VTT_ORDERED, "before cue 1 ends")


def test_subtitles_answered_as_json_or_refused():
    findings = audio.subtitles(exchange({"text": "Hello."}, "srt", headers={"content-type": "application/json"}),
                               "srt")
    assert_fails(findings, audio.SRT_FORMAT, "format was ignored")
    assert_fails(findings, audio.TEXT_CONTENT_TYPE, "expected text/plain")
    assert_fails(audio.subtitles(exchange(OPENAI_ERROR, "vtt", status=400), "vtt"), audio.VTT_FORMAT, "HTTP 400")
    labelled_json = audio.subtitles(exchange(VTT, "vtt", headers={"content-type": "application/json"}), "vtt")
    assert_passes(labelled_json, audio.VTT_FORMAT)
    assert_fails(labelled_json, audio.TEXT_CONTENT_TYPE, "'application/json'")


@pytest.mark.parametrize("requirement,missing", [(audio.FILE_MISSING, "a file"), (audio.MODEL_MISSING, "a model")])
def test_request_missing_a_part(requirement, missing):
    def ex(status, body):
        return Exchange.from_parts("POST", "/audio/transcriptions", request_json={}, status=status, body=body)

    findings = audio.part_missing_rejected(ex(400, OPENAI_ERROR), requirement, missing)
    assert_passes(findings, requirement)
    assert_passes(findings, audio.STATUS_400)
    assert_fails(audio.part_missing_rejected(ex(200, {"text": "Hi."}), requirement, missing), requirement,
                 "was accepted")
    assert_fails(audio.part_missing_rejected(ex(500, OPENAI_ERROR), requirement, missing), requirement,
                 "server error")
    findings = audio.part_missing_rejected(ex(422, {"detail": [{"loc": ["body", "file"]}]}), requirement, missing)
    assert_fails(findings, audio.STATUS_400, "422")
