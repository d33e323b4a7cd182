"""The sandbox's command lines, read without starting bubblewrap: what the kernel sees, what it
may write, who it runs as, which limits it gets. Part of the fast oracle of ``make mutation``;
``test_sandbox.py`` starts real sandboxes."""

from __future__ import annotations

from pathlib import Path

from course.grading import sandbox as sbx
from course.paths import package_dir


def _binds(args: list[str], flag: str) -> list[tuple[str, str]]:
    return [(args[i + 1], args[i + 2]) for i, a in enumerate(args) if a == flag]


def test_only_the_declared_folders_are_writable(tmp_path: Path) -> None:
    sockets = tmp_path / "sockets"
    sockets.mkdir()
    args = sbx.Box(cwd=str(tmp_path / "scratch"), extra_rw=[str(sockets)]).wrap(["python", "-c", "pass"])
    assert _binds(args, "--bind") == [(str(sockets), str(sockets))]
    read_only = [dest for _, dest in _binds(args, "--ro-bind")]
    package = str(package_dir())
    assert any(package == r or package.startswith(r.rstrip("/") + "/") for r in read_only), read_only
    assert args[-3:] == ["python", "-c", "pass"] and args[-4] == "--"
