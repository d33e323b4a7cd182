"""The translations: what is extracted, what a translation may change, staleness, and the
checks speaking the learner's language. Fast (no kernels)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
import torch
from conftest import ROOT

from course import i18n
from course.checks import check_close, check_shape


def _nb(*cells: tuple[str, str, str]) -> dict:
    nb = nbformat.v4.new_notebook()
    for cid, kind, src in cells:
        cell = nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        cell["id"] = cid
        nb.cells.append(cell)
    return json.loads(nbformat.writes(nb))


CODE = '''\
import torch  # the library
NAMES = ["cat", "dog"]  # data: never translated
def area(w, h):
    """The area of a w by h rectangle."""
    ### BEGIN SOLUTION
    # a comment only the instructor reads
    return w * h
    ### END SOLUTION
print("area:", area(2, 3))
print(f"a {w} by {h} box has area {area(w, h):.2f}")
assert area(1, 1) == 1, "a unit square has area 1"
check_raises(ValueError, area, "x", match="not a number", name="area of a word")
'''


def test_extraction_takes_words_not_data_or_solutions() -> None:
    pieces = {(p.kind, p.text) for p in i18n.code_pieces(CODE)}
    assert ("comment", "the library") in pieces
    assert ("comment", "data: never translated") in pieces
    assert ("string", "The area of a w by h rectangle.") in pieces
    assert ("string", "area:") in pieces
    assert ("string", "a {w} by {h} box has area {area(w, h):.2f}") in pieces
    assert ("string", "a unit square has area 1") in pieces
    assert ("string", "area of a word") in pieces
    texts = {t for _k, t in pieces}
    # data, a match= the learner's error must contain, nbgrader's markers, the solution's own comment
    for never in ("cat", "dog", "not a number", "x", "BEGIN SOLUTION", "a comment only the instructor reads"):
        assert never not in texts, never


def test_a_notebook_is_keyed_by_cell_id() -> None:
    nb = _nb(("intro", "markdown", "# Title\n\nSome words."), ("code1", "code", CODE), ("blank", "markdown", "  "))
    cat = i18n.template("notebooks/x", nb)
    keys = {(m.context, m.id) for m in cat if m.id}
    assert ("intro", "# Title\n\nSome words.") in keys
    assert ("code1", "area:") in keys
    assert all(ctx in ("intro", "code1") for ctx, _ in keys)


def test_translation_changes_only_the_words() -> None:
    lookup = {
        "the library": "这个库",
        "area:": "面积：",
        "a {w} by {h} box has area {area(w, h):.2f}": "{w} × {h} 的盒子面积为 {area(w, h):.2f}",
        "a unit square has area 1": "单位正方形的面积是 1",
    }
    out = i18n.translate_code(CODE, lookup)
    assert "# 这个库" in out and 'print("面积：", area(2, 3))' in out
    assert 'f"{w} × {h} 的盒子面积为 {area(w, h):.2f}"' in out
    assert '"cat", "dog"' in out and "### BEGIN SOLUTION" in out
    compile(out, "<translated>", "exec")


@pytest.mark.parametrize(
    "bad, why",
    [
        ({"a {w} by {h} box has area {area(w, h):.2f}": "盒子面积为 {area(h, w):.2f}"}, "differs from the English"),
        ({"area:": '面积"：'}, "does not parse"),
        ({"area:": "面积\n："}, "spans lines"),
        ({"the library": "这个\n库"}, "one line"),
    ],
)
def test_a_translation_that_changes_code_is_refused(bad: dict[str, str], why: str) -> None:
    with pytest.raises(i18n.TranslationError, match=why):
        i18n.translate_code(CODE, bad)


def _mini_course(tmp_path: Path, text: str) -> Path:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "source").mkdir()
    nb = _nb(("intro", "markdown", text), ("code", "code", 'print("hello")'))
    (tmp_path / "notebooks" / "01_x.ipynb").write_text(json.dumps(nb))
    return tmp_path


def test_a_changed_english_text_makes_its_translation_fuzzy_and_fails_the_check(tmp_path: Path) -> None:
    root = _mini_course(tmp_path, "# Tensors\n\nA tensor holds numbers.")
    i18n.update(root, "zh_CN")
    assert any("untranslated" in p for p in i18n.problems(root, "zh_CN"))
    entries = i18n.export_untranslated(root, "zh_CN", "notebooks/01_x")
    for e in entries:
        e["string"] = {"hello": "你好"}.get(e["id"], "# 张量\n\n张量存放数字。")
    i18n.import_translations(root, "zh_CN", "notebooks/01_x", entries)
    i18n.build(root, "zh_CN")
    assert i18n.problems(root, "zh_CN") == [] and i18n.stale_builds(root, "zh_CN") == []
    built = json.loads((root / "notebooks" / "zh_CN" / "01_x.ipynb").read_text())
    assert "".join(built["cells"][1]["source"]).endswith('print("你好")')
    assert i18n.notebook_language(built) == "zh_CN"

    # the author edits the English: the check fails until the translation is updated
    nb_path = root / "notebooks" / "01_x.ipynb"
    nb_path.write_text(nb_path.read_text().replace("holds numbers", "holds numbers of one dtype"))
    found = i18n.problems(root, "zh_CN")
    assert any("stale" in p for p in found), found
    i18n.update(root, "zh_CN")
    found = i18n.problems(root, "zh_CN")
    assert any("fuzzy" in p and "[intro]" in p for p in found), found
    assert any("is not what `course i18n build` writes" in p for p in i18n.stale_builds(root, "zh_CN"))
    # the old translation stays for the translator to adapt, and the catalogue reads back as written
    # (no broken comments made of the old multi-line English, piling up on every update)
    po = root / "locale" / "zh_CN" / "LC_MESSAGES" / "notebooks" / "01_x.po"
    written = po.read_bytes()
    entry = next(m for m in i18n._read(po, "zh_CN") if m.context == "intro")
    assert entry.fuzzy and entry.string == "# 张量\n\n张量存放数字。" and entry.user_comments == []
    i18n.update(root, "zh_CN")
    assert po.read_bytes() == written


def test_the_checks_speak_the_language_switched_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(i18n.ENV, "zh_CN")
    with pytest.raises(AssertionError, match="的形状应为 \\(3,\\)，但实际是 \\(2,\\)"):
        check_shape(torch.zeros(2), (3,), name="x")
    with pytest.raises(AssertionError, match="结果 的形状正确，但数值不对"):
        check_close(torch.tensor([1.0]), torch.tensor([2.0]))
    monkeypatch.setenv(i18n.ENV, "en")
    with pytest.raises(AssertionError, match=r"x should have shape \(3,\), but it has shape \(2,\)"):
        check_shape(torch.zeros(2), (3,), name="x")


def test_a_translation_that_cannot_be_filled_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(i18n._CATALOGS, "zh_CN", {"{a} and {b}": "{a} 和 {c}"})
    monkeypatch.setenv(i18n.ENV, "zh_CN")
    assert i18n.format_message("{a} and {b}", a=1, b=2) == "1 and 2"
    assert i18n.format_in("zh_CN", "{a} and {b}", a=1, b=2) == "1 and 2"


def test_use_refuses_an_unknown_language() -> None:
    before = os.environ.get(i18n.ENV)
    with pytest.raises(ValueError, match="unknown language"):
        i18n.use("xx")
    assert os.environ.get(i18n.ENV) == before


def test_every_message_of_the_checks_is_translated_with_its_fields() -> None:
    import re
    import string

    cat = i18n.updated_messages(ROOT, "zh_CN")
    stored = {m.id for m in i18n._read(i18n.messages_path("zh_CN"), "zh_CN") if m.id}
    fresh = {m.id for m in cat if m.id}
    assert fresh == stored, "course/locale/zh_CN/LC_MESSAGES/course.po is stale: run `course i18n update` and translate"
    for m in cat:
        if not m.id:
            continue
        assert m.string and not m.fuzzy, f"course.po: {m.id!r} is not translated"
        fields = lambda t: sorted(f for _l, f, _s, _c in string.Formatter().parse(t) if f is not None)  # noqa: E731
        assert fields(m.id) == fields(m.string), f"course.po: {m.id!r} and its translation have different fields"
        assert not re.search(r"[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}", re.sub(r"`[^`]*`|\{[^}]*\}|\([^)]*\)", "", m.string)), m.string


def test_shipped_catalogues_are_complete_and_the_chinese_lectures_current() -> None:
    found = i18n.problems(ROOT, "zh_CN") + i18n.stale_builds(ROOT, "zh_CN")
    assert not found, "\n".join(found[:40]) + f"\n({len(found)} problem(s)): run `course i18n update`, translate, then `course i18n build`"


def test_the_command_line_takes_lang_anywhere_and_says_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = _mini_course(tmp_path, "# Tensors")
    i18n.update(root, "zh_CN")
    entries = i18n.export_untranslated(root, "zh_CN", "notebooks/01_x")
    for e in entries:
        e["string"] = "你好"
    (tmp_path / "t.json").write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    assert i18n.main(["import", "--lang", "zh_CN", "notebooks/01_x", str(tmp_path / "t.json")], root=root) == 0
    assert capsys.readouterr().out == "2 translation(s) set in notebooks/01_x\n"
    for argv, why in ((["import", "notebooks/01_x"], "import needs a JSON file"), (["export"], "export needs a catalogue")):
        with pytest.raises(SystemExit) as exit_:
            i18n.main(argv, root=root)
        assert exit_.value.code == 2 and why in capsys.readouterr().err
