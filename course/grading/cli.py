"""The `course` command: the instructor's front door to nbgrader.

Every problem the instructor can fix ends in one line on stderr and a non-zero exit,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from course.grading.coursedir import Course, CourseError

EXIT_USAGE = 2


def _cmd_release(course: Course, args: argparse.Namespace) -> int:
    from course.grading.release import release

    names = args.assignments or course.assignments()
    if not names:
        raise CourseError("source/ holds no assignments (expected source/NN_topic/NN_topic.ipynb)")
    for name in names:
        course.require_assignment(name)
    if args.lang != "en":
        names = [_translated(course, name, args.lang) for name in names]
    for name in names:
        print(release(course, name, verify=not args.no_verify, force=args.force), flush=True)
        if args.exchange:
            from course.grading.release import to_exchange

            print(to_exchange(course, name), flush=True)
        if args.due:
            from course.grading.release import set_due_date

            print(f"{name}: due {set_due_date(course, name, args.due)}; later submissions get the late penalty of nbgrader_config.py")
    return 0


def _translated(course: Course, assignment: str, lang: str) -> str:
    """Build source/ASSIGNMENT_LANG from the English source and its catalogue; return its name."""
    from course import i18n

    if i18n.is_translated_assignment(assignment):
        return assignment
    try:
        path = i18n.build_assignment(course.root, assignment, lang)
    except i18n.TranslationError as err:
        raise CourseError(str(err)) from None
    missing = [p for p in i18n.problems(course.root, lang) if p.startswith(f"source/{assignment}")]
    if missing:
        print(f"{assignment}: {len(missing)} text(s) not translated yet, shown in English (course i18n check)", flush=True)
    print(f"{assignment}: {i18n.LANGUAGES[lang]} edition built in {path.parent.relative_to(course.root)}/", flush=True)
    return path.parent.name


def _cmd_start(course: Course, args: argparse.Namespace) -> int:
    from course.grading.release import start

    if args.lang != "en":
        from course import i18n
        from course.grading.release import release

        if not i18n.is_translated_assignment(args.assignment):
            course.require_assignment(args.assignment)
            name = i18n.translated_assignment(args.assignment, args.lang)
            if not (course.root / "release" / name).is_dir():  # learning alone: build and release it first
                print(release(course, _translated(course, args.assignment, args.lang)), flush=True)
            args.assignment = name
    dest = start(course, args.assignment)
    rel = dest.relative_to(course.root) if dest.is_relative_to(course.root) else dest
    print(f"your copy of {args.assignment}: {rel}/{args.assignment}.ipynb — work there; no course command overwrites it")
    return 0


def _cmd_roster(course: Course, args: argparse.Namespace) -> int:
    from course.grading.roster import import_roster

    n = import_roster(course, args.file)
    print(f"{n} student(s) from {args.file} are in the gradebook: Formgrader shows their names")
    return 0


def _cmd_autograde(course: Course, args: argparse.Namespace) -> int:
    from course.grading.parallel import autograde_many, default_jobs

    names = course.assignments() if args.all else args.assignments
    if not names:
        raise CourseError("name an assignment (or --all): course autograde 01_tensors")
    if args.all and args.assignments:
        raise CourseError("give assignment names or --all, not both")
    jobs = args.jobs or default_jobs()
    where = f"on the Dask cluster at {args.scheduler}" if args.scheduler else f"with {jobs} job(s)"
    print(f"autograding {', '.join(names)} {where}", flush=True)
    from course.grading.sandbox import support

    print(support().describe(), flush=True)
    outcomes, skipped = autograde_many(
        course, names, args.student, jobs=jobs, force=args.force, scheduler=args.scheduler,
        say=lambda line: print(line, flush=True),
    )
    failed = [o for o in outcomes if not o.ok]
    print(
        f"autograded {len(outcomes) - len(failed)} of {len(outcomes)} submission(s) of {', '.join(names)}"
        + (f", {len(skipped)} skipped as already graded" if skipped else "")
        + (f", {len(failed)} failed: {', '.join(o.student for o in failed)}" if failed else "")
    )
    review = [o for o in outcomes if o.ok and o.message]
    if review:
        print(f"{len(review)} submission(s) flagged for review (course grades shows why):")
        for o in review:
            print(f"  {o.assignment}/{o.student}: {o.message[:200]}")
    if failed and len(outcomes) == 1 and args.student:
        raise CourseError(f"{failed[0].student}: could not be autograded: {failed[0].message}")
    return 1 if failed else 0


def _cmd_feedback(course: Course, args: argparse.Namespace) -> int:
    from course.grading.feedback import feedback

    paths = feedback(course, args.assignment, args.student)
    print(f"{len(paths)} feedback file(s) under feedback/*/{args.assignment}/")
    return 0


def _cmd_grades(course: Course, args: argparse.Namespace) -> int:
    from pathlib import Path

    from course.grading import grades as gr

    out = Path(args.out) if args.out else None
    if args.format:
        from course.grading.lms import export

        path = export(course, args.format, Path(args.roster) if args.roster else None, out)
        print(f"{args.format} grades: {path} (late penalties applied: {path.with_name('late_penalties.csv')})")
        return 0
    csv_path, scores, hists = gr.export(course, out)
    print(gr.table(scores))
    print(f"\nCSV: {csv_path}")
    for h in hists:
        print(f"histogram: {h}")
    return 0


def _cmd_report(course: Course, args: argparse.Namespace) -> int:
    from course.grading.analytics import write_report

    for name in args.assignments or course.assignments():
        print(f"{name}: class report {write_report(course, name)}", flush=True)
    return 0


def _cmd_similarity(course: Course, args: argparse.Namespace) -> int:
    from course.grading.similarity import compare

    pairs, page = compare(course, args.assignment, threshold=args.threshold)
    above = [p for p in pairs if p.similarity >= args.threshold]
    print(f"{args.assignment}: {len(pairs)} pair(s) compared, {len(above)} at or above {args.threshold:.0%} similarity")
    for p in pairs[: args.top]:
        print(f"  {p.similarity:5.0%}  {p.a} ~ {p.b}")
    print(f"side by side: {page} (evidence for a person to weigh, not a verdict; nothing is recorded in the gradebook)")
    return 0


def _cmd_doctor(course: Course, args: argparse.Namespace) -> int:
    from course.grading.doctor import checks

    rows = checks(course)
    width = max(len(r[0]) for r in rows)
    for what, ok, detail in rows:
        print(f"{'ok ' if ok else 'BAD'}  {what.ljust(width)}  {detail}")
    bad = [r for r in rows if not r[1]]
    print("\nall good" if not bad else f"\n{len(bad)} problem(s): see the BAD lines above")
    return 0 if not bad else 1


def _cmd_data(course: Course, args: argparse.Namespace) -> int:
    from course import data

    print(f"data ready in {data.ensure_all()}")
    return 0


def _cmd_demo(course: Course, args: argparse.Namespace) -> int:
    from course.grading.demo import run, run_class

    if args.students:
        run_class(course, args.assignment or course.assignments()[0], args.students, seed=args.seed)
        return 0

    run(course)
    return 0


def _cmd_hub(course: Course, args: argparse.Namespace) -> int:
    from pathlib import Path

    from course import hub

    if args.action == "up":
        hub.up(course.root, args.course_id, Path(args.roster) if args.roster else None, args.instructor, args.ip, args.port)
    elif args.action == "down":
        hub.down()
    else:
        running = hub._pid() is not None
        print(f"course hub: {'running' if running else 'not running'}; courses: {', '.join(hub._state()) or 'none'}")
    return 0


def _languages() -> list[str]:
    from course.i18n import LANGUAGES

    return sorted(LANGUAGES)


def _default_lang() -> str:
    import os

    lang = os.environ.get("COURSE_LANG", "en")
    return lang if lang in _languages() else "en"


def _cmd_i18n(course: Course, args: argparse.Namespace) -> int:
    from course import i18n

    return i18n.main([args.action, "--lang", args.lang, *args.target], root=course.root)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Release, grade and report the PyTorch course (over nbgrader).")
    parser.add_argument("--root", help="the course directory (default: found from the current directory)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("release", help="generate release/ from source/ (refuses if the reference is not full marks)")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment in source/")
    p.add_argument("--no-verify", action="store_true", help="skip autograding the reference first")
    p.add_argument("--force", action="store_true", help="replace a release notebook someone edited (a backup is kept)")
    p.add_argument("--exchange", action="store_true", help="also hand it out through the exchange (Assignments tab)")
    p.add_argument("--due", metavar="'YYYY-MM-DD HH:MM'", help="due date (local time); late submissions get nbgrader's late penalty")
    p.add_argument(
        "--lang", default=_default_lang(), choices=["en", *_languages()],
        help="release the assignment in this language, as NN_topic_LANG (default: COURSE_LANG, else en)",
    )
    p.set_defaults(run=_cmd_release)

    p = sub.add_parser("start", help="copy a released assignment into work/NN_topic/ to work on it")
    p.add_argument("assignment")
    p.add_argument("--lang", default=_default_lang(), choices=["en", *_languages()], help="the assignment's edition in this language")
    p.set_defaults(run=_cmd_start)

    p = sub.add_parser("roster", help="import a class roster CSV (id, first_name, last_name, email, lms_user_id)")
    p.add_argument("file")
    p.set_defaults(run=_cmd_roster)

    p = sub.add_parser("autograde", help="autograde the submissions of one or more assignments, in parallel")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    p.add_argument("--all", action="store_true", help="every assignment in source/")
    p.add_argument("--student", help="grade only this student")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel grading processes (default: the number of cores)")
    p.add_argument("--force", action="store_true", help="grade again submissions that are already graded")
    p.add_argument("--scheduler", metavar="ADDRESS", help="grade on a Dask cluster (tcp://host:8786); needs COURSE_DB_URL")
    p.set_defaults(run=_cmd_autograde)

    p = sub.add_parser("feedback", help="generate HTML feedback for autograded submissions")
    p.add_argument("assignment")
    p.add_argument("--student", help="only this student")
    p.set_defaults(run=_cmd_feedback)

    p = sub.add_parser("grades", help="export grades: CSV, table, histogram per assignment")
    p.add_argument("--out", help="folder for grades.csv and the histograms (default: grades/)")
    p.add_argument("--format", choices=["canvas", "moodle", "csv"], help="a CSV your LMS imports (late penalties applied)")
    p.add_argument("--roster", help="roster CSV mapping course ids to LMS ids (id, first_name, last_name, email, lms_user_id)")
    p.set_defaults(run=_cmd_grades)

    p = sub.add_parser("report", help="class report: pass rates, common mistakes, scores, flags (reports/NN_topic/)")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: every assignment")
    p.set_defaults(run=_cmd_report)

    p = sub.add_parser("similarity", help="compare students' own code pairwise (evidence for review, not a verdict)")
    p.add_argument("assignment")
    p.add_argument("--threshold", type=float, default=0.6, help="similarity shown side by side (0..1, default 0.6)")
    p.add_argument("--top", type=int, default=10, help="pairs to print (default 10)")
    p.set_defaults(run=_cmd_similarity)

    p = sub.add_parser("doctor", help="check versions, device, data, the lab extension")
    p.set_defaults(run=_cmd_doctor)

    p = sub.add_parser("data", help="generate the offline datasets (done on first use anyway)")
    p.set_defaults(run=_cmd_data)

    p = sub.add_parser("hub", help="the course on a JupyterHub for a class: up, down, status (as root)")
    p.add_argument("action", choices=["up", "down", "status"])
    p.add_argument("--course-id", default="pytorch-course", help="the course's id (several courses can share a hub)")
    p.add_argument("--roster", help="students: a roster CSV (id, first_name, last_name, email, lms_user_id); default: a demo class")
    p.add_argument("--instructor", help="the instructor's account (default: instructor)")
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(run=_cmd_hub)

    p = sub.add_parser("i18n", help="translations: update the catalogues, build the translated lectures, check them")
    p.add_argument("action", choices=["update", "build", "check", "sizes", "export", "import"])
    p.add_argument("--lang", default="zh_CN", choices=_languages())
    # one list, so that they may come before or after --lang (argparse cannot split two optional positionals)
    p.add_argument("target", nargs="*", metavar="NAME [FILE]",
                   help="export: a catalogue, e.g. source/01_tensors; import: a catalogue and a JSON list of {context, id, string}")
    p.set_defaults(run=_cmd_i18n)

    p = sub.add_parser("demo", help="release, simulate three students per assignment, grade, report")
    p.add_argument("--students", type=int, help="instead: a simulated class of N students with realistic mistakes")
    p.add_argument("--assignment", help="the assignment of the simulated class (default: the first)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulated class")
    p.set_defaults(run=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "command", None) == "i18n" and not any(e.startswith("-") for e in extra):
        args.target += extra  # the catalogue and file after --lang: argparse leaves them over
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        course = Course(args.root) if args.root else Course()
        return args.run(course, args)
    except CourseError as err:
        print(f"course {args.command}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"course {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
