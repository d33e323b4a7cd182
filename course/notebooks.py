"""Reading, writing and cleaning the course's notebooks.

Authors may write a notebook as a script in jupytext's percent format and build it with
``python -m course.notebooks build SCRIPT.py OUT.ipynb``. Each cell opens with a ``# %%``
line whose options are jupytext's ``key=value`` cell metadata (JSON values); the course reads
three of them::

    # %% [markdown] id="intro"                        a markdown cell (its lines start with "# ")
    # %% id="setup"                                    a code cell
    # %% id="make_grid" nbgrader="solution"            an nbgrader solution cell (grade_id make_grid)
    # %% id="test_make_grid" nbgrader="tests" points=2 an nbgrader autograded test cell
    # %% [markdown] id="ex1" nbgrader="locked"         a locked cell

In an assignment (``--assignment``) every cell that is not a solution cell is locked, so
a learner cannot edit the instructions or the tests by accident. The notebook is written
clean: no outputs, no execution counts, a python3 kernelspec, stable cell ids, each cell's
source one list item per line (nbformat's writer), so a diff shows the lines that changed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# What ipykernel reports for the course's Python: JupyterLab copies it into the notebook when
# the kernel starts, and a notebook that already holds the same value does not open as modified.
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
    "version": "3.11.7",
}
_ID_OK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_KINDS = ("solution", "tests", "locked")


def parse_spec(text: str) -> list[dict[str, Any]]:
    """The cells of a percent-format script: id, markdown or code, nbgrader kind, points, source."""
    import jupytext

    if not text.lstrip().startswith("# %%"):
        raise ValueError("a notebook script starts with a '# %%' cell line (jupytext's percent format)")
    cells = []
    for cell in jupytext.reads(text, fmt="py:percent").cells:
        meta = dict(cell.metadata)
        kind = meta.pop("nbgrader", None)
        if kind is not None and kind not in _KINDS:
            raise ValueError(f"unknown nbgrader kind {kind!r} (one of {', '.join(_KINDS)})")
        cells.append(
            {
                "id": meta.pop("id", None),
                "markdown": cell.cell_type == "markdown",
                "solution": kind == "solution",
                "tests": kind == "tests",
                "locked": kind == "locked",
                "points": meta.pop("points", 1),
                "source": cell.source.strip("\n"),
            }
        )
    return cells


def build(spec_text: str, assignment: bool) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    seen: set[str] = set()
    for index, cell in enumerate(parse_spec(spec_text), start=1):
        cell_id = cell.get("id") or f"cell-{index:02d}"
        if not _ID_OK.match(cell_id) or cell_id in seen:
            raise ValueError(f"cell id {cell_id!r} is invalid or repeated")
        seen.add(cell_id)
        if cell["markdown"]:
            node = nbformat.v4.new_markdown_cell(cell["source"])
        else:
            node = nbformat.v4.new_code_cell(cell["source"])
        node.id = cell_id
        if assignment or cell["solution"] or cell["tests"] or cell["locked"]:
            meta: dict[str, Any] = {"grade_id": cell_id, "schema_version": 3}
            if cell["solution"]:
                meta.update(grade=False, solution=True, locked=False)
            elif cell["tests"]:
                if node.cell_type != "code":
                    raise ValueError(f"{cell_id}: test cells must be code cells")
                meta.update(grade=True, solution=False, locked=True, points=int(cell.get("points", 1)))
            else:
                meta.update(grade=False, solution=False, locked=True)
            node.metadata["nbgrader"] = meta  # generate_assignment locks the cells in release/
        nb.cells.append(node)
    nbformat.validate(nb)
    return nb


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip outputs and execution counts; make sure of a kernelspec and cell ids."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in LANGUAGE_INFO.items()}
    return nb


def read(path: str | Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def write(nb: nbformat.NotebookNode, path: str | Path) -> None:
    """Write as nbformat does: sorted keys, and each cell's source one list item per line, so a
    diff shows the lines that changed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """What keeps a notebook from being stored clean (empty when it is)."""
    found = []
    if "kernelspec" not in nb.metadata:
        found.append("no kernelspec")
    for i, cell in enumerate(nb.cells):
        if "id" not in cell:
            found.append(f"cell {i} has no id")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            found.append(f"cell {cell.get('id', i)} has outputs or an execution count")
    return found


def graded_cells(nb: nbformat.NotebookNode) -> dict[str, dict[str, Any]]:
    """grade_id -> nbgrader metadata, for solution and test cells."""
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") or meta.get("grade"):
            out[meta["grade_id"]] = dict(meta, source=cell.source, cell_type=cell.cell_type)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.notebooks", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build a notebook from a script in jupytext's percent format")
    b.add_argument("spec")
    b.add_argument("out")
    b.add_argument("--assignment", action="store_true", help="lock every non-solution cell (nbgrader)")
    c = sub.add_parser("clean", help="strip outputs from notebooks in place")
    c.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    if args.cmd == "build":
        nb = build(Path(args.spec).read_text(encoding="utf-8"), assignment=args.assignment)
        write(nb, args.out)
        print(f"wrote {args.out} ({len(nb.cells)} cells)")
    else:
        for p in args.paths:
            write(clean(read(p)), p)
            print(f"cleaned {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
