"""Upload bodies: the suite's multipart encoder is deterministic and standard (httpx's parser of record, the
reference provider's form parser and a real multipart reader agree on it), and keeps file bytes exactly."""

from __future__ import annotations

import email.parser
import email.policy

import pytest
from oaic import multipart
from oaic.reference import forms
from oaic.reference.wire import APIError

DATA = b"line one\r\nline two\n\x00\xff binary tail"


def test_the_same_upload_is_the_same_bytes():
    first = multipart.encode({"purpose": "batch"}, {"file": ("a.jsonl", DATA, "application/jsonl")})
    again = multipart.encode({"purpose": "batch"}, {"file": ("a.jsonl", DATA, "application/jsonl")})
    other = multipart.encode({"purpose": "batch"}, {"file": ("a.jsonl", DATA + b"!", "application/jsonl")})
    assert first == again
    assert first[0] != other[0]


def test_a_standard_reader_sees_the_fields_and_the_exact_bytes():
    body, headers = multipart.encode({"purpose": "user_data"}, {"file": ('we"ird.txt', DATA, "text/plain")})
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"content-type: {headers['content-type']}\r\n\r\n".encode() + body)
    parts = list(message.iter_parts())
    assert parts[0].get_param("name", header="content-disposition") == "purpose"
    assert parts[0].get_payload(decode=True) == b"user_data"
    assert parts[1].get_filename() == "we%22ird.txt"
    assert parts[1].get_payload(decode=True) == DATA


def test_the_reference_parser_reads_what_the_suite_sends():
    body, headers = multipart.encode({"purpose": "batch"}, {"file": ("in.jsonl", DATA, "application/jsonl")})
    form = forms.parse(headers["content-type"], body)
    assert form.fields == {"purpose": "batch"}
    assert form.files["file"] == forms.FilePart("in.jsonl", DATA, "application/jsonl")


def test_a_form_without_a_file_stays_multipart():
    body, headers = multipart.encode({"purpose": "user_data"}, {})
    assert headers["content-type"].startswith("multipart/form-data; boundary=")
    form = forms.parse(headers["content-type"], body)
    assert form.fields == {"purpose": "user_data"} and form.files == {}


def test_a_body_that_is_not_a_form_is_a_400():
    with pytest.raises(APIError) as info:
        forms.parse("application/json", b'{"purpose": "batch"}')
    assert info.value.status == 400
