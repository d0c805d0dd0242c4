"""The official openai Python SDK works against the clean reference provider on every endpoint it serves: the
provider speaks OpenAI's wire format closely enough for the client most people use."""

from __future__ import annotations

import json

import pytest

openai = pytest.importorskip("openai")

from oaic.reference.server import running  # noqa: E402

KEY = "sk-oaic-sdk-test"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city"], "additionalProperties": False}}}


@pytest.fixture(scope="module")
def client():
    with running(api_key=KEY) as base_url:
        with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0, timeout=10) as sdk:
            yield sdk


def test_models(client):
    ids = [m.id for m in client.models.list()]
    assert "ref-chat" in ids
    assert client.models.retrieve("ref-chat").id == "ref-chat"
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("no-such-model")
    assert info.value.code == "model_not_found"


def test_wrong_key_is_an_authentication_error(client):
    with pytest.raises(openai.AuthenticationError):
        client.with_options(api_key="sk-wrong").models.list()


def test_chat_non_stream_and_stream_agree(client):
    request = {"model": "ref-chat", "messages": [{"role": "user", "content": "Describe a river."}], "seed": 7}
    whole = client.chat.completions.create(**request)
    assert whole.choices[0].finish_reason == "stop" and whole.usage.total_tokens > 0
    parts, finishes, usage = [], [], None
    for chunk in client.chat.completions.create(**request, stream=True, stream_options={"include_usage": True}):
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            parts.append(choice.delta.content or "")
            finishes.append(choice.finish_reason)
    assert "".join(parts) == whole.choices[0].message.content
    assert [f for f in finishes if f] == ["stop"]
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens


def test_chat_stream_helper_accumulates_tool_calls(client):
    with client.chat.completions.stream(model="ref-tools", tools=[WEATHER], tool_choice="required",
                                        messages=[{"role": "user", "content": "Weather in Paris and Tokyo?"}]) as s:
        for _ in s:
            pass
        final = s.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["Paris", "Tokyo"]
    assert final.choices[0].finish_reason == "tool_calls"


def test_tool_round_trip(client):
    messages = [{"role": "user", "content": "What is the weather in Oslo?"}]
    first = client.chat.completions.create(model="ref-tools", messages=messages, tools=[WEATHER])
    call = first.choices[0].message.tool_calls[0]
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"}]
    second = client.chat.completions.create(model="ref-tools", messages=messages, tools=[WEATHER])
    assert second.choices[0].finish_reason == "stop" and "sunny" in second.choices[0].message.content


def test_structured_output_parses(client):
    from pydantic import BaseModel

    class City(BaseModel):
        name: str
        population: int

    parsed = client.chat.completions.parse(model="ref-chat", response_format=City,
                                           messages=[{"role": "user", "content": "Name a city."}])
    assert isinstance(parsed.choices[0].message.parsed, City)


def test_stored_completions(client):
    created = client.chat.completions.create(model="ref-chat", store=True, metadata={"suite": "sdk"},
                                             messages=[{"role": "user", "content": "Say stored."}])
    assert client.chat.completions.retrieve(created.id).id == created.id
    listed = client.chat.completions.list(metadata={"suite": "sdk"}, limit=5)
    assert created.id in [c.id for c in listed]
    updated = client.chat.completions.update(created.id, metadata={"suite": "sdk", "seen": "yes"})
    assert updated.metadata == {"suite": "sdk", "seen": "yes"}
    messages = client.chat.completions.messages.list(created.id)
    assert [m.content for m in messages] == ["Say stored."]
    deleted = client.chat.completions.delete(created.id)
    assert deleted.deleted and deleted.id == created.id
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(created.id)


def test_stored_list_pages_with_the_cursor(client):
    ids = [client.chat.completions.create(model="ref-chat", store=True, metadata={"batch": "pages"},
                                          messages=[{"role": "user", "content": f"Say {i}."}]).id for i in range(3)]
    walked = [c.id for c in client.chat.completions.list(metadata={"batch": "pages"}, limit=1)]  # auto-paginates
    assert walked == ids


def test_legacy_completions(client):
    done = client.completions.create(model="ref-instruct", prompt="Once upon a time", max_tokens=5)
    assert done.choices[0].finish_reason == "length" and done.usage.completion_tokens == 5
    text = "".join(c.choices[0].text for c in client.completions.create(
        model="ref-instruct", prompt="Once upon a time", max_tokens=5, stream=True) if c.choices)
    assert text == done.choices[0].text


def test_embeddings_float_and_base64(client):
    floats = client.embeddings.create(model="ref-embed", input=["one", "two"], encoding_format="float")
    assert [d.index for d in floats.data] == [0, 1]
    packed = client.embeddings.create(model="ref-embed", input=["one", "two"], encoding_format="base64")
    import base64
    import struct

    raw = packed.data[0].embedding
    decoded = list(struct.unpack(f"<{len(floats.data[0].embedding)}f", base64.b64decode(raw))) \
        if isinstance(raw, str) else raw
    assert decoded == pytest.approx(floats.data[0].embedding, abs=1e-6)
    short = client.embeddings.create(model="ref-embed", input="one", dimensions=8)
    assert len(short.data[0].embedding) == 8


def test_responses_create_stream_retrieve_delete(client):
    first = client.responses.create(model="ref-responses", input="Say hello.")
    assert first.status == "completed" and first.output_text == "hello"
    follow = client.responses.create(model="ref-responses", input="Say again.", previous_response_id=first.id)
    assert follow.previous_response_id == first.id
    cut = client.responses.create(model="ref-responses", input="Tell me a long story.", max_output_tokens=16)
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"
    events = list(client.responses.create(model="ref-responses", input="Say streamed.", stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    with client.responses.stream(model="ref-responses", input="Say helper.") as stream:
        assert stream.get_final_response().output_text == "helper"
    assert client.responses.retrieve(first.id).id == first.id
    client.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.id)


def test_responses_function_call(client):
    tool = {"type": "function", "name": "get_weather", "description": "Get the weather in a city",
            "parameters": WEATHER["function"]["parameters"]}
    response = client.responses.create(model="ref-responses", input="Weather in Rome?", tools=[tool],
                                       tool_choice="required")
    call = response.output[0]
    assert call.type == "function_call" and json.loads(call.arguments) == {"city": "Rome"}
    answer = client.responses.create(model="ref-responses", previous_response_id=response.id, tools=[tool],
                                     input=[{"type": "function_call_output", "call_id": call.call_id,
                                             "output": "rainy"}])
    assert "rainy" in answer.output_text


def test_moderations_string_and_list(client):
    one = client.moderations.create(model="ref-moderation", input="I love sunny days.")
    assert one.id.startswith("modr-") and len(one.results) == 1 and one.results[0].flagged is False
    assert one.results[0].category_scores.violence < 0.5
    many = client.moderations.create(input=["Tea?", "Coffee?", "I will attack the castle in the game."])
    assert many.model == "ref-moderation" and [r.flagged for r in many.results] == [False, False, True]
    assert many.results[2].categories.violence is True
    assert many.results[0].category_applied_input_types.violence == ["text"]
    with pytest.raises(openai.BadRequestError):
        client.moderations.create(model="ref-moderation", input=42)


def test_audio_transcriptions_in_every_format(client):
    from oaic.audio_clip import tone_wav

    clip = ("tone.wav", tone_wav(), "audio/wav")
    plain = client.audio.transcriptions.create(model="ref-whisper", file=clip)
    assert isinstance(plain.text, str) and plain.text
    as_json = client.audio.transcriptions.create(model="ref-whisper", file=clip, response_format="json")
    assert as_json.text == plain.text
    text = client.audio.transcriptions.create(model="ref-whisper", file=clip, response_format="text")
    assert isinstance(text, str) and text.strip() == plain.text
    verbose = client.audio.transcriptions.create(model="ref-whisper", file=clip, response_format="verbose_json",
                                                 timestamp_granularities=["segment", "word"])
    assert verbose.duration == 0.5 and verbose.language == "english" and verbose.text == plain.text
    assert [s.id for s in verbose.segments] == list(range(len(verbose.segments))) and verbose.words
    srt = client.audio.transcriptions.create(model="ref-whisper", file=clip, response_format="srt")
    assert isinstance(srt, str) and srt.startswith("1\n00:00:00,000 --> ")
    vtt = client.audio.transcriptions.create(model="ref-whisper", file=clip, response_format="vtt")
    assert isinstance(vtt, str) and vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    with pytest.raises(openai.NotFoundError):
        client.audio.transcriptions.create(model="no-such-model", file=clip)
    with pytest.raises(openai.BadRequestError):
        client.audio.transcriptions.create(model="ref-whisper", file=("notes.txt", b"hello", "text/plain"))


def test_files_upload_list_retrieve_content_delete(client):
    data = b'{"n": 1}\r\n{"n": 2}\n'
    uploaded = client.files.create(file=("lines.jsonl", data, "application/jsonl"), purpose="user_data")
    assert uploaded.id.startswith("file-") and uploaded.bytes == len(data) and uploaded.filename == "lines.jsonl"
    other = client.files.create(file=("two.txt", b"two"), purpose="assistants")
    assert [f.id for f in client.files.list(purpose="user_data")] == [uploaded.id]
    walked = [f.id for f in client.files.list(limit=1, order="asc")]  # auto-paginates with after=
    assert walked == [uploaded.id, other.id]
    assert client.files.retrieve(uploaded.id).purpose == "user_data"
    assert client.files.content(uploaded.id).read() == data
    deleted = client.files.delete(uploaded.id)
    assert deleted.deleted and deleted.id == uploaded.id
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=("x.txt", b"x"), purpose="sideways")
    client.files.delete(other.id)


def test_batches_create_retrieve_list_cancel(client):
    lines = [{"custom_id": f"r{n}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "ref-chat", "messages": [{"role": "user", "content": f"Say {n}."}], "max_tokens": 3}}
             for n in (1, 2)]
    source = client.files.create(file=("in.jsonl", "".join(json.dumps(x) + "\n" for x in lines).encode()),
                                 purpose="batch")
    batch = client.batches.create(input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert batch.status == "validating" and batch.id.startswith("batch_")
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed" and done.request_counts.completed == 2 and done.completed_at
    results = [json.loads(x) for x in client.files.content(done.output_file_id).text.splitlines()]
    assert sorted(r["custom_id"] for r in results) == ["r1", "r2"]
    assert all(r["response"]["status_code"] == 200 for r in results)
    second = client.batches.create(input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert client.batches.cancel(second.id).status == "cancelling"
    assert client.batches.retrieve(second.id).status == "cancelled"
    assert [b.id for b in client.batches.list(limit=1)] == [second.id, batch.id]  # auto-paginates, newest first
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="1h")
