"""The protocol between grader and guard (course/grading/protocol.py), in-process and fast."""

from __future__ import annotations

import json

import pytest

from course.grading import protocol
from course.grading.intake import _released


def test_seal_and_unseal_round_trip_and_hide_the_text() -> None:
    sign, seal, unseal = protocol.channel(b"k" * 32)
    text = "check_close(f(x), x)  # HIDDEN-MARK é\n" * 20
    sealed = seal("n1", text)
    assert "HIDDEN-MARK" not in sealed and unseal("n1", sealed) == text
    assert seal("n2", text) != sealed, "another nonce must give another ciphertext"
    _sign2, _seal2, unseal2 = protocol.channel(b"x" * 32)
    assert unseal2 is not unseal
    assert sign("body") != protocol.channel(b"x" * 32)[0]("body")


def test_a_request_is_a_cell_that_only_binds_a_signed_string() -> None:
    key = b"s" * 32
    code = protocol.request(key, "abc", "test", "test_double", "assert False  # secret")
    ns: dict = {}
    exec(code, ns)  # noqa: S102 - the cell only binds and deletes a name
    assert "__course_guard__" not in {k for k in ns if k != "__builtins__"}
    text = code.split(" = ", 1)[1].split("\n", 1)[0]
    payload = eval(text)  # noqa: S307 - a string literal
    assert payload.startswith(protocol.PAYLOAD_PREFIX) and "secret" not in payload
    mac, body = payload[len(protocol.PAYLOAD_PREFIX):].split(" ", 1)
    sign, _seal, unseal = protocol.channel(key)
    assert mac == sign(body)
    req = json.loads(body)
    assert (req["n"], req["a"], req["name"]) == ("abc", "test", "test_double")
    assert unseal("abc", req["src"]) == "assert False  # secret"


def test_the_hidden_part_is_cut_with_its_markers() -> None:
    source = "a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\nc = 3"
    assert protocol.visible_part(source) == ["a = 1", "c = 3"]
    assert _released(source + "   \n") == "a = 1\nc = 3"


def test_grader_failures_are_found_in_a_log() -> None:
    err = protocol.GraderFailure("the guard could not be installed (no key)")
    log = f"[INFO] x\nTraceback...\ncourse.grading.protocol.GraderFailure: {err}\n[ERROR] Please see the above traceback"
    assert protocol.failure_line(log) == "the guard could not be installed (no key)"
    assert protocol.failure_line("nothing here") is None



def test_the_guard_reads_back_what_the_grader_requests() -> None:
    key = b"r" * 32
    read = protocol.request_reader(key)
    for action, name, source in (("test", "test_double", "assert f(2) == 4  # é"), ("check", "end", "")):
        code = protocol.request(key, "n7", action, name, source)
        text = eval(code.split(" = ", 1)[1].split("\n", 1)[0])  # noqa: S307 - a string literal
        assert read(text) == ("n7", action, name, source)
    forged = protocol.request(b"x" * 32, "n8", "test", "t", "pass")
    with pytest.raises(protocol.ForgedRequest):
        read(eval(forged.split(" = ", 1)[1].split("\n", 1)[0]))  # noqa: S307
    mac, body = text[len(protocol.PAYLOAD_PREFIX):].split(" ", 1)
    with pytest.raises(protocol.ForgedRequest):
        read(f"{protocol.PAYLOAD_PREFIX}{mac} {body.replace('n7', 'n9')}")
    for junk in (protocol.PAYLOAD_PREFIX + "no-space", "other: a b"):
        with pytest.raises(ValueError):
            read(junk)
