"""course.grading.protocol pinned down against an independent computation: the oracle of
`make mutation` for the grader-guard channel."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from course.grading import protocol

KEY = b"k3y" * 11


def _stream(nonce: str, n: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < n:
        out += hmac.new(KEY, f"{nonce}:{counter}".encode(), hashlib.sha256).digest()
        counter += 1
    return out[:n]


def test_constants() -> None:
    assert (protocol.PAYLOAD_PREFIX, protocol.TEST_FILE_PREFIX, protocol.LOCKED_FILE_PREFIX) == (
        "course-guard:", "<course-test ", "<course-cell ")
    assert (protocol.KEY_FILE_ENV, protocol.FD_ENV, protocol.ROOTS_ENV) == (
        "COURSE_GUARD_KEY_FILE", "COURSE_GUARD_FD", "COURSE_GUARD_ROOTS")
    assert (protocol.HIDDEN_BEGIN, protocol.HIDDEN_END, protocol.GRADER_FAILURE) == (
        "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "course grader failure:")


def test_sign_seal_unseal_match_an_independent_computation() -> None:
    sign, seal, unseal = protocol.channel(KEY)
    assert sign("body é") == hmac.new(KEY, "body é".encode(), hashlib.sha256).hexdigest()
    for text in ("", "a", "x" * 32, "é" * 33, "line\n" * 40):
        data = text.encode()
        want = base64.b64encode(bytes(a ^ b for a, b in zip(data, _stream("n0", len(data))))).decode()
        assert seal("n0", text) == want
        assert unseal("n0", want) == text


def test_request_is_exactly_this_cell() -> None:
    sign, seal, _ = protocol.channel(KEY)
    cell = protocol.request(KEY, "nonce1", "test", "test_f", "assert f(1) == 2")
    body = json.dumps({"n": "nonce1", "a": "test", "name": "test_f", "src": seal("nonce1", "assert f(1) == 2")})
    text = f"course-guard:{sign(body)} {body}"
    assert cell == f"__course_guard__ = {text!r}\ndel __course_guard__\n"


def test_visible_part() -> None:
    src = "a\n# BEGIN HIDDEN TESTS\nb\n# END HIDDEN TESTS\nc\n# BEGIN HIDDEN TESTS\nd"
    assert protocol.visible_part(src) == ["a", "c"]
    assert protocol.visible_part("a\n<<\nb\n>>\nc", "<<", ">>") == ["a", "c"]
    assert protocol.visible_part("") == [""]


def test_grader_failure_and_failure_line() -> None:
    err = protocol.GraderFailure("no key")
    assert err.reason == "no key" and str(err) == "course grader failure: no key"
    assert isinstance(err, RuntimeError)
    log = "x course grader failure: first\ny course grader failure:   second  \nz"
    assert protocol.failure_line(log) == "second"
    assert protocol.failure_line("course grader failure: " + "w" * 500) == "w" * 400
    assert protocol.failure_line("course grader failure:") == ""
    assert protocol.failure_line("") is None
    assert protocol.failure_line("course grader failure: a course grader failure: b") == "a course grader failure: b"


def test_request_reader_refuses_what_is_not_exactly_signed() -> None:
    read = protocol.request_reader(KEY)
    for junk in ("course-guard:no-space", "other: a b"):
        with pytest.raises(ValueError, match="^not a request$") as err:
            read(junk)
        assert not isinstance(err.value, protocol.ForgedRequest)
    body = json.dumps({"n": "n1", "a": "test", "name": "t", "src": ""})
    mac = hmac.new(KEY, body.encode(), hashlib.sha256).hexdigest()
    assert read(f"course-guard:{mac} {body}") == ("n1", "test", "t", "")
    for forged in (f"course-guard:{mac}  {body}", f"course-guard:{mac} {body} ", f"course-guard:{mac.upper()} {body}"):
        with pytest.raises(protocol.ForgedRequest, match="^bad signature$"):
            read(forged)


def test_request_reader_defaults_of_a_bare_request() -> None:
    read = protocol.request_reader(KEY)
    body = json.dumps({"a": "check"})
    mac = hmac.new(KEY, body.encode(), hashlib.sha256).hexdigest()
    assert read(f"course-guard:{mac} {body}") == ("", "check", "", "")
    _sign, seal, _unseal = protocol.channel(KEY)
    body = json.dumps({"a": "test", "src": seal("", "x = 1")})
    mac = hmac.new(KEY, body.encode(), hashlib.sha256).hexdigest()
    assert read(f"course-guard:{mac} {body}") == ("", "test", "", "x = 1")
