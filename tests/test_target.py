"""Target configuration: precedence flags > OAIC_* environment > TOML profile, and every bad input is one clear error."""

from __future__ import annotations

import pytest
from oaic.errors import UsageError
from oaic.target import CAPABILITIES, build_target, profile_example_path


def write(tmp_path, text: str):
    path = tmp_path / "target.toml"
    path.write_text(text)
    return str(path)


def test_flags_beat_environment_beat_profile(tmp_path):
    profile = write(tmp_path, 'base_url = "http://profile:1/v1"\ntimeout = 7\nrps = 1\n[models]\nchat = "p-chat"\n'
                              'embeddings = "p-embed"\n')
    env = {"OAIC_BASE_URL": "http://env:2/v1", "OAIC_TIMEOUT": "8", "OAIC_MODEL": "e-chat"}
    target = build_target({"target": profile, "base_url": "http://flag:3/v1", "models": {"chat": "f-chat"}}, env)
    assert target.base_url == "http://flag:3/v1"
    assert target.model("chat") == "f-chat"
    assert target.timeout == 8.0  # environment beats profile
    assert target.rps == 1.0  # profile value used when nothing else sets it
    assert target.model("embeddings") == "p-embed"
    assert target.model("tools") == "f-chat"  # tools, completions and responses default to the chat model


def test_api_key_comes_from_the_environment_only():
    env = {"OPENAI_API_KEY": "sk-b"}
    assert build_target({"base_url": "http://h/v1"}, env).api_key == "sk-b"
    env["OAIC_API_KEY"] = "sk-a"
    target = build_target({"base_url": "http://h/v1"}, env)
    assert (target.api_key, target.api_key_env) == ("sk-a", "OAIC_API_KEY")
    target = build_target({"base_url": "http://h/v1", "api_key_env": "MY_KEY"}, {"MY_KEY": "sk-c", **env})
    assert (target.api_key, target.api_key_env) == ("sk-c", "MY_KEY")
    assert "sk-c" not in repr(target) and "sk-c" not in str(target.public())


def test_capabilities_default_from_models_and_explicit_lists():
    target = build_target({"base_url": "http://h/v1", "models": {"chat": "m", "embeddings": "e"}}, {})
    assert target.capabilities == {"core", "models", "chat", "streaming", "embeddings"}
    target = build_target({"base_url": "http://h/v1", "models": {"chat": "m"}, "capabilities": "chat,tools"}, {})
    assert target.capabilities == {"core", "chat", "tools"}
    target = build_target({"base_url": "http://h/v1", "models": {"chat": "m", "embeddings": "e", "completions": "c",
                                                               "moderations": "o", "transcriptions": "w"},
                           "capabilities": "all"}, {})
    assert target.capabilities == set(CAPABILITIES)


def test_headers_from_flags_env_and_profile(tmp_path):
    profile = write(tmp_path, 'base_url = "http://h/v1"\n[headers]\nX-A = "1"\nX-B = "1"\n')
    target = build_target({"target": profile, "headers": {"X-B": "3"}}, {"OAIC_HEADERS": "X-A: 2"})
    assert target.headers == {"X-A": "2", "X-B": "3"}


def test_example_profile_is_valid():
    target = build_target({"target": str(profile_example_path())}, {"MY_PROVIDER_KEY": "k"})
    assert target.name == "my-provider" and target.api_key == "k" and target.claims("tools")


@pytest.mark.parametrize("flags, env, message", [
    ({}, {}, "no base URL"),
    ({"base_url": "localhost:8000"}, {}, "is not an http(s) URL"),
    ({"base_url": "ftp://h/v1"}, {}, "is not an http(s) URL"),
    ({"base_url": "http://h:99999/v1"}, {}, "invalid port"),
    ({"base_url": "http://h/v1?x=1"}, {}, "must not carry a query"),
    ({"base_url": "http://h/v1", "capabilities": "chat,teleport", "models": {"chat": "m"}}, {},
     "unknown capability 'teleport'"),
    ({"base_url": "http://h/v1", "capabilities": "embeddings", "models": {"chat": "m"}}, {},
     "capability 'embeddings' is claimed but no embeddings model is set"),
    ({"base_url": "http://h/v1", "capabilities": "chat"}, {}, "capability 'chat' is claimed but no chat model"),
    ({"base_url": "http://h/v1"}, {"OAIC_TIMEOUT": "soon"}, "timeout must be a number"),
    ({"base_url": "http://h/v1", "max_requests": "0"}, {}, "max-requests must be positive"),
    ({"base_url": "http://h/v1", "api_key_env": "not a name"}, {}, "must be the name of an environment variable"),
    ({"base_url": "http://h/v1", "target": "/no/such/profile.toml"}, {}, "cannot read target profile"),
])
def test_bad_configuration_is_one_clear_error(flags, env, message):
    with pytest.raises(UsageError) as info:
        build_target(flags, env)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text, message", [
    ("base_url = ", "is not valid TOML"),
    ('base_url = "http://h/v1"\ncolour = "red"\n', "unknown key 'colour'"),
    ('base_url = "http://h/v1"\n[models]\nvision = "m"\n', "unknown model area 'vision'"),
    ('base_url = "http://h/v1"\n[models]\nchat = 3\n', "model for chat must be a string"),
    ('base_url = "http://h/v1"\ncapabilities = {chat = "yes"}\n[models]\nchat = "m"\n', "must be true or false"),
    ('base_url = "http://h/v1"\ncapabilities = ["chat", "warp"]\n[models]\nchat = "m"\n', "unknown capability 'warp'"),
    ('base_url = "http://h/v1"\nheaders = "X: y"\n', "[headers] must be a table"),
])
def test_bad_profiles(tmp_path, text, message):
    with pytest.raises(UsageError) as info:
        build_target({"target": write(tmp_path, text)}, {})
    assert message in str(info.value)


def test_capabilities_table_form(tmp_path):
    profile = write(tmp_path, 'base_url = "http://h/v1"\n[models]\nchat = "m"\n[capabilities]\nchat = true\n'
                              'streaming = false\ntools = true\n')
    assert build_target({"target": profile}, {}).capabilities == {"core", "chat", "tools"}


def test_bad_header_flag():
    from oaic.target import parse_headers

    with pytest.raises(UsageError, match="not in the form 'Name: value'"):
        parse_headers(["no colon here"], "--header")


def test_moderation_and_transcription_models_from_flags_and_env_claim_their_areas():
    from oaic.options import target_flags

    flags = target_flags({"base_url": "http://h/v1", "moderation_model": "omni-moderation-latest"})
    target = build_target(flags, {"OAIC_TRANSCRIPTION_MODEL": "whisper-1"})
    assert target.model("moderations") == "omni-moderation-latest" and target.model("transcriptions") == "whisper-1"
    assert {"moderations", "audio_transcriptions"} <= target.capabilities
    with pytest.raises(UsageError, match="give --transcription-model"):
        build_target({"base_url": "http://h/v1", "models": {"chat": "m"}, "capabilities": "audio_transcriptions"}, {})
