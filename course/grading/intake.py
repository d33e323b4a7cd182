"""Taking in what students hand in, whatever it is: a notebook that is not JSON, a renamed
notebook, a notebook of another assignment. nbgrader would drop such a student from
``autograded/`` (and leave stale scores in the gradebook); here each one is graded.

- ``SafeNotebookExporter`` (``c.Autograde.exporter_class``) reads a notebook that is not a
  notebook as an empty one: the grading preprocessors then put the test cells back, they
  fail, the student scores 0 and the reason is flagged.
- ``find_renamed_notebook`` (``c.Autograde.pre_convert_hook``): when the expected notebook is
  missing but the folder holds exactly one other notebook (``01_tensors-Copy1.ipynb``,
  ``01_Tensors.ipynb``), that one is graded in its place, and flagged.

- ``SafeOverwriteCells`` (a sanitize preprocessor, in place of nbgrader's ``OverwriteCells``):
  every nbgrader flag of a known cell comes from the gradebook, and deleted test and locked
  cells are put back where they belong.

What they found travels in the notebook's metadata (``course_grading``) to the grading
preprocessor, which turns it into flags for the reviewer with ``review_marks``.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import NotebookExporter
from nbformat import NotebookNode
from nbgrader.preprocessors import OverwriteCells

from course.grading import protocol
from course.grading.coursedir import coursedir_of

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
            if cell["cell_type"] == "code":  # (nbformat.read has refused a cell without metadata)
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
    if "submitted" not in folder.parts:
        return
    expected = _expected_notebooks(folder)
    have = {Path(p).name for p in notebooks}
    missing = [e for e in expected if e not in have]
    unknown = [p for p in notebooks if Path(p).name not in expected]
    if len(expected) == 1 and len(missing) == 1 and len(unknown) == 1:
        notebooks.append(str(folder / missing[0]))


def source_grade_ids(coursedir: Any, assignment: str | None, notebook: str) -> list[str]:
    """The grade ids of the source notebook, in their order ([] when it cannot be read)."""
    if coursedir is None or not assignment:
        return []
    path = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / f"{notebook}.ipynb"
    try:
        src = nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001
        return []
    ids = (c.metadata.get("nbgrader", {}).get("grade_id") for c in src.cells)
    return [i for i in ids if i]


def review_marks(nb: nbformat.NotebookNode, nb_name: str, order: list[str]) -> tuple[list[str], list[str]]:
    """What intake and ``SafeOverwriteCells`` marked in the notebook, as (flags, notes) for the
    reviewer; the marks are taken out of the notebook. ``order``: the source's grade ids."""
    marks = nb.metadata.pop(META, None) or {}
    flags: list[str] = []
    notes: list[str] = []
    if marks.get("unreadable"):
        flags.append(f"the submission could not be read: {marks['unreadable']}; graded as empty")
    if marks.get("renamed_from"):
        flags.append(f"graded {marks['renamed_from']} in place of the missing {nb_name}.ipynb (renamed notebook)")
    foreign = marks.get("foreign") or []
    restored = marks.get("restored") or []
    grade_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    if foreign and restored and len(restored) >= len(grade_cells) and not marks.get("unreadable"):
        flags.append(f"the notebook seems to belong to another assignment: none of its cells are this assignment's ({', '.join(foreign[:5])}...)")
    elif foreign:
        notes.append(f"cells with unknown grade ids were run as ordinary cells: {', '.join(foreign[:10])}")
    if restored and not marks.get("unreadable"):
        flags.append(f"cells deleted from the submission were put back and run: {', '.join(restored[:10])}")
    if marks.get("edited"):
        flags.append(f"locked cells were edited in the submission; the originals were run: {', '.join(marks['edited'][:10])}")
    if marks.get("duplicates"):
        notes.append(f"{marks['duplicates']} duplicated cell(s) ran as ordinary cells (only the last copy of a graded cell counts)")
    if order:
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        ids = [i for i in ids if i in order]
        if ids != [i for i in order if i in ids]:
            flags.append("the notebook's graded cells are not in their original order; they were run in the submitted order")
    return flags, notes


class SafeOverwriteCells(OverwriteCells):
    """nbgrader's OverwriteCells, plus: every nbgrader flag of a known cell comes from the
    gradebook (a learner cannot turn a test into a solution cell), and deleted test cells and
    locked cells (the setup, given code) are put back where they belong."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        from nbgrader.api import Gradebook

        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = Gradebook(self.db_url)
        self._edited: list[str] = []
        self._foreign: list[str] = []
        duplicates = sum(1 for c in nb.cells if "nbgrader" in c.metadata and not c.metadata["nbgrader"])
        with self.gradebook:
            nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
            restored = self._restore_missing(nb)
        marks = nb.metadata.setdefault(META, {})
        if self._edited:
            marks["edited"] = self._edited
        if self._foreign:
            marks["foreign"] = self._foreign[:20]
        if restored:
            marks["restored"] = restored
        if duplicates:
            marks["duplicates"] = duplicates
        if not marks:
            del nb.metadata[META]
        return nb, resources

    def preprocess_cell(self, cell: NotebookNode, resources: Any, cell_index: int) -> tuple[NotebookNode, Any]:
        from nbgrader.api import MissingEntry

        md = cell.metadata.get("nbgrader")
        if md is not None and not md.get("grade_id"):
            del cell.metadata["nbgrader"]  # a duplicate DeduplicateIds emptied, or junk: an ordinary cell
            return cell, resources
        grade_id = md.get("grade_id") if md else None
        if not grade_id:
            return cell, resources
        try:
            sc = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            self._foreign.append(grade_id)
            del cell.metadata["nbgrader"]  # another assignment's cell: an ordinary cell here
            return cell, resources
        if sc.locked and _released(sc.source) != _released(cell.source) and sc.source.strip() != cell.source.strip():
            self._edited.append(grade_id)
        # Every nbgrader flag of a known cell comes from the gradebook, before nbgrader checks sums.
        for attr, finder in (("grade", self.gradebook.find_graded_cell), ("solution", self.gradebook.find_solution_cell)):
            try:
                found = finder(grade_id, self.notebook_id, self.assignment_id)
                present = True
            except MissingEntry:
                found, present = None, False
            if bool(md.get(attr)) != present:
                self.report_change(grade_id, attr, present, md.get(attr))
                md[attr] = present
            if attr == "grade" and present:
                md["points"] = float(found.max_score)
        if not md.get("grade"):
            md.pop("points", None)
        return super().preprocess_cell(cell, resources, cell_index)

    def _restore_missing(self, nb: NotebookNode) -> list[str]:
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        grade_cells = {c.name: c for c in source_nb.grade_cells}
        wanted = {c.name: c for c in source_nb.source_cells
                  if c.cell_type == "code" and (c.name in grade_cells or (c.locked and c.name not in {s.name for s in source_nb.solution_cells}))}
        present = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
        missing = [name for name in wanted if name not in present]
        if not missing:
            return []
        order = source_grade_ids(coursedir_of(self), self.assignment_id, self.notebook_id) or sorted(wanted)
        restored = []
        for name in [n for n in order if n in missing] + [n for n in missing if n not in order]:
            sc = wanted[name]
            md = {"grade": name in grade_cells, "grade_id": name, "locked": True, "solution": False,
                  "checksum": sc.checksum, "schema_version": 3}
            if name in grade_cells:
                md["points"] = float(grade_cells[name].max_score)
            cell = NotebookNode({"cell_type": "code", "execution_count": None, "outputs": [], "source": sc.source,
                                 "metadata": {"deletable": False, "editable": False, "nbgrader": md}, "id": f"restored-{name}"[:64]})
            # after the nearest earlier cell of the source that is present
            pos = len(nb.cells)
            if name in order:
                ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
                for prev in reversed(order[: order.index(name)]):
                    if prev in ids:
                        pos = ids.index(prev) + 1
                        break
                else:
                    pos = 0
            nb.cells.insert(pos, cell)
            restored.append(name)
        self.log.warning("Put back cells missing from the submission: %s", ", ".join(restored))
        return restored


def _released(source: str) -> str:
    """A cell's source as the student received it: without the hidden tests, trailing spaces ignored."""
    return "\n".join(line.rstrip() for line in protocol.visible_part(source)).strip()


