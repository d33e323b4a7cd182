"""The grading kernel's choices and its scratch folder, in process: when a sandbox is used or
required, what a submission may leave next to the notebook. Part of the fast oracle of
``make mutation``; the kernels themselves start in ``test_trust.py`` and ``test_hostile.py``."""

from __future__ import annotations

from pathlib import Path

from course.grading import scratch


def test_prepare_removes_what_could_shadow_the_course(tmp_path: Path) -> None:
    for name in ("torch.py", "answer.ipynb", "timestamp.txt", "data.csv", "helper.py"):
        (tmp_path / name).write_text("x")
    (tmp_path / "course").mkdir()
    removed = scratch.prepare(str(tmp_path), allowed={"data.csv"})
    assert removed == ["course/", "helper.py", "torch.py"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answer.ipynb", "data.csv", "timestamp.txt"]
