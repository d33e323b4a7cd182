"""What the grader and the guard (and the rest of the grading code) agree on, in one place.

The channel between grader and guard (``kernel.py`` and ``execute.py`` outside the kernel,
``guard.py`` inside):

- environment: the guard reads its one-time key from the file named by :data:`KEY_FILE_ENV`
  (and deletes it), writes its answers to the descriptor :data:`FD_ENV`, and treats code from
  :data:`ROOTS_ENV` as the course's and the Python installation's own;
- requests: an instructor's cell is sent as :func:`request`, a cell that only binds a string
  constant starting with :data:`PAYLOAD_PREFIX` and holding a signed JSON body whose source is
  sealed (:func:`channel`); the guard runs it under a file name starting with
  :data:`TEST_FILE_PREFIX` or :data:`LOCKED_FILE_PREFIX`;
- answers: one signed JSON line per request (``<hmac> <json>``); the guard reads a request
  with :func:`request_reader`;
- hidden tests: the lines between :data:`HIDDEN_BEGIN` and :data:`HIDDEN_END` (:func:`visible_part`).

Only the standard library is used: the guard imports this module inside the kernel, and
captures what it needs from it when it is installed (:func:`channel` captures its tools once).

Grader failures: when grading cannot be trusted for reasons that are not the student's (the
guard cannot install, an instructor's locked cell fails, the kernel would import another
``course`` than the grader's, the reference solution does not earn full marks through the
grader), grading raises :class:`GraderFailure`. Its message starts with
:data:`GRADER_FAILURE`, so that ``course autograde`` can tell it apart in nbgrader's log
from a submission that is merely broken: the student is left ungraded (no zero is written)
and the batch exits non-zero.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable

PAYLOAD_PREFIX = "course-guard:"
TEST_FILE_PREFIX = "<course-test "
LOCKED_FILE_PREFIX = "<course-cell "
KEY_FILE_ENV = "COURSE_GUARD_KEY_FILE"
FD_ENV = "COURSE_GUARD_FD"
ROOTS_ENV = "COURSE_GUARD_ROOTS"
HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"
GRADER_FAILURE = "course grader failure:"


def channel(key: bytes) -> tuple[Callable[[str], str], Callable[[str, str], str], Callable[[str, str], str]]:
    """``(sign, seal, unseal)`` for one key, with every tool they use captured now.

    ``sign(body)`` is an HMAC-SHA256 hex digest; ``seal(nonce, text)`` encrypts with a SHA-256
    keystream (IPython keeps every cell it runs, and a test's hidden part must not be readable
    there); ``unseal`` reverses it. The key never leaves grader and guard.
    """
    _new, _sha256, _b64encode, _b64decode = hmac.new, hashlib.sha256, base64.b64encode, base64.b64decode
    _bytes, _bytearray, _zip, _len = bytes, bytearray, zip, len

    def sign(body: str) -> str:
        return _new(key, body.encode(), _sha256).hexdigest()

    def stream(nonce: str, n: int) -> bytes:
        out = _bytearray()
        counter = 0
        while _len(out) < n:
            out += _new(key, f"{nonce}:{counter}".encode(), _sha256).digest()
            counter += 1
        return _bytes(out[:n])

    def seal(nonce: str, text: str) -> str:
        data = text.encode("utf-8")
        return _b64encode(_bytes(a ^ b for a, b in _zip(data, stream(nonce, _len(data))))).decode()

    def unseal(nonce: str, text: str) -> str:
        data = _b64decode(text)
        return _bytes(a ^ b for a, b in _zip(data, stream(nonce, _len(data)))).decode("utf-8")

    return sign, seal, unseal


def request(key: bytes, nonce: str, action: str, name: str, source: str) -> str:
    """The cell the grader sends for one instructor's cell: a signed request, its source sealed."""
    sign, seal, _unseal = channel(key)
    body = json.dumps({"n": nonce, "a": action, "name": name, "src": seal(nonce, source)})
    text = f"{PAYLOAD_PREFIX}{sign(body)} {body}"
    return f"__course_guard__ = {text!r}\ndel __course_guard__\n"


class ForgedRequest(ValueError):
    """A request whose signature is not the key's."""


def request_reader(key: bytes) -> Callable[[str], tuple[str, str, str, str]]:
    """The guard's side of :func:`request`, with every tool it uses captured now.

    ``read(text)`` takes the string constant of a request cell and returns ``(nonce, action,
    name, source)``, the source unsealed; it raises :class:`ForgedRequest` when the signature
    is not the key's, and ValueError when the text is no request at all.
    """
    sign, _seal, unseal = channel(key)
    _len, _loads, _compare, _ValueError, _Forged = len, json.loads, hmac.compare_digest, ValueError, ForgedRequest
    prefix = PAYLOAD_PREFIX

    def read(text: str) -> tuple[str, str, str, str]:
        if not text.startswith(prefix) or " " not in text:
            raise _ValueError("not a request")
        mac, body = text[_len(prefix):].split(" ", 1)
        if not _compare(mac, sign(body)):
            raise _Forged("bad signature")
        req = _loads(body)
        nonce = req.get("n", "")
        source = req.get("src") or ""
        return nonce, req.get("a"), req.get("name", ""), unseal(nonce, source) if source else source

    return read


def visible_part(source: str, begin: str = HIDDEN_BEGIN, end: str = HIDDEN_END) -> list[str]:
    """The lines of a test cell that the learner sees: all but the hidden block and its markers."""
    out, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    return out


class GraderFailure(RuntimeError):
    """Grading could not be trusted, for a reason that is the grader's, not the student's."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{GRADER_FAILURE} {reason}")


def failure_line(text: str) -> str | None:
    """The grader failure's one-line reason in a log, or None."""
    for line in reversed(text.splitlines()):
        at = line.find(GRADER_FAILURE)
        if at >= 0:
            return line[at + len(GRADER_FAILURE):].strip()[:400]
    return None
