"""Taking in what students hand in, whatever it is: a notebook that is not JSON, a renamed
notebook, a notebook of another assignment. nbgrader would drop such a student from
``autograded/`` (and leave stale scores in the gradebook); here each one is graded.

- ``SafeNotebookExporter`` (``c.Autograde.exporter_class``) reads a notebook that is not a
  notebook as an empty one: the grading preprocessors then put the test cells back, they
  fail, the student scores 0 and the reason is flagged.
- ``find_renamed_notebook`` (``c.Autograde.pre_convert_hook``): when the expected notebook is
  missing but the folder holds exactly one other notebook (``01_tensors-Copy1.ipynb``,
  ``01_Tensors.ipynb``), that one is graded in its place, and flagged.

What they found travels in the notebook's metadata (``course_grading``) to the grading
preprocessor, which turns it into flags.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import NotebookExporter

META = "course_grading"


def _mark(nb: nbformat.NotebookNode, key: str, value: Any) -> None:
    nb.metadata.setdefault(META, {})[key] = value


def _empty_notebook(why: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.cells.append(nbformat.v4.new_markdown_cell(f"*The grader could not read this submission: {why}*"))
    _mark(nb, "unreadable", why)
    return nb


def read_submission(path: str) -> nbformat.NotebookNode:
    """A notebook for grading, whatever is at ``path``; problems are marked in the metadata."""
    renamed = None
    if not os.path.exists(path):
        candidates = _other_notebooks(path)
        if len(candidates) == 1:
            renamed = candidates[0]
            path = renamed
        else:
            return _empty_notebook("the notebook is missing")
    try:
        if os.path.getsize(path) > 50 << 20:
            raise ValueError("the file is larger than 50 MB")
        nb = nbformat.read(path, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no cells")
        for cell in nb.cells:
            if not isinstance(cell, dict) or "cell_type" not in cell or "source" not in cell:
                raise ValueError("a cell is malformed")
            cell.setdefault("metadata", {})
            if cell["cell_type"] == "code":
                cell.setdefault("outputs", [])
                cell.setdefault("execution_count", None)
        nb.metadata.setdefault("kernelspec", {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"})
    except Exception as err:  # noqa: BLE001 - any unreadable file is graded as empty
        why = f"{os.path.basename(path)} is not a valid notebook ({type(err).__name__}: {str(err)[:200]})"
        nb = _empty_notebook(why)
    if renamed:
        _mark(nb, "renamed_from", os.path.basename(renamed))
    return nb


def _other_notebooks(expected: str) -> list[str]:
    folder = os.path.dirname(expected)
    return sorted(p for p in glob.glob(os.path.join(glob.escape(folder), "*.ipynb")) if os.path.abspath(p) != os.path.abspath(expected))


class SafeNotebookExporter(NotebookExporter):
    """NotebookExporter that never fails to read: see ``read_submission``."""

    def from_filename(self, filename: str, resources: Any = None, **kw: Any) -> tuple[str, Any]:
        resources = resources if resources is not None else {}
        path = Path(filename)
        resources.setdefault("metadata", {})
        resources["metadata"]["name"] = path.stem
        resources["metadata"]["path"] = str(path.parent)
        if "submitted" in path.parts:
            nb = read_submission(str(path))
        else:
            nb = nbformat.read(str(path), as_version=4)
        return self.from_notebook_node(nb, resources=resources, **kw)


def _expected_notebooks(submitted_folder: Path) -> list[str]:
    # submitted/<student>/<assignment>  ->  source/<assignment>/*.ipynb
    try:
        assignment = submitted_folder.name
        root = submitted_folder.parents[2]
    except IndexError:
        return []
    return sorted(p.name for p in (root / "source" / assignment).glob("*.ipynb"))


def find_renamed_notebook(assignment: str, student: str, notebooks: list[str], **_: Any) -> None:
    """pre_convert_hook: grade a lone renamed notebook in place of the missing expected one."""
    if not notebooks:
        return
    folder = Path(notebooks[0]).parent
    if folder.parent.parent.name != "submitted" and "submitted" not in folder.parts:
        return
    expected = _expected_notebooks(folder)
    have = {Path(p).name for p in notebooks}
    missing = [e for e in expected if e not in have]
    unknown = [p for p in notebooks if Path(p).name not in expected]
    if len(expected) == 1 and len(missing) == 1 and len(unknown) == 1:
        notebooks.append(str(folder / missing[0]))
