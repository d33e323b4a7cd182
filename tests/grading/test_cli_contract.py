"""course.grading.cli pinned down: every command's arguments, output and exit status, with the
work it delegates replaced by recording fakes (in-process, no nbgrader runs): the oracle of
`make mutation` for the `course` command."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from tinycourse import make_course

from course.grading import cli
from course.grading.autograde import Outcome
from course.grading.coursedir import Score


@pytest.fixture
def course(tmp_path: Path, monkeypatch):
    c = make_course(tmp_path / "c", ("01_a", "02_b"))
    monkeypatch.chdir(c.root)
    return c


@pytest.fixture
def calls():
    return []


def _flushes(argv) -> list[str]:
    """What stdout held each time it was flushed while the command ran (a line printed with
    flush=True shows at once, before nbgrader's child processes write to the same terminal)."""
    import io
    import sys

    seen: list[str] = []

    class Out(io.StringIO):
        def flush(self) -> None:
            seen.append(self.getvalue())

    saved, sys.stdout = sys.stdout, Out()
    try:
        cli.main(argv)
    finally:
        sys.stdout = saved
    return seen


def _run(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_no_command_prints_help(capsys) -> None:
    code, out, _ = _run([], capsys)
    assert code == cli.EXIT_USAGE == 2 and out.startswith("usage: course [-h] [--root ROOT] COMMAND")
    assert "Release, grade and report the PyTorch course (over nbgrader)." in out.splitlines()
    root = next(a for a in cli.build_parser()._actions if a.dest == "root")
    assert root.help == "the course directory (default: found from the current directory)"


def test_errors_are_one_line(course, capsys, monkeypatch, tmp_path: Path) -> None:
    code, out, err = _run(["--root", str(tmp_path / "nowhere"), "doctor"], capsys)
    assert code == 1 and out == ""
    assert err == f"course doctor: {(tmp_path / 'nowhere').resolve()} has no nbgrader_config.py: is this the course repository?\n"
    from course.grading import release

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(release, "release", interrupted)
    code, out, err = _run(["release", "01_a"], capsys)
    assert (code, err) == (130, "course release: interrupted\n")


def test_release(course, capsys, monkeypatch, calls) -> None:
    from course.grading import release

    monkeypatch.setattr(release, "release", lambda c, n, verify, force: calls.append(("release", c.root, n, verify, force)) or f"{n}: released")
    monkeypatch.setattr(release, "to_exchange", lambda c, n: calls.append(("exchange", c.root, n)) or f"{n}: exchanged")
    monkeypatch.setattr(release, "set_due_date", lambda c, n, due: calls.append(("due", c.root, n, due)) or "2026-12-01 16:00 UTC")
    code, out, _ = _run(["release"], capsys)
    assert (code, out) == (0, "01_a: released\n02_b: released\n")
    assert calls == [("release", course.root, "01_a", True, False), ("release", course.root, "02_b", True, False)]
    assert _flushes(["release"]) == ["01_a: released\n", "01_a: released\n02_b: released\n"]
    calls.clear()
    calls.clear()
    code, out, _ = _run(["release", "02_b", "--no-verify", "--force", "--exchange", "--due", "2026-12-01 17:00"], capsys)
    assert code == 0 and out == ("02_b: released\n02_b: exchanged\n02_b: due 2026-12-01 16:00 UTC; later submissions get "
                                 "the late penalty of nbgrader_config.py\n")
    assert calls == [("release", course.root, "02_b", False, True), ("exchange", course.root, "02_b"),
                     ("due", course.root, "02_b", "2026-12-01 17:00")]
    assert _flushes(["release", "02_b", "--exchange"]) == ["02_b: released\n", "02_b: released\n02_b: exchanged\n"]
    calls.clear()
    code, _, err = _run(["release", "01_a", "09_z"], capsys)
    assert code == 1 and calls == [] and "unknown assignment '09_z'" in err
    for a in ("01_a", "02_b"):
        (course.root / "source" / a / f"{a}.ipynb").unlink()
    code, _, err = _run(["release"], capsys)
    assert err == "course release: source/ holds no assignments (expected source/NN_topic/NN_topic.ipynb)\n"


def test_start(course, capsys, monkeypatch, tmp_path: Path) -> None:
    from course.grading import release

    monkeypatch.setattr(release, "start", lambda c, a: c.root / "work" / a)
    assert _run(["start", "01_a"], capsys)[:2] == (
        0, "your copy of 01_a: work/01_a/01_a.ipynb — work there; no course command overwrites it\n")
    monkeypatch.setattr(release, "start", lambda c, a: tmp_path / "x" / a)
    assert _run(["start", "01_a"], capsys)[1] == (
        f"your copy of 01_a: {tmp_path / 'x' / '01_a'}/01_a.ipynb — work there; no course command overwrites it\n")


def test_roster(course, capsys, monkeypatch) -> None:
    from course.grading import roster

    monkeypatch.setattr(roster, "import_roster", lambda c, f: 3 if f == "r.csv" and c.root == course.root else 0)
    assert _run(["roster", "r.csv"], capsys)[:2] == (0, "3 student(s) from r.csv are in the gradebook: Formgrader shows their names\n")


@pytest.fixture
def grading(monkeypatch, calls):
    from course.grading import parallel, sandbox

    state = types.SimpleNamespace(outcomes=[], skipped=[])

    def many(course, names, student, jobs, force, scheduler, say):
        assert (course.root / "nbgrader_config.py").is_file()
        calls.append((names, student, jobs, force, scheduler))
        say("progress line")
        return state.outcomes, state.skipped

    monkeypatch.setattr(parallel, "autograde_many", many)
    monkeypatch.setattr(parallel, "default_jobs", lambda: 6)
    monkeypatch.setattr(sandbox, "support", lambda: types.SimpleNamespace(describe=lambda: "sandbox: bubblewrap"))
    return state


def test_autograde(course, capsys, grading, calls, monkeypatch) -> None:
    ok = Outcome("alice", True, 1.0, Score("alice", "01_a", 1, 1, {}), "", "01_a")
    flagged = Outcome("bob", True, 1.0, None, "flagged for review: " + "x" * 300, "01_a")
    failed = Outcome("carol", False, 1.0, None, "not graded: boom", "01_a")
    failed2 = Outcome("dan", False, 1.0, None, "not graded: boom", "01_a")
    grading.outcomes = [ok, flagged, failed, failed2]
    grading.skipped = ["01_a/dave", "01_a/erin"]
    code, out, _ = _run(["autograde", "01_a", "02_b"], capsys)
    assert code == 1
    assert calls == [(["01_a", "02_b"], None, 6, False, None)]
    assert out == (
        "autograding 01_a, 02_b with 6 job(s)\nsandbox: bubblewrap\nprogress line\n"
        "autograded 2 of 4 submission(s) of 01_a, 02_b, 2 skipped as already graded, 2 failed: carol, dan\n"
        "1 submission(s) flagged for review (course grades shows why):\n"
        f"  01_a/bob: {flagged.message[:200]}\n"
    )
    grading.outcomes, grading.skipped = [ok], []
    assert _flushes(["autograde", "01_a"]) == ["autograding 01_a with 6 job(s)\n", "autograding 01_a with 6 job(s)\nsandbox: bubblewrap\n",
                       "autograding 01_a with 6 job(s)\nsandbox: bubblewrap\nprogress line\n"]
    code, out, _ = _run(["autograde", "--all", "-j", "3", "--force", "--student", "alice", "--scheduler", "tcp://h:1"], capsys)
    assert code == 0 and calls[-1] == (["01_a", "02_b"], "alice", 3, True, "tcp://h:1")
    assert out.splitlines()[0] == "autograding 01_a, 02_b on the Dask cluster at tcp://h:1"
    assert out.splitlines()[-1] == "autograded 1 of 1 submission(s) of 01_a, 02_b"
    grading.outcomes = [failed]
    code, _, err = _run(["autograde", "01_a", "--student", "carol"], capsys)
    assert (code, err) == (1, "course autograde: carol: could not be autograded: not graded: boom\n")
    code, _, err = _run(["autograde", "01_a"], capsys)
    assert (code, err) == (1, "")
    assert _run(["autograde"], capsys)[2] == "course autograde: name an assignment (or --all): course autograde 01_tensors\n"
    assert _run(["autograde", "--all", "01_a"], capsys)[2] == "course autograde: give assignment names or --all, not both\n"


def test_feedback(course, capsys, monkeypatch) -> None:
    from course.grading import feedback

    monkeypatch.setattr(feedback, "feedback", lambda c, a, s: [Path("x")] * (2 if s is None else 1) * (a == "01_a") * (c.root == course.root))
    assert _run(["feedback", "01_a"], capsys)[:2] == (0, "2 feedback file(s) under feedback/*/01_a/\n")
    assert _run(["feedback", "01_a", "--student", "bob"], capsys)[1] == "1 feedback file(s) under feedback/*/01_a/\n"


def test_grades(course, capsys, monkeypatch, calls) -> None:
    from course.grading import grades, lms

    scores = [Score("alice", "01_a", 1, 2, {})]
    monkeypatch.setattr(grades, "export", lambda c, out: calls.append(("export", out)) or None if c.root != course.root else calls.append(("export", out)) or (Path("/g/grades.csv"), scores, [Path("/g/h1.png"), Path("/g/h2.png")]))
    monkeypatch.setattr(lms, "export", lambda c, fmt, roster, out: calls.append(("lms", c.root, fmt, roster, out)) or Path("/g") / f"{fmt}.csv")
    code, out, _ = _run(["grades"], capsys)
    assert code == 0 and out == grades.table(scores) + "\n\nCSV: /g/grades.csv\nhistogram: /g/h1.png\nhistogram: /g/h2.png\n"
    assert calls == [("export", None)]
    _run(["grades", "--out", "o"], capsys)
    assert calls[-1] == ("export", Path("o"))
    code, out, _ = _run(["grades", "--format", "canvas", "--roster", "r.csv", "--out", "o"], capsys)
    assert (code, out) == (0, "canvas grades: /g/canvas.csv (late penalties applied: /g/late_penalties.csv)\n")
    assert calls[-1] == ("lms", course.root, "canvas", Path("r.csv"), Path("o"))
    _run(["grades", "--format", "csv"], capsys)
    assert calls[-1] == ("lms", course.root, "csv", None, None)
    _run(["grades", "--format", "moodle"], capsys)
    assert calls[-1][2] == "moodle"
    with pytest.raises(SystemExit):
        cli.main(["grades", "--format", "excel"])


def test_report(course, capsys, monkeypatch) -> None:
    from course.grading import analytics

    monkeypatch.setattr(analytics, "write_report", lambda c, a: Path(f"/r/{a}/index.html") if c.root == course.root else None)
    assert _run(["report"], capsys)[:2] == (0, "01_a: class report /r/01_a/index.html\n02_b: class report /r/02_b/index.html\n")
    assert _flushes(["report", "02_b"]) == ["02_b: class report /r/02_b/index.html\n"]
    assert _run(["report", "02_b"], capsys)[1] == "02_b: class report /r/02_b/index.html\n"


def test_similarity(course, capsys, monkeypatch, calls) -> None:
    from course.grading import similarity
    from course.grading.similarity import Pair

    pairs = [Pair("a", "b", 0.9, 0.9, 0.5, 10), Pair("a", "c", 0.6, 0.6, 0.1, 5), Pair("b", "c", 0.3, 0.3, 0.1, 2)]
    monkeypatch.setattr(similarity, "compare", lambda c, a, threshold: calls.append(threshold) or (pairs, Path(f"/r/{a}/s.html"))
                        if c.root == course.root else None)
    code, out, _ = _run(["similarity", "01_a"], capsys)
    assert code == 0 and calls == [0.6]
    assert out == ("01_a: 3 pair(s) compared, 2 at or above 60% similarity\n    90%  a ~ b\n    60%  a ~ c\n    30%  b ~ c\n"
                   "side by side: /r/01_a/s.html (evidence for a person to weigh, not a verdict; nothing is recorded in the gradebook)\n")
    code, out, _ = _run(["similarity", "01_a", "--threshold", "0.95", "--top", "1"], capsys)
    assert calls[-1] == 0.95
    assert out.splitlines()[:2] == ["01_a: 3 pair(s) compared, 0 at or above 95% similarity", "    90%  a ~ b"]
    assert len(out.splitlines()) == 3


def test_doctor(course, capsys, monkeypatch) -> None:
    from course.grading import doctor

    monkeypatch.setattr(doctor, "checks", lambda c: [("python", True, "3.11"), ("a longer name", True, "x")])
    assert _run(["doctor"], capsys)[:2] == (0, "ok   python         3.11\nok   a longer name  x\n\nall good\n")
    monkeypatch.setattr(doctor, "checks", lambda c: [("python", False, "3.9"), ("data", False, "missing"), ("x", True, "")])
    code, out, _ = _run(["doctor"], capsys)
    assert (code, out) == (1, "BAD  python  3.9\nBAD  data    missing\nok   x       \n\n2 problem(s): see the BAD lines above\n")


def test_data(course, capsys, monkeypatch) -> None:
    from course import data

    monkeypatch.setattr(data, "ensure_all", lambda: Path("/d"))
    assert _run(["data"], capsys)[:2] == (0, "data ready in /d\n")


def test_demo(course, capsys, monkeypatch, calls) -> None:
    from course.grading import demo

    monkeypatch.setattr(demo, "run", lambda c: calls.append(("run", c.root)))
    monkeypatch.setattr(demo, "run_class", lambda c, a, n, seed: calls.append(("class", c.root, a, n, seed)))
    assert _run(["demo"], capsys)[0] == 0
    assert _run(["demo", "--students", "5"], capsys)[0] == 0
    assert _run(["demo", "--students", "4", "--assignment", "02_b", "--seed", "3"], capsys)[0] == 0
    assert calls == [("run", course.root), ("class", course.root, "01_a", 5, 0), ("class", course.root, "02_b", 4, 3)]


def test_hub(course, capsys, monkeypatch, calls) -> None:
    from course import hub

    monkeypatch.setattr(hub, "up", lambda *a: calls.append(("up", *a)))
    monkeypatch.setattr(hub, "down", lambda: calls.append(("down",)))
    monkeypatch.setattr(hub, "_pid", lambda: None)
    monkeypatch.setattr(hub, "_state", lambda: {})
    assert _run(["hub", "up"], capsys)[0] == 0
    assert calls[-1] == ("up", course.root, "pytorch-course", None, None, "127.0.0.1", 8000)
    _run(["hub", "up", "--course-id", "c2", "--roster", "r.csv", "--instructor", "me", "--ip", "0.0.0.0", "--port", "9"], capsys)
    assert calls[-1] == ("up", course.root, "c2", Path("r.csv"), "me", "0.0.0.0", 9)
    _run(["hub", "down"], capsys)
    assert calls[-1] == ("down",)
    assert _run(["hub", "status"], capsys)[1] == "course hub: not running; courses: none\n"
    monkeypatch.setattr(hub, "_pid", lambda: 42)
    monkeypatch.setattr(hub, "_state", lambda: {"c1": {}, "c2": {}})
    assert _run(["hub", "status"], capsys)[1] == "course hub: running; courses: c1, c2\n"


def test_root_option(course, capsys, monkeypatch, tmp_path: Path) -> None:
    from course.grading import doctor

    other = make_course(tmp_path / "other")
    seen = []
    monkeypatch.setattr(doctor, "checks", lambda c: seen.append(c.root) or [("x", True, "")])
    _run(["doctor"], capsys)
    _run(["--root", str(other.root), "doctor"], capsys)
    assert seen == [course.root, other.root]


def test_parser_help_and_defaults() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    helps = {name: action.help for name, action in ((c.dest, c) for c in sub._choices_actions)}
    assert helps == {
        "release": "generate release/ from source/ (refuses if the reference is not full marks)",
        "start": "copy a released assignment into work/NN_topic/ to work on it",
        "roster": "import a class roster CSV (id, first_name, last_name, email, lms_user_id)",
        "autograde": "autograde the submissions of one or more assignments, in parallel",
        "feedback": "generate HTML feedback for autograded submissions",
        "grades": "export grades: CSV, table, histogram per assignment",
        "report": "class report: pass rates, common mistakes, scores, flags (reports/NN_topic/)",
        "similarity": "compare students' own code pairwise (evidence for review, not a verdict)",
        "doctor": "check versions, device, data, the lab extension",
        "data": "generate the offline datasets (done on first use anyway)",
        "hub": "the course on a JupyterHub for a class: up, down, status (as root)",
        "demo": "release, simulate three students per assignment, grade, report",
        "i18n": "translations: update the catalogues, build the translated lectures, check them",
    }
    args = parser.parse_args(["similarity", "01_a"])
    assert (args.threshold, args.top) == (0.6, 10)
    args = parser.parse_args(["autograde", "01_a"])
    assert (args.jobs, args.force, args.all, args.student, args.scheduler) == (None, False, False, None, None)
    args = parser.parse_args(["demo"])
    assert (args.students, args.assignment, args.seed) == (None, None, 0)
    for argv in (["release"], ["hub", "status"], ["grades"]):
        args = parser.parse_args(argv)
        assert args.run is getattr(cli, f"_cmd_{argv[0]}")


def test_every_option_has_its_help() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    texts = {}
    for name, p in sub.choices.items():
        for action in p._actions:
            if action.option_strings and action.dest != "help" or action.dest in ("assignments",):
                texts[(name, action.dest)] = (action.help, action.metavar)
    assert texts[("release", "no_verify")][0] == "skip autograding the reference first"
    assert texts[("release", "force")][0] == "replace a release notebook someone edited (a backup is kept)"
    assert texts[("release", "exchange")][0] == "also hand it out through the exchange (Assignments tab)"
    assert texts[("release", "due")] == ("due date (local time); late submissions get nbgrader's late penalty", "'YYYY-MM-DD HH:MM'")
    assert texts[("release", "assignments")] == ("default: every assignment in source/", "ASSIGNMENT")
    assert texts[("autograde", "all")][0] == "every assignment in source/"
    assert "[ASSIGNMENT ...]" in sub.choices["autograde"].format_usage()
    assert texts[("autograde", "student")][0] == "grade only this student"
    assert texts[("autograde", "jobs")][0] == "parallel grading processes (default: the number of cores)"
    assert texts[("autograde", "force")][0] == "grade again submissions that are already graded"
    assert texts[("autograde", "scheduler")] == ("grade on a Dask cluster (tcp://host:8786); needs COURSE_DB_URL", "ADDRESS")
    assert texts[("feedback", "student")][0] == "only this student"
    assert texts[("grades", "out")][0] == "folder for grades.csv and the histograms (default: grades/)"
    assert texts[("grades", "format")][0] == "a CSV your LMS imports (late penalties applied)"
    assert texts[("grades", "roster")][0] == "roster CSV mapping course ids to LMS ids (id, first_name, last_name, email, lms_user_id)"
    assert texts[("report", "assignments")] == ("default: every assignment", "ASSIGNMENT")
    assert texts[("similarity", "threshold")][0] == "similarity shown side by side (0..1, default 0.6)"
    assert texts[("similarity", "top")][0] == "pairs to print (default 10)"
    assert texts[("hub", "course_id")][0] == "the course's id (several courses can share a hub)"
    assert texts[("hub", "roster")][0] == "students: a roster CSV (id, first_name, last_name, email, lms_user_id); default: a demo class"
    assert texts[("hub", "instructor")][0] == "the instructor's account (default: instructor)"
    assert texts[("demo", "students")][0] == "instead: a simulated class of N students with realistic mistakes"
    assert texts[("demo", "assignment")][0] == "the assignment of the simulated class (default: the first)"
    assert texts[("demo", "seed")][0] == "seed of the simulated class"
    assert cli.build_parser().parse_args(["hub", "up"]).ip == "127.0.0.1"
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["hub", "sideways"])
    assert cli.build_parser().parse_args(["--root", "/x", "data"]).root == "/x"
    assert cli.build_parser().parse_args(["autograde", "-j", "2"]).jobs == 2


# doctor: the checks behind `course doctor`, every probe of the machine faked --------------------

@pytest.fixture
def machine(course, monkeypatch):
    """This machine as `course doctor` sees it: CPU only, data ready, the lab extension enabled,
    bubblewrap available, the provisioner registered, pandas missing, 01_a released."""
    import importlib.metadata as md

    import torch

    import course as course_package
    from course import data, device
    from course.grading import doctor, sandbox

    def version(dist):
        if dist == "pandas":
            raise md.PackageNotFoundError(dist)
        return f"{len(dist)}.0"

    state = types.SimpleNamespace(lab="JupyterLab v4\n  \x1b[32m@jupyter/nbgrader\x1b[0m v0.9 \x1b[32menabled\x1b[0m \x1b[32mOK\x1b[0m\n",
                                  lab_err="", runs=[])

    def run(cmd, **kw):
        state.runs.append((cmd, kw))
        return types.SimpleNamespace(stdout=state.lab, stderr=state.lab_err)

    monkeypatch.setattr(doctor.md, "version", version)
    monkeypatch.setattr(doctor.subprocess, "run", run)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(course_package, "get_device", lambda: torch.device("cpu"))
    monkeypatch.setattr(course_package, "devices", lambda: [torch.device("cpu")])
    monkeypatch.setattr(device, "cuda_required", lambda: False)
    monkeypatch.setattr(data, "is_complete", lambda: True)
    monkeypatch.setattr(data, "data_dir", lambda: Path("/d"))
    state.box = types.SimpleNamespace(available=True, describe=lambda: "sandbox: bubblewrap", explain=lambda: "kernels are isolated")
    monkeypatch.setattr(sandbox, "support", lambda: state.box)
    monkeypatch.setattr(sandbox, "mode", lambda: "auto")
    monkeypatch.setattr(sandbox, "provisioner_registered", lambda: True)
    course.release_notebook("01_a").parent.mkdir(parents=True)
    course.release_notebook("01_a").write_text("{}")
    return state


def test_doctor_reports_every_check(course, machine, capsys) -> None:
    import platform
    import sys

    from course.grading import doctor

    rows = doctor.checks(course)
    assert rows == [
        ("python", True, f"{platform.python_version()} ({sys.executable})"),
        ("torch", True, "5.0"), ("torchvision", True, "11.0"), ("nbgrader", True, "8.0"), ("jupyterlab", True, "10.0"),
        ("matplotlib", True, "10.0"), ("pandas", False, "not installed"),
        ("device", True, "cpu (CUDA not available)"),
        ("test devices", True, "cpu"),
        ("data", True, "/d (ready)"),
        ("nbgrader lab extension", True, "@jupyter/nbgrader v0.9 enabled OK"),
        ("gradebook", True, course.db_url),
        ("grading sandbox", True, "sandbox: bubblewrap; kernels are isolated"),
        ("kernel provisioner", True, "course-sandbox registered: grading kernels start through it"),
        ("assignments", False, "2 in source/; not released: 02_b"),
    ]
    cmd, kw = machine.runs[-1]
    assert cmd[1:] == ["labextension", "list"] and kw == {"capture_output": True, "text": True, "timeout": 60}
    code, out, _ = _run(["doctor"], capsys)
    assert code == 1 and out.endswith("\n2 problem(s): see the BAD lines above\n")
    assert "BAD  pandas                  not installed\n" in out
    course.release_notebook("01_a").unlink()
    assert doctor.checks(course)[-1] == ("assignments", False, "2 in source/; not released: 01_a, 02_b")


def test_doctor_on_a_machine_that_needs_cuda(course, machine, monkeypatch) -> None:
    import torch

    import course as course_package
    from course import data, device
    from course.grading import doctor, sandbox

    course.release_notebook("02_b").parent.mkdir(parents=True)
    course.release_notebook("02_b").write_text("{}")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: {0: "H200"}[i])
    monkeypatch.setattr(course_package, "devices", lambda: [torch.device("cpu"), torch.device("cuda")])
    monkeypatch.setattr(device, "cuda_required", lambda: True)
    monkeypatch.setattr(data, "is_complete", lambda: False)
    rows = {r[0]: r[1:] for r in doctor.checks(course)}
    assert rows["device"] == (True, "cpu (CUDA available: H200)")
    assert rows["test devices"] == (True, "cpu, cuda")
    assert rows["COURSE_REQUIRE_CUDA"] == (True, "set: CUDA checks are mandatory")
    assert rows["data"] == (False, "/d (missing: run `course data`)")
    assert rows["assignments"] == (True, "2 in source/, all released")

    def missing():
        raise device.CudaRequiredError("CUDA required but missing")

    monkeypatch.setattr(course_package, "devices", missing)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    rows = {r[0]: r[1:] for r in doctor.checks(course)}
    assert rows["test devices"] == (False, "CUDA required but missing")
    assert rows["COURSE_REQUIRE_CUDA"] == (False, "set: CUDA checks are mandatory")
    monkeypatch.setattr(sandbox, "mode", lambda: "required")
    assert {r[0]: r[1:] for r in doctor.checks(course)}["grading sandbox"] == (True, "sandbox: bubblewrap; kernels are isolated")
    machine.box.available = False
    rows = {r[0]: r[1:] for r in doctor.checks(course)}
    assert rows["grading sandbox"] == (False, "sandbox: bubblewrap; kernels are isolated")
    monkeypatch.setattr(sandbox, "mode", lambda: "auto")
    rows = {r[0]: r[1:] for r in doctor.checks(course)}
    assert rows["grading sandbox"][0] is True, "without bubblewrap, grading unsandboxed is a warning unless required"
    monkeypatch.setattr(sandbox, "provisioner_registered", lambda: False)
    assert {r[0]: r[1:] for r in doctor.checks(course)}["kernel provisioner"] == (
        False, "course-sandbox is not registered, so nothing can be graded: run `make setup` (or pip install -e .)")


@pytest.mark.parametrize(("version", "ok"), [((3, 10, 9), False), ((3, 11, 0), True), ((4, 0, 0), True)])
def test_doctor_python_version(course, machine, monkeypatch, version, ok) -> None:
    from course.grading import doctor

    monkeypatch.setattr(doctor.sys, "version_info", version)
    assert doctor.checks(course)[0][1] is ok


def test_doctor_lab_extension(machine, monkeypatch, tmp_path: Path) -> None:
    import subprocess

    from course.grading import doctor

    monkeypatch.setattr(doctor.sys, "executable", str(tmp_path / "python"))
    assert doctor.lab_extension_ok() == (True, "@jupyter/nbgrader v0.9 enabled OK")
    (tmp_path / "jupyter").write_text("")
    machine.lab, machine.lab_err = "", "other v1 enabled OK\n@jupyter/nbgrader v0.9 disabled OK\n"
    assert doctor.lab_extension_ok() == (False, "@jupyter/nbgrader v0.9 disabled OK"), "the listing may come on stderr"
    assert [r[0][0] for r in machine.runs] == ["jupyter", str(tmp_path / "jupyter")]
    machine.lab_err = "@jupyter/nbgrader v0.9 enabled X"
    assert doctor.lab_extension_ok() == (False, "@jupyter/nbgrader v0.9 enabled X")
    machine.lab_err = "other"
    assert doctor.lab_extension_ok() == (False, "@jupyter/nbgrader is not listed by `jupyter labextension list`")
    for err in (OSError("no jupyter"), subprocess.TimeoutExpired("jupyter", 60)):
        def fail(*a, _err=err, **k):
            raise _err

        monkeypatch.setattr(doctor.subprocess, "run", fail)
        assert doctor.lab_extension_ok() == (False, f"could not run `jupyter labextension list`: {err}")


def test_doctor_without_the_data_module(course, machine, monkeypatch) -> None:
    from course import data
    from course.grading import doctor

    monkeypatch.delattr(data, "is_complete")
    assert {r[0]: r[1:] for r in doctor.checks(course)}["data"] == (
        False, "course.data unavailable: module 'course.data' has no attribute 'is_complete'")


# translated editions: course release/start --lang, course i18n -----------------------------------

@pytest.fixture
def translation(course, monkeypatch, calls):
    """course.i18n faked: building an edition records the call and makes its folder."""
    from course import i18n
    from course.grading import release

    state = types.SimpleNamespace(problems=[], error=None)

    def build(root, assignment, lang):
        calls.append(("build", root, assignment, lang))
        if state.error:
            raise i18n.TranslationError(state.error)
        folder = root / "source" / f"{assignment}_{lang}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{assignment}_{lang}.ipynb"

    monkeypatch.setattr(i18n, "build_assignment", build)
    monkeypatch.setattr(i18n, "problems", lambda root, lang: list(state.problems) if (root, lang) == (course.root, "zh_CN") else None)
    def release_(c, n, verify=True, force=False):
        assert c.root == course.root
        calls.append(("release", n, verify, force))
        return f"{n}: released"

    monkeypatch.setattr(release, "release", release_)
    monkeypatch.setattr(release, "start", lambda c, a: calls.append(("start", a)) or c.root / "work" / a)
    return state


def test_release_a_translated_edition(course, capsys, translation, calls) -> None:
    translation.problems = ["source/01_a/01_a.ipynb: cell 2 not translated", "source/01_a_zh_CN/x: y", "source/02_b/02_b.ipynb: z"]
    code, out, _ = _run(["release", "01_a", "--lang", "zh_CN"], capsys)
    assert code == 0 and out == ("01_a: 2 text(s) not translated yet, shown in English (course i18n check)\n"
                                 "01_a: 简体中文 edition built in source/01_a_zh_CN/\n01_a_zh_CN: released\n")
    assert calls == [("build", course.root, "01_a", "zh_CN"), ("release", "01_a_zh_CN", True, False)]
    assert _flushes(["release", "01_a", "--lang", "zh_CN"])[0] == (
        "01_a: 2 text(s) not translated yet, shown in English (course i18n check)\n"), "shown before the build goes on"
    translation.problems = []
    assert _flushes(["release", "02_b", "--lang", "zh_CN"]) == ["02_b: 简体中文 edition built in source/02_b_zh_CN/\n",
                                                              "02_b: 简体中文 edition built in source/02_b_zh_CN/\n02_b_zh_CN: released\n"]
    calls.clear()
    assert cli._translated(course, "01_a_zh_CN", "zh_CN") == "01_a_zh_CN" and calls == [], "an edition is not translated again"
    translation.error = "no catalogue for 01_a"
    assert _run(["release", "01_a", "--lang", "zh_CN"], capsys)[::2] == (1, "course release: no catalogue for 01_a\n")
    assert ("release", "01_a", True, False) not in calls


def test_start_a_translated_edition(course, capsys, translation, calls) -> None:
    code, out, _ = _run(["start", "01_a", "--lang", "zh_CN"], capsys)
    assert code == 0 and out == ("01_a: 简体中文 edition built in source/01_a_zh_CN/\n01_a_zh_CN: released\n"
                                 "your copy of 01_a_zh_CN: work/01_a_zh_CN/01_a_zh_CN.ipynb — work there; no course command overwrites it\n")
    assert calls == [("build", course.root, "01_a", "zh_CN"), ("release", "01_a_zh_CN", True, False), ("start", "01_a_zh_CN")]
    calls.clear()
    assert _flushes(["start", "02_b", "--lang", "zh_CN"])[:2] == [
        "02_b: 简体中文 edition built in source/02_b_zh_CN/\n", "02_b: 简体中文 edition built in source/02_b_zh_CN/\n02_b_zh_CN: released\n"]
    calls.clear()
    (course.root / "release" / "01_a_zh_CN").mkdir(parents=True)
    assert _run(["start", "01_a", "--lang", "zh_CN"], capsys)[0] == 0
    assert calls == [("start", "01_a_zh_CN")], "an edition released already is not built again"
    calls.clear()
    assert _run(["start", "02_b_zh_CN", "--lang", "zh_CN"], capsys)[0] == 0
    assert calls == [("start", "02_b_zh_CN")]
    calls.clear()
    code, _, err = _run(["start", "09_z", "--lang", "zh_CN"], capsys)
    assert code == 1 and "unknown assignment '09_z'" in err and calls == []
    assert _run(["start", "01_a"], capsys)[0] == 0 and calls == [("start", "01_a")]


@pytest.mark.parametrize(("env", "lang"), [(None, "en"), ("zh_CN", "zh_CN"), ("fr", "en"), ("en", "en")])
def test_course_lang_sets_the_default_edition(monkeypatch, env, lang) -> None:
    if env is None:
        monkeypatch.delenv("COURSE_LANG", raising=False)
    else:
        monkeypatch.setenv("COURSE_LANG", env)
    parser = cli.build_parser()
    assert parser.parse_args(["release"]).lang == lang and parser.parse_args(["start", "01_a"]).lang == lang
    assert parser.parse_args(["i18n", "check"]).lang == "zh_CN"


def test_lang_options() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    opts = {(name, a.dest): a for name, p in sub.choices.items() for a in p._actions}
    assert opts[("release", "lang")].choices == ["en", "zh_CN"] and opts[("start", "lang")].choices == ["en", "zh_CN"]
    assert opts[("release", "lang")].help == "release the assignment in this language, as NN_topic_LANG (default: COURSE_LANG, else en)"
    assert opts[("start", "lang")].help == "the assignment's edition in this language"
    assert opts[("i18n", "lang")].choices == ["zh_CN"]
    assert opts[("i18n", "action")].choices == ["update", "build", "check", "sizes", "export", "import"]
    assert opts[("i18n", "target")].metavar == "NAME [FILE]"
    assert opts[("i18n", "target")].help == ("export: a catalogue, e.g. source/01_tensors; "
                                             "import: a catalogue and a JSON list of {context, id, string}")
    with pytest.raises(SystemExit):
        parser.parse_args(["release", "--lang", "fr"])


def test_i18n(course, capsys, monkeypatch, calls) -> None:
    from course import i18n

    monkeypatch.setattr(i18n, "main", lambda argv, root: calls.append((argv, root)) or 3)
    assert _run(["i18n", "check"], capsys)[0] == 3
    assert _run(["i18n", "import", "source/01_a", "t.json", "--lang", "zh_CN"], capsys)[0] == 3
    assert _run(["i18n", "export", "source/01_a"], capsys)[0] == 3
    assert _run(["i18n", "import", "--lang", "zh_CN", "source/01_a", "t.json"], capsys)[0] == 3
    assert _run(["i18n", "import", "source/01_a", "--lang", "zh_CN", "t.json"], capsys)[0] == 3
    assert calls == [(["check", "--lang", "zh_CN"], course.root),
                     (["import", "--lang", "zh_CN", "source/01_a", "t.json"], course.root),
                     (["export", "--lang", "zh_CN", "source/01_a"], course.root)] + \
        [(["import", "--lang", "zh_CN", "source/01_a", "t.json"], course.root)] * 2
    for argv, left in ((["i18n", "check", "--bogus"], "--bogus"), (["doctor", "one", "two"], "one two")):
        with pytest.raises(SystemExit) as exit_:  # what is left over is still refused
            cli.main(argv)
        assert exit_.value.code == 2 and f"unrecognized arguments: {left}\n" in capsys.readouterr().err
