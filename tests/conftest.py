"""Shared fixtures: where the course is, which assignments and lectures it has."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MPLBACKEND", "Agg")


def assignments() -> list[str]:
    src = ROOT / "source"
    # the English sources; source/NN_topic_zh_CN/ is built from them (course release --lang zh_CN)
    return sorted(p.name for p in src.iterdir() if (p / f"{p.name}.ipynb").is_file() and not p.name.endswith("_zh_CN")) if src.is_dir() else []


def lectures() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="session", autouse=True)
def course_data() -> None:
    """Generate the offline datasets once, before anything needs them."""
    from course import data

    data.ensure_all()


@pytest.fixture(autouse=True)
def own_working_folder(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Each fast grader test runs in a working folder of its own: grader code that writes where it
    should not (a path built from ``None``, a key file beside the notebook) leaves its stray file
    where no other test reads, so one test cannot make another pass or fail. (The slow tests run
    real tools, each in a course folder of its own.)"""
    if request.node.path.parent.name == "grading" and request.node.get_closest_marker("slow") is None:
        monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment for subprocesses that grade into their own course directory."""
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    env = dict(os.environ)
    env.pop("COURSE_DB_URL", None)
    return env
