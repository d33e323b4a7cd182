"""The course in other languages: one English source, gettext catalogues, generated editions.

The English notebooks are the source. Every learner-facing string of a notebook has an entry in
a gettext catalogue (``locale/<lang>/LC_MESSAGES/<folder>/<notebook>.po``) whose context
(``msgctxt``) is the cell's id:

- a markdown cell is one entry (its whole text);
- in a code cell, each comment, each docstring, and each string a learner reads: what is
  printed, an ``assert``'s message, what is raised, the ``name=``/``hint=``/``what=``… of a
  ``check_*`` call, and the phrases a test puts in ``where``/``what``/``name``… for its
  messages. Strings that are data (class names, file names, a ``match=`` the learner's error
  must contain, a bare identifier) are never touched, nor is the text of plots (not every
  machine has a CJK font), nor the code inside a solution (``### BEGIN SOLUTION`` …
  ``### END SOLUTION``), which only the instructor reads.

A translated notebook is built by putting each translation in the place of its English text.
The build then proves that only words changed: the translated code parses to the same syntax
tree as the English once the strings are blanked, and every f-string keeps its ``{...}`` fields.

The messages of ``course.checks`` and ``course.probes`` are translated at run time through
:func:`gettext`, from ``course/locale/<lang>/LC_MESSAGES/course.po`` (inside the package, so a
sandboxed grading kernel sees it); a notebook switches them on with :func:`use`, which the
translated editions call in their first code cell.

``course i18n update`` brings the catalogues in line with the English (a changed English text
marks its translation fuzzy), ``course i18n build`` writes the translated lectures to
``notebooks/<lang>/``, ``course i18n check`` fails on anything untranslated, fuzzy or stale,
and ``course release --lang zh_CN NN_topic`` releases an assignment in Chinese.
"""

from __future__ import annotations

import ast
import copy
import io
import os
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

LANGUAGES = {"zh_CN": "简体中文"}
LANGUAGE_NAMES = {"zh_CN": "Simplified Chinese"}
PACKAGE_LOCALE = Path(__file__).resolve().parent / "locale"
ENV = "COURSE_LANG"

# --- run time: the messages of the checks ------------------------------------------------------

_CATALOGS: dict[str, dict[str, str]] = {}


def use(lang: str) -> None:
    """Show the course's check messages in ``lang`` in this kernel (``"en"`` for English)."""
    if lang != "en" and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of en, {', '.join(LANGUAGES)}")
    os.environ[ENV] = lang
    if lang != "en":
        _catalog(lang)


def language() -> str:
    """The language the checks speak in this process: ``COURSE_LANG``, English by default."""
    lang = os.environ.get(ENV, "en")
    return lang if lang in LANGUAGES else "en"


def _catalog(lang: str) -> dict[str, str]:
    found = _CATALOGS.get(lang)
    if found is None:
        found = {}
        path = PACKAGE_LOCALE / lang / "LC_MESSAGES" / "course.po"
        if path.is_file():
            from babel.messages.pofile import read_po

            with path.open("rb") as fh:
                for msg in read_po(fh):
                    if msg.id and msg.string and not msg.fuzzy:
                        found[str(msg.id)] = str(msg.string)
        _CATALOGS[lang] = found
    return found


def gettext(message: str) -> str:
    """``message`` in the current language, or as it is when there is no translation."""
    return translate(message, language())


# The checks' default names for what they check: translated when a message uses them.
DEFAULT_NAMES = ("result", "the model", "the function", "your function", "the model's output")


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


def translate(message: str, lang: str) -> str:
    """``message`` in ``lang``, whatever this process's own language is."""
    if lang == "en" or lang not in LANGUAGES:
        return message
    return _catalog(lang).get(message, message)


def format_in(lang: str, template: str, **fields: Any) -> str:
    """``template`` translated to ``lang`` and filled; a translation that cannot be filled falls back to English."""
    text = translate(template, lang)
    if text is template:
        return template.format(**fields)
    fields = {k: translate(v, lang) if isinstance(v, str) and v in DEFAULT_NAMES else v for k, v in fields.items()}
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):
        return template.format(**fields)


def notebook_language(nb: Any) -> str:
    """The language a notebook was built in: its ``course.lang`` metadata, or the switch in its first code cell."""
    lang = ((nb.get("metadata") or {}).get("course") or {}).get("lang")
    if lang in LANGUAGES:
        return lang
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = _cell_source(cell)
            for code in LANGUAGES:
                if SWITCH.format(lang=code) in src:
                    return code
            break
    return "en"


def format_message(template: str, **fields: Any) -> str:
    """``template`` in this process's language (:func:`use`), filled: :func:`format_in` for :func:`language`."""
    return format_in(language(), template, **fields)


# --- what a notebook says: extraction ----------------------------------------------------------

# Calls whose string arguments a learner reads, and the keywords that carry words. The text of
# plots stays English: not every machine has a CJK font, and a missing glyph warns on stderr.
_SAY_CALLS = {"print"}
_WORD_KEYWORDS = {"name", "hint", "what", "why", "msg", "message", "label", "reason"}
# Variables that tests fill with words for their messages (``where = f"on {dev}"``).
_WORD_VARIABLES = {"where", "what", "why", "hint", "msg", "message", "label", "name", "desc", "_where", "_what", "_desc"}
_MARKERS = re.compile(r"^#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\b|^#\s*(noqa|type:|pragma|%%|YOUR CODE HERE)")
_SOLUTION_BEGIN = re.compile(r"^\s*#+\s*BEGIN SOLUTION")
_SOLUTION_END = re.compile(r"^\s*#+\s*END SOLUTION")


@dataclass(frozen=True)
class Piece:
    """One translatable text of a cell: where it is in the cell's source and what it says."""

    kind: str  # "markdown", "comment" or "string"
    text: str  # what the translator sees (a comment without its "# ", a string without its quotes)
    start: tuple[int, int]  # (line, column) in the cell source, 1-based lines, columns in characters
    end: tuple[int, int]


def _call_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return ""


def _literal_text(node: ast.expr) -> str:
    """The literal words of a string or f-string (its fields left out); "" for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return ""


def _said_nodes(tree: ast.AST) -> list[ast.expr]:
    """The string expressions of a cell that a learner reads."""
    out: list[ast.expr] = []

    def strings(node: ast.expr | None) -> None:
        if node is None:
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str) or isinstance(node, ast.JoinedStr):
            out.append(node)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            strings(node.left)
            strings(node.right)
        elif isinstance(node, ast.IfExp):
            strings(node.body)
            strings(node.orelse)

    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            strings(node.msg)
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            for arg in node.exc.args:
                strings(arg)
        elif isinstance(node, ast.Assign):
            # a phrase (an f-string, or words with a space) put in a variable named for words;
            # a bare identifier such as name = "conv1" is data and stays
            target = node.targets[0] if len(node.targets) == 1 else None
            value = node.value
            if isinstance(target, ast.Name) and target.id in _WORD_VARIABLES and " " in _literal_text(value):
                strings(value)
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in _SAY_CALLS:
                for arg in node.args:
                    strings(arg)
            if name in _SAY_CALLS or name.startswith(("check_", "fail")):
                for kw in node.keywords:
                    if kw.arg in _WORD_KEYWORDS:
                        strings(kw.value)
            if name == "check_true" and len(node.args) >= 2:
                strings(node.args[1])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                out.append(body[0].value)
    return out


def _parsable(source: str) -> str:
    """The source with IPython's magics and shell lines blanked, so that ``ast`` can read it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def _char_col(lines: list[str], lineno: int, byte_col: int) -> int:
    return len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _solution_lines(source: str) -> set[int]:
    inside, out = False, set()
    for i, line in enumerate(source.split("\n"), start=1):
        if _SOLUTION_BEGIN.match(line):
            inside = True
        if inside:
            out.add(i)
        if _SOLUTION_END.match(line):
            inside = False
    return out


_STRING_PREFIX = re.compile(r"^([rRbBuUfF]{0,2})('''|\"\"\"|'|\")")


def _split_string_token(tok: str) -> tuple[str, str, str]:
    m = _STRING_PREFIX.match(tok)
    if not m:
        raise ValueError(f"not a string token: {tok!r}")
    prefix, quote = m.group(1), m.group(2)
    return prefix + quote, tok[len(prefix) + len(quote) : len(tok) - len(quote)], quote


def code_pieces(source: str, skip_solutions: bool = True) -> list[Piece]:
    """The comments, docstrings and learner-facing strings of a code cell, in source order."""
    parsable = _parsable(source)
    try:
        tree = ast.parse(parsable)
        tokens = list(tokenize.generate_tokens(io.StringIO(parsable).readline))
    except (SyntaxError, tokenize.TokenError):
        return []
    lines = parsable.split("\n")
    hidden = _solution_lines(source) if skip_solutions else set()
    spans = []
    for node in _said_nodes(tree):
        start = (node.lineno, _char_col(lines, node.lineno, node.col_offset))
        end = (node.end_lineno, _char_col(lines, node.end_lineno, node.end_col_offset))
        spans.append((start, end))
    pieces = []
    for tok in tokens:
        if tok.start[0] in hidden:
            continue
        if tok.type == tokenize.COMMENT:
            text = tok.string[1:].strip()
            if not re.search(r"[A-Za-z]", text) or _MARKERS.match(tok.string.strip()) or tok.string.startswith("#!"):
                continue
            pieces.append(Piece("comment", text, tok.start, tok.end))
        elif tok.type == tokenize.STRING and any(s <= tok.start and tok.end <= e for s, e in spans):
            _open, inner, _close = _split_string_token(tok.string)
            if re.search(r"[A-Za-z]{2}", inner):
                pieces.append(Piece("string", inner, tok.start, tok.end))
    return pieces


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _is_solution(cell: dict) -> bool:
    nbg = cell.get("metadata", {}).get("nbgrader", {})
    return bool(nbg.get("solution")) and cell.get("cell_type") == "markdown"


def notebook_pieces(nb: dict) -> list[tuple[str, Piece]]:
    """(cell id, piece) for every translatable text of a notebook, in order."""
    out = []
    for cell in nb["cells"]:
        cid = cell.get("id")
        src = _cell_source(cell)
        if not cid or not src.strip():
            continue
        if cell["cell_type"] == "markdown":
            if not _is_solution(cell):
                n = src.count("\n")
                out.append((cid, Piece("markdown", src, (1, 0), (n + 1, len(src.split("\n")[-1])))))
        elif cell["cell_type"] == "code":
            out.extend((cid, p) for p in code_pieces(src))
    return out


# --- catalogues --------------------------------------------------------------------------------


def root_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def english_notebooks(root: Path) -> list[tuple[str, Path]]:
    """(catalogue name, English notebook) for every lecture and assignment source."""
    out = [(f"notebooks/{p.stem}", p) for p in sorted((root / "notebooks").glob("*.ipynb"))]
    for d in sorted((root / "source").iterdir()):
        nb = d / f"{d.name}.ipynb"
        if d.is_dir() and nb.is_file() and not is_translated_assignment(d.name):
            out.append((f"source/{d.name}", nb))
    return out


def is_translated_assignment(name: str) -> bool:
    return any(name.endswith("_" + lang) for lang in LANGUAGES)


def catalogue_path(root: Path, lang: str, name: str) -> Path:
    return root / "locale" / lang / "LC_MESSAGES" / f"{name}.po"


def template(name: str, nb: dict, lang: str | None = None) -> Any:
    """A Babel catalogue of a notebook's texts, keyed by cell id (msgctxt)."""
    from babel.messages.catalog import Catalog

    cat = Catalog(locale=lang, project="PyTorch course", domain=name.replace("/", "-"), charset="utf-8")
    for index, (cid, piece) in enumerate(notebook_pieces(nb)):
        existing = cat.get(piece.text, context=cid)
        if existing is not None:
            continue
        cat.add(
            piece.text,
            context=cid,
            locations=[(f"{name}.ipynb", index)],
            auto_comments=[piece.kind],
        )
    return cat


def _read(path: Path, lang: str) -> Any:
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def _write(path: Path, cat: Any) -> None:
    from babel.messages.pofile import write_po

    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    # No previous msgid (#|): Babel writes a multi-line one on wrapped comment lines that it reads
    # back as translator comments, piling up on every update. The fuzzy flag and the old
    # translation, kept for the translator to adapt, say what changed.
    write_po(buf, cat, width=0, omit_header=False, ignore_obsolete=True)
    data = buf.getvalue()
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)


def _fixed_header(cat: Any, lang: str) -> None:
    """Dates out of the header, so that an unchanged catalogue is written unchanged."""
    import datetime

    fixed = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cat.creation_date = fixed
    cat.revision_date = fixed
    cat.fuzzy = False
    cat.language_team = "PyTorch course translators"
    cat.last_translator = "PyTorch course translators"
    cat.version = "1"
    cat.copyright_holder = "the PyTorch course's authors"
    cat.msgid_bugs_address = "the course's issue tracker"
    cat.header_comment = (
        f"# {LANGUAGE_NAMES.get(lang, lang)} translation of the PyTorch course: {cat.domain}.\n"
        "# Made with `course i18n update`; translate with any PO editor (Poedit, Weblate).\n"
        "# msgctxt is the notebook cell's id. Keep code, API names, {fields} and Markdown as they are."
    )


def updated(root: Path, lang: str, name: str, nb_path: Path) -> Any:
    """The catalogue of ``name`` brought in line with its English notebook (changed texts fuzzy)."""
    import json

    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    tmpl = template(name, nb)
    path = catalogue_path(root, lang, name)
    if path.is_file():
        cat = _read(path, lang)
    else:
        from babel.messages.catalog import Catalog

        cat = Catalog(locale=lang, project="PyTorch course", domain=name.replace("/", "-"), charset="utf-8")
    cat.update(tmpl, update_creation_date=False)
    cat.obsolete.clear()
    cat.domain = name.replace("/", "-")
    _fixed_header(cat, lang)
    return cat


def update(root: Path, lang: str) -> list[str]:
    """Write every catalogue of ``lang`` in line with the English; return what changed."""
    changed = []
    if root.resolve() == root_dir():  # the checks' messages live in the package itself
        path = messages_path(lang)
        before = path.read_bytes() if path.is_file() else b""
        _write(path, updated_messages(root, lang))
        if path.read_bytes() != before:
            changed.append("course (the checks' messages)")
    for name, nb_path in english_notebooks(root):
        cat = updated(root, lang, name, nb_path)
        path = catalogue_path(root, lang, name)
        before = path.read_bytes() if path.is_file() else b""
        _write(path, cat)
        if path.read_bytes() != before:
            changed.append(name)
    return changed


def problems(root: Path, lang: str) -> list[str]:
    """What is not right with the catalogues of ``lang``: stale, untranslated, fuzzy, unusable."""
    import json

    out = []
    for name, nb_path in english_notebooks(root):
        path = catalogue_path(root, lang, name)
        if not path.is_file():
            out.append(f"{name}: no catalogue {path.relative_to(root)} (run `course i18n update`)")
            continue
        stored = _read(path, lang)
        stored_keys = {(m.id, m.context) for m in stored if m.id}
        cat = updated(root, lang, name, nb_path)
        fresh_keys = {(m.id, m.context) for m in cat if m.id}
        if fresh_keys != stored_keys:
            gone = len(stored_keys - fresh_keys)
            new = len(fresh_keys - stored_keys)
            out.append(f"{name}: the catalogue is stale ({new} English texts new or changed, {gone} gone): run `course i18n update` and translate")
        for m in cat:
            if not m.id:
                continue
            where = f"{name} [{m.context}]"
            first = str(m.id).strip().split("\n")[0][:60]
            if m.fuzzy:
                out.append(f"{where}: fuzzy (its English changed): {first!r}")
            elif not m.string:
                out.append(f"{where}: untranslated: {first!r}")
        if not out or not out[-1].startswith(name):
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
            try:
                translate_notebook(nb, cat, lang)
            except TranslationError as err:
                out.append(f"{name}: {err}")
    return out


# --- the messages of the checks (course.po) ----------------------------------------------------

MESSAGE_SOURCES = ("course/checks.py", "course/probes.py", "course/grading/redact.py")
_KEYWORDS = {"_msg": None, "_tr": None, "gettext": None, "format_message": None, "N_": None, "_in": None, "format_in": (2,)}


def messages_template(root: Path) -> Any:
    """A Babel catalogue of every message the checks can show, from their source."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    cat = Catalog(project="PyTorch course", domain="course", charset="utf-8")
    for rel in MESSAGE_SOURCES:
        for lineno, text, _comments, _context in extract_from_file("python", str(root / rel), keywords=_KEYWORDS):
            if isinstance(text, str):
                cat.add(text, locations=[(rel, lineno)])
    for word in DEFAULT_NAMES:
        cat.add(word, locations=[("course/i18n.py", 0)], auto_comments=["a default name in the checks' messages"])
    return cat


def messages_path(lang: str) -> Path:
    return PACKAGE_LOCALE / lang / "LC_MESSAGES" / "course.po"


def updated_messages(root: Path, lang: str) -> Any:
    path = messages_path(lang)
    if path.is_file():
        cat = _read(path, lang)
    else:
        from babel.messages.catalog import Catalog

        cat = Catalog(locale=lang, project="PyTorch course", domain="course", charset="utf-8")
    cat.update(messages_template(root), update_creation_date=False)
    cat.obsolete.clear()
    cat.domain = "course"
    _fixed_header(cat, lang)
    return cat


# --- building a translated notebook ------------------------------------------------------------


class TranslationError(ValueError):
    """A translation that would change what the code does, or that does not fit its place."""


SWITCH = 'import course.i18n; course.i18n.use("{lang}")'


def _offsets(source: str) -> list[int]:
    starts, pos = [0], 0
    for line in source.split("\n"):
        pos += len(line) + 1
        starts.append(pos)
    return starts


def _blanked(tree: ast.AST) -> str:
    """The syntax tree with every string's words removed; f-string fields stay, as a sorted set."""

    class Blank(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.AST:
            if isinstance(node.value, str):
                return ast.copy_location(ast.Constant(value=""), node)
            return node

        def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
            fields = sorted(ast.dump(self.visit(v)) for v in node.values if isinstance(v, ast.FormattedValue))
            return ast.copy_location(ast.Constant(value="f:" + "|".join(fields)), node)

    return ast.dump(Blank().visit(copy.deepcopy(tree)))


def translate_code(source: str, lookup: dict[str, str], where: str = "cell") -> str:
    """``source`` with its comments and learner-facing strings replaced by their translations."""
    pieces = code_pieces(source)
    if not pieces:
        return source
    starts = _offsets(source)
    out = source
    for piece in sorted(pieces, key=lambda p: p.start, reverse=True):
        new = lookup.get(piece.text)
        if not new or new == piece.text:
            continue
        a = starts[piece.start[0] - 1] + piece.start[1]
        b = starts[piece.end[0] - 1] + piece.end[1]
        old = out[a:b]
        if piece.kind == "comment":
            if "\n" in new:
                raise TranslationError(f"{where}: a comment's translation must stay on one line: {new!r}")
            out = out[:a] + "# " + new + out[b:]
        else:
            opening, _inner, quote = _split_string_token(old)
            if len(quote) == 1 and "\n" in new:
                raise TranslationError(f"{where}: the translation of {piece.text!r} spans lines, but its string is one line")
            out = out[:a] + opening + new + quote + out[b:]
    try:
        same = _blanked(ast.parse(_parsable(out))) == _blanked(ast.parse(_parsable(source)))
    except SyntaxError as err:
        raise TranslationError(f"{where}: the translated code does not parse ({err.msg}, line {err.lineno}); check the quotes and braces of its strings") from None
    if not same:
        raise TranslationError(f"{where}: the translated code differs from the English beyond its words (an f-string's {{fields}} changed?)")
    return out


def translate_notebook(nb: dict, cat: Any, lang: str) -> dict:
    """A translated copy of ``nb``: same cells, ids, metadata and code; the words from ``cat``."""
    by_cell: dict[str, dict[str, str]] = {}
    for m in cat:
        if m.id and m.string and not m.fuzzy:
            by_cell.setdefault(m.context or "", {})[str(m.id)] = str(m.string)
    out = copy.deepcopy(nb)
    first_code = True
    for cell in out["cells"]:
        cid = cell.get("id") or ""
        src = _cell_source(cell)
        lookup = by_cell.get(cid, {})
        if cell["cell_type"] == "markdown" and not _is_solution(cell):
            new = lookup.get(src, src)
        elif cell["cell_type"] == "code":
            new = translate_code(src, lookup, where=f"cell {cid}")
            if first_code:
                new = SWITCH.format(lang=lang) + "\n" + new
                first_code = False
        else:
            new = src
        cell["source"] = new
    meta = out.setdefault("metadata", {})
    meta.setdefault("course", {})["lang"] = lang
    return out


def build_notebook(root: Path, lang: str, name: str, nb_path: Path) -> dict:
    import json

    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    path = catalogue_path(root, lang, name)
    if not path.is_file():
        raise TranslationError(f"no catalogue for {name} in {lang}: {path}")
    return translate_notebook(nb, _read(path, lang), lang)


def lecture_outputs(root: Path, lang: str) -> list[tuple[Path, str, Path]]:
    """(translated lecture, catalogue name, English lecture) for every lecture."""
    return [
        (root / "notebooks" / lang / p.name, name, p)
        for name, p in english_notebooks(root)
        if name.startswith("notebooks/")
    ]


def _dump(nb: dict) -> str:
    import nbformat

    return nbformat.writes(nbformat.from_dict(nb)) + "\n"


def build(root: Path, lang: str) -> list[Path]:
    """Write the translated lectures to ``notebooks/<lang>/``; return those that changed."""
    changed = []
    for out_path, name, nb_path in lecture_outputs(root, lang):
        text = _dump(build_notebook(root, lang, name, nb_path))
        out_path.parent.mkdir(parents=True, exist_ok=True)
        if not out_path.is_file() or out_path.read_text(encoding="utf-8") != text:
            out_path.write_text(text, encoding="utf-8")
            changed.append(out_path)
    return changed


def stale_builds(root: Path, lang: str) -> list[str]:
    """Translated lectures that differ from what ``course i18n build`` would write."""
    out = []
    for out_path, name, nb_path in lecture_outputs(root, lang):
        try:
            want = _dump(build_notebook(root, lang, name, nb_path))
        except TranslationError as err:
            out.append(str(err))
            continue
        if not out_path.is_file() or out_path.read_text(encoding="utf-8") != want:
            out.append(f"{out_path.relative_to(root)} is not what `course i18n build` writes")
    return out


def translated_assignment(assignment: str, lang: str) -> str:
    return f"{assignment}_{lang}"


def build_assignment(root: Path, assignment: str, lang: str, dest_root: Path | None = None) -> Path:
    """Write ``source/<assignment>_<lang>/`` (the notebook translated, other files as they are)."""
    import shutil

    src_dir = root / "source" / assignment
    if not (src_dir / f"{assignment}.ipynb").is_file():
        raise TranslationError(f"no assignment {assignment!r} in {root / 'source'}")
    name = translated_assignment(assignment, lang)
    dest = (dest_root or root) / "source" / name
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src_dir, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", f"{assignment}.ipynb"))
    nb = build_notebook(root, lang, f"source/{assignment}", src_dir / f"{assignment}.ipynb")
    (dest / f"{name}.ipynb").write_text(_dump(nb), encoding="utf-8")
    return dest / f"{name}.ipynb"


def sizes(root: Path, lang: str) -> list[tuple[str, int, int]]:
    """(catalogue, entries, translated) per notebook."""
    out = []
    for name, _p in english_notebooks(root):
        path = catalogue_path(root, lang, name)
        if path.is_file():
            cat = _read(path, lang)
            msgs = [m for m in cat if m.id]
            out.append((name, len(msgs), sum(1 for m in msgs if m.string and not m.fuzzy)))
    return out


def export_untranslated(root: Path, lang: str, name: str) -> list[dict[str, str]]:
    """The entries of a catalogue still to translate (untranslated or fuzzy), as plain data."""
    cat = _read(catalogue_path(root, lang, name), lang)
    return [
        {"context": m.context or "", "kind": (m.auto_comments or [""])[0], "id": str(m.id), "string": str(m.string or "")}
        for m in cat
        if m.id and (not m.string or m.fuzzy)
    ]


def import_translations(root: Path, lang: str, name: str, entries: list[dict[str, str]]) -> int:
    """Put translations (context, id, string) into a catalogue; return how many were set."""
    path = catalogue_path(root, lang, name)
    cat = _read(path, lang)
    cat.domain = name.replace("/", "-")
    n = 0
    for e in entries:
        m = cat.get(e["id"], context=e["context"] or None)
        if m is None:
            raise KeyError(f"{name}: no entry {e['context']!r} {e['id'][:60]!r}")
        if e.get("string"):
            m.string = e["string"]
            m.flags.discard("fuzzy")
            m.previous_id = []
            n += 1
    _fixed_header(cat, lang)
    _write(path, cat)
    return n


def main(argv: Iterable[str] | None = None, root: Path | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="course i18n", description="the course's translations (gettext catalogues)")
    p.add_argument("action", choices=["update", "build", "check", "sizes", "export", "import"])
    p.add_argument("--lang", default="zh_CN", choices=sorted(LANGUAGES))
    p.add_argument("name", nargs="?", help="export/import: a catalogue, e.g. source/01_tensors")
    p.add_argument("file", nargs="?", help="import: a JSON list of {context, id, string}")
    args = p.parse_intermixed_args(list(argv) if argv is not None else None)  # --lang anywhere
    if args.action in ("export", "import") and not args.name:
        p.error(f"{args.action} needs a catalogue, e.g. source/01_tensors")
    if args.action == "import" and not args.file:
        p.error("import needs a JSON file: a list of {context, id, string}")
    root = root or root_dir()
    if args.action == "update":
        changed = update(root, args.lang)
        print(f"{len(changed)} catalogue(s) updated" + (": " + ", ".join(changed) if changed else ""))
    elif args.action == "build":
        changed = build(root, args.lang)
        print(f"{len(changed)} lecture(s) written" + (": " + ", ".join(str(c.relative_to(root)) for c in changed) if changed else ""))
    elif args.action == "export":
        import json

        print(json.dumps(export_untranslated(root, args.lang, args.name), ensure_ascii=False, indent=1))
    elif args.action == "import":
        import json

        entries = json.loads(Path(args.file).read_text(encoding="utf-8"))
        print(f"{import_translations(root, args.lang, args.name, entries)} translation(s) set in {args.name}")
    elif args.action == "sizes":
        for name, n, done in sizes(root, args.lang):
            print(f"{name:40s} {n:4d} entries, {done:4d} translated")
    else:
        found = problems(root, args.lang) + stale_builds(root, args.lang)
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
