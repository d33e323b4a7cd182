"""Summarise a `mutmut run` as benchmarks/mutation.md: the score per module, and every survivor
either explained (benchmarks/mutation-equivalent/<module>.toml: why it cannot change what a
student gets) or listed as a gap for a new test. `make mutation` runs both; exits non-zero when a
module misses its target or a survivor is unexplained."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tomllib
from collections import Counter
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"course.checks": 90.0, "course.device": 90.0}
DEFAULT_TARGET = 80.0  # each module of course.grading
PACKAGE = "course.grading"  # also scored as a whole (target 80 %)
PACKAGE_TARGET = 80.0
# A mutant's name is <module>.x_<function>__mutmut_<n>, or <module>.xǁ<Class>ǁ<method>__mutmut_<n>.
MODULE = re.compile(r"^(.+?)\.x(?:_|ǁ)")


def results() -> dict[str, str]:
    """mutant name -> status ('killed', 'survived', 'no tests', 'not checked', ...)."""
    out = subprocess.run([str(Path(sys.executable).with_name("mutmut")), "results", "--all", "true"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r"^\s*(\S+):\s*(.+?)\s*$", out, re.M))


def main() -> int:
    if sys.argv[1:] == ["--unkilled"]:  # for `make mutation RECHECK=1`: every mutant to run again
        print("\n".join(n for n, s in results().items() if s not in ("killed", "timeout")))
        return 0
    if sys.argv[1:2] == ["--from"]:  # per-module runs, each saved as `mutmut results --all true`
        results_ = {}
        for saved in sys.argv[2:]:
            results_.update(re.findall(r"^\s*(\S+):\s*(.+?)\s*$", Path(saved).read_text(), re.M))
        how = f"combined from {len(sys.argv) - 2} per-module runs (`mutmut results --all true` of each)"
    else:
        results_ = results()
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        how = f"one `make mutation` run, at commit {commit or '(not a git checkout)'}"
    equivalent: dict[str, str] = {}
    for path in sorted((ROOT / "benchmarks" / "mutation-equivalent").glob("*.toml")):
        equivalent.update(tomllib.loads(path.read_text()))
    total, killed = Counter(), Counter()
    unexplained = []
    for name, status in results_.items():
        module = MODULE.match(name).group(1)
        total[module] += 1
        if status == "killed" or status == "timeout":
            killed[module] += 1
        elif name in equivalent:
            killed[module] += 0  # counted as surviving, explained below
        else:
            unexplained.append((name, status))
    lines = [f"# Mutation score (`make mutation`, mutmut)\n\nMeasured {time.strftime('%Y-%m-%d %H:%M')}: {how}.\n",
             f"mutmut {version('mutmut')} mutates `course/checks.py`, `course/device.py` and `course/grading/*.py` "
             "and runs each mutant against the fast in-process tests listed under `[tool.mutmut]` in "
             "`pyproject.toml`. A mutant is killed when a test fails or it times out. A survivor judged "
             "equivalent still counts as surviving; its reason is listed below.\n",
             "| module | killed | mutants | score | target |", "| --- | --- | --- | --- | --- |"]
    ok = True
    rows = sorted(total)
    package = [m for m in rows if m.startswith(PACKAGE + ".")]
    if package:
        total[PACKAGE + " (all)"] = sum(total[m] for m in package)
        killed[PACKAGE + " (all)"] = sum(killed[m] for m in package)
        rows.append(PACKAGE + " (all)")
    for module in rows:
        score = 100.0 * killed[module] / total[module]
        target = PACKAGE_TARGET if module == PACKAGE + " (all)" else TARGETS.get(module, DEFAULT_TARGET)
        ok = ok and score >= target
        lines.append(f"| `{module}` | {killed[module]} | {total[module]} | {score:.1f} % | {target:.0f} % |")
    lines.append("\n## Surviving mutants judged equivalent\n")
    for name, why in sorted(equivalent.items()):
        if name in results_ and results_[name] != "killed":
            lines.append(f"- `{name}`: {why}")
    lines.append("\n## Surviving mutants with no explanation (each needs a test)\n")
    lines += [f"- `{n}` ({s})" for n, s in unexplained] or ["None."]
    (ROOT / "benchmarks" / "mutation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:4 + len(rows) + 2]))
    if unexplained:
        print(f"\n{len(unexplained)} surviving mutant(s) with no explanation (`mutmut show NAME` shows each):")
        print("\n".join(f"  {n} ({s})" for n, s in unexplained))
    return 0 if ok and not unexplained else 1


if __name__ == "__main__":
    sys.exit(main())
