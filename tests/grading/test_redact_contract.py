"""course.grading.redact pinned down: feedback never shows hidden tests, and says what failed.
The oracle of `make mutation` for the feedback redactor (in-process, no kernels)."""

from __future__ import annotations

from nbformat import from_dict
from nbformat.v4 import new_markdown_cell, new_notebook, new_output
from tinycourse import code_cell

from course.grading import redact
from course.grading.redact import HideHiddenTests

TEST = (
    "from course.checks import check_close\n"
    "check_close(f(1), 2)\n"
    "    ### BEGIN HIDDEN TESTS\n"
    "secret_value = 31337\n"
    "check_close(g(f(secret_value)), 62674)\n"
    "x=1\n"
    "### END HIDDEN TESTS\n"
    "print('visible end')"
)


def _test_cell(outputs, source=TEST, grade_id="test_f"):
    return code_cell(source, grade_id, grade=True, locked=True, points=1, outputs=outputs)


def _run(*cells):
    nb = new_notebook()
    nb.cells = list(cells)
    out, resources = HideHiddenTests().preprocess(nb, {"x": 1})
    assert resources == {"x": 1}
    return out


def test_hidden_line_numbers_and_lines() -> None:
    lines = TEST.split("\n")
    assert redact._hidden_line_numbers(lines, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS") == {4, 5, 6}
    assert redact._hidden_line_numbers(["a", "B", "c", "E", "d", "B", "e"], "B", "E") == {3, 7}
    assert redact._hidden_lines(TEST, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS") == [
        "secret_value = 31337", "check_close(g(f(secret_value)), 62674)"
    ]
    assert redact._hidden_lines("B\n  123456789  \n12345678\nE", "B", "E") == ["123456789"]


def test_test_line() -> None:
    assert redact._test_line([]) == 0
    assert redact._test_line(["File <course-test t>:5", "x", "\x1b[31mFile <course-test t>, line 12\x1b[0m"]) == 12
    assert redact._test_line(["<course-test t>" + "-" * 12 + "7"]) == 7
    assert redact._test_line(["<course-test t>" + "-" * 13 + "7"]) == 0
    assert redact._test_line(["File <course-cell t>:5", "Cell In[3], line 4"]) == 0
    assert redact._test_line(["<course-test a>:3 and <course-test b>:9"]) == 9


def test_words_and_defined_names() -> None:
    assert redact._words("check_close(f(x_1), 2.5) # é") == {"check_close", "f", "x_1"}
    src = "import os\ndef f(x):\n    def inner(): pass\nasync def g(): pass\nclass K: pass\nh = lambda: 1\n"
    assert redact._defined_names(src) == {"f", "g", "K"}
    assert redact._defined_names("def broken(:\n") == set()


def test_learner_frame() -> None:
    assert redact._learner_frame([]) == ""
    assert redact._learner_frame(["Cell In[3], line 4, in double"]) == "line 4 of double()"
    assert redact._learner_frame(["\x1b[32mCell In[3], line 4\x1b[0m"]) == "line 4"
    assert redact._learner_frame(["Cell In[3], line 4, in <module>"]) == "line 4"
    assert redact._learner_frame(["Cell In[1], line 2, in a", "File <course-test t>:3", "Cell In[5], line 9, in b"]) == "line 9 of b()"


def test_scrub_and_scrub_output() -> None:
    hidden = ["check_close(g(f(secret_value)), 62674)", "secret_value = 31337"]
    assert redact._scrub("a secret_value = 31337 b secret_value = 31337", hidden) == "a <hidden test> b <hidden test>"
    assert redact._scrub("nothing", hidden) == "nothing"
    out = new_output("error", ename="E", evalue="\x1b[1msecret_value = 31337\x1b[0m", traceback=["\x1b[31msecret_value = 31337", "ok"])
    redact._scrub_output(out, hidden)
    assert out["evalue"] == "<hidden test>" and out["traceback"] == ["<hidden test>", "ok"]
    out = new_output("stream", name="stdout", text="\x1b[1mx\x1b[0m secret_value = 31337")
    redact._scrub_output(out, hidden)
    assert out["text"] == "x <hidden test>"
    out = {"output_type": "display_data", "data": {"text/plain": "secret_value = 31337", "text/x": ["secret_value = 31337"]}}
    redact._scrub_output(out, hidden)
    assert out["data"] == {"text/plain": "<hidden test>", "text/x": ["secret_value = 31337"]}
    untouched = new_output("stream", name="stdout", text="\x1b[1msecret_value = 31337")
    redact._scrub_output(untouched, [])
    assert untouched["text"] == "\x1b[1msecret_value = 31337"


def test_strip_leaves_one_indented_line_per_hidden_block() -> None:
    cell = _test_cell([], source="a\n  ### BEGIN HIDDEN TESTS\n  short\n  a_long_hidden_line\n### END HIDDEN TESTS\nb\n"
                                  "### BEGIN HIDDEN TESTS\nz\n### END HIDDEN TESTS")
    HideHiddenTests()._strip(cell)
    note = "# (hidden tests: they run when your work is graded, on inputs you have not seen)"
    assert cell.source == f"a\n  {note}\nb\n{note}"


def test_a_failed_hidden_check() -> None:
    solution = code_cell("def f(x):\n    return x\ndef g(y):\n    return y\ndef unused(): pass", "f", solution=True)
    tb = ["\x1b[31mTraceback\x1b[0m", "File <course-test test_f>:5", "Cell In[7], line 2, in f", "secret_value = 31337 leaked"]
    cell = _test_cell([
        new_output("stream", name="stdout", text="before " + "x" * 6000),
        new_output("display_data", data={"text/plain": "62674"}),
        new_output("execute_result", data={"text/plain": "62674"}, execution_count=1),
        new_output("stream", name="stderr", text="\x1b[31mwarn secret_value = 31337\x1b[0m" + "y" * 3000),
        new_output("error", ename="CheckFailed", evalue="\x1b[1mf(x) is wrong\x1b[0m", traceback=tb),
    ])
    out = _run(solution, cell)
    test = out.cells[1]
    assert "secret_value" not in test.source and "BEGIN" not in test.source
    assert test.source.split("\n")[2] == "    # (hidden tests: they run when your work is graded, on inputs you have not seen)"
    assert [o.output_type for o in test.outputs] == ["stream", "stream", "error"]
    stdout, stderr, error = test.outputs
    assert stdout.name == "stdout" and stdout.text == ("before " + "x" * 6000)[:5000]
    assert stderr.name == "stderr" and stderr.text == ("warn <hidden test>" + "y" * 3000)[:2000]
    called = "one that runs on inputs you have not seen, calling your f(), g()"
    assert error.ename == "CheckFailed"
    assert error.evalue == f"A hidden check failed ({called}): f(x) is wrong"
    assert error.traceback == [f"test_f failed a hidden check ({called}): f(x) is wrong\n(the error was raised in your code: line 2 of f())"]


def test_a_failed_visible_check_and_message_templates() -> None:
    def explain(ename, evalue):
        error = new_output("error", ename=ename, evalue=evalue, traceback=["File <course-test t>:2"])
        cell = _test_cell([error], grade_id="test_v")
        return _run(cell).cells[0].outputs[0]

    out = explain("CheckFailed", "f(1) is 3, expected 2")
    assert out.evalue == "f(1) is 3, expected 2" and out.traceback == ["test_v failed: f(1) is 3, expected 2"]
    assert explain("ValueError", "bad").traceback == ["test_v failed: ValueError: bad"]
    assert explain("ValueError", "").traceback == ["test_v failed: ValueError (a check failed without a message)"]
    assert explain("NotImplementedError", "").evalue == "Your function still raises NotImplementedError: replace the stub with your code."
    assert explain("KeyboardInterrupt", "").evalue == "This test was interrupted (it ran past its time limit)."
    for name in ("KernelDied", "NotRun", "GraderError", "GuardViolation"):
        assert explain(name, "why").evalue == "why"
    nameless = new_output("error", ename="x", evalue="boom", traceback=[])
    del nameless["ename"]
    cell = _test_cell([nameless], grade_id="test_v")
    assert _run(cell).cells[0].outputs[0].traceback == ["test_v failed: Error: boom"]
    cell = code_cell("check()", grade=True, grade_id=None)
    cell.metadata["nbgrader"] = {"grade": True}
    cell.outputs = [new_output("error", ename="E", evalue="v", traceback=[])]
    assert _run(cell).cells[0].outputs[0].traceback == ["this test failed: E: v"]


def test_a_timeout_hides_its_interrupt() -> None:
    timeout = new_output("error", ename="CellTimeoutError", evalue="60 s", traceback=["File <course-test t>:2"])
    interrupt = new_output("error", ename="KeyboardInterrupt", evalue="", traceback=[])
    out = _run(_test_cell([interrupt, timeout])).cells[0].outputs
    assert [o.ename for o in out] == ["CellTimeoutError"]
    assert out[0].evalue == redact.FRIENDLY["CellTimeoutError"]
    assert out[0].evalue.startswith("This test took longer than the time limit and was stopped")
    out = _run(_test_cell([interrupt])).cells[0].outputs
    assert [o.ename for o in out] == ["KeyboardInterrupt"]


def test_hidden_failure_without_learner_names_and_out_of_range_lines() -> None:
    cell = _test_cell([new_output("error", ename="CheckFailed", evalue="bad", traceback=["<course-test t>:4"])])
    out = _run(cell).cells[0].outputs[0]
    assert out.traceback == ["test_f failed a hidden check (one that runs on inputs you have not seen): bad"]
    # a solution that defines names the failing hidden line does not use
    sol = code_cell("def other(): pass", "s", solution=True)
    cell = _test_cell([new_output("error", ename="CheckFailed", evalue="bad", traceback=["<course-test t>:5"])])
    assert _run(sol, cell).cells[1].outputs[0].traceback == [
        "test_f failed a hidden check (one that runs on inputs you have not seen): bad"
    ]
    # names of a cell that is not a solution do not count
    given = code_cell("def f(x): pass", "given", locked=True)
    cell = _test_cell([new_output("error", ename="CheckFailed", evalue="bad", traceback=["<course-test t>:5"])])
    assert "calling" not in str(_run(given, cell).cells[1].outputs[0].traceback)


def test_other_cells() -> None:
    notice = new_markdown_cell("graded with notes")
    notice["id"] = redact.NOTICE_ID
    md = new_markdown_cell("### BEGIN HIDDEN TESTS\nsecret_value = 31337")
    sol = code_cell("print('secret_value = 31337')", "sol", solution=True,
                    outputs=[new_output("stream", name="stdout", text="secret_value = 31337\n")])
    plain = code_cell("x = 1", outputs=[new_output("stream", name="stdout", text="check_close(g(f(secret_value)), 62674)")])
    graded_solution = code_cell("y = 2", "gs", grade=True, solution=True, points=1,
                                outputs=[new_output("stream", name="stdout", text="x secret_value = 31337")])
    out = _run(notice, md, sol, plain, graded_solution, _test_cell([]))
    assert [c.get("id") for c in out.cells][:1] != [redact.NOTICE_ID] and len(out.cells) == 5
    assert out.cells[0].source == md.source
    assert out.cells[1].outputs[0].text == "<hidden test>\n"
    assert out.cells[2].outputs[0].text == "<hidden test>"
    assert out.cells[3].outputs[0].text == "x <hidden test>" and out.cells[3].source == "y = 2"


def test_longer_hidden_lines_are_scrubbed_first() -> None:
    src = "### BEGIN HIDDEN TESTS\nvalue = 123456789\nassert f(1) == 2 and value = 123456789 > 0\n### END HIDDEN TESTS"
    plain = code_cell("x", outputs=[new_output("stream", name="stdout", text="assert f(1) == 2 and value = 123456789 > 0")])
    out = _run(plain, _test_cell([], source=src))
    assert out.cells[0].outputs[0].text == "<hidden test>"


def test_configurable_markers() -> None:
    cell = _test_cell([], source="a\n# HIDE\nsecret_value_here\n# SHOW\nb")
    nb = new_notebook(cells=[cell])
    out, _ = HideHiddenTests(begin="HIDE", end="SHOW").preprocess(nb, {})
    assert "secret" not in out.cells[0].source and out.cells[0].source.startswith("a\n# (hidden tests")


def test_ansi_codes_are_removed_before_parsing() -> None:
    assert redact._test_line(["File <course-test t>\x1b[0m, line \x1b[1m5"]) == 5
    assert redact._learner_frame(["Cell In[3], line \x1b[1m4\x1b[0m, in \x1b[32mf"]) == "line 4 of f()"
    assert redact._learner_frame(["Cell In[3], line \x1b[1m4"]) == "line 4"
    assert redact._words("Model(X) + y") == {"Model", "X", "y"}


def test_every_hidden_block_of_every_test_is_scrubbed_but_not_markdown() -> None:
    first = "### BEGIN HIDDEN TESTS\nfirst_hidden_line = 1\n### END HIDDEN TESTS"
    second = "### BEGIN HIDDEN TESTS\nsecond_hidden_line = 2\n### END HIDDEN TESTS"
    md = new_markdown_cell("### BEGIN HIDDEN TESTS\nmarkdown_words_here\n### END HIDDEN TESTS")
    printed = "first_hidden_line = 1 second_hidden_line = 2 markdown_words_here"
    plain = code_cell("x", outputs=[new_output("stream", name="stdout", text=printed)])
    out = _run(md, plain, _test_cell([], source=first, grade_id="t1"), _test_cell([], source=second, grade_id="t2"))
    assert out.cells[1].outputs[0].text == "<hidden test> <hidden test> markdown_words_here"


def test_names_of_every_solution_cell_count() -> None:
    one = code_cell("def f(x):\n    return x", "one", solution=True)
    two = code_cell("def g(x):\n    return x", "two", solution=True)
    tb = ["File <course-test t>:5"]
    cell = _test_cell([new_output("error", ename="CheckFailed", evalue="bad", traceback=tb)])
    assert "calling your f(), g()" in _run(one, two, cell).cells[2].outputs[0].traceback[0]


def test_a_hidden_block_left_open_hides_the_last_line_too() -> None:
    sol = code_cell("def f(x):\n    return x", "f", solution=True)
    src = "check(1)\n### BEGIN HIDDEN TESTS\nsecret = 5\nf(secret)"
    cell = _test_cell([new_output("error", ename="CheckFailed", evalue="bad", traceback=["<course-test t>:4"])], source=src)
    out = _run(sol, cell).cells[1]
    assert out.outputs[0].traceback == ["test_f failed a hidden check (one that runs on inputs you have not seen, calling your f()): bad"]
    assert "secret" not in out.source


def test_cells_that_are_not_tests_keep_their_errors() -> None:
    error = new_output("error", ename="ValueError", evalue="boom", traceback=["Cell In[2], line 1", "ValueError: boom"])
    given = code_cell("g = 3", "given", locked=True, outputs=[error])
    graded_solution = code_cell("y = 2", "gs", grade=True, solution=True, points=1,
                                outputs=[new_output("error", ename="ValueError", evalue="boom", traceback=["x"])])
    out = _run(given, graded_solution)
    assert out.cells[0].outputs == [error]
    assert out.cells[1].outputs[0].traceback == ["x"] and out.cells[1].outputs[0].evalue == "boom"


def test_outputs_with_missing_fields() -> None:
    no_outputs = code_cell("x", "s", solution=True)
    del no_outputs["outputs"]
    test_without_outputs = _test_cell([])
    del test_without_outputs["outputs"]
    bare_error = from_dict({"output_type": "error", "ename": "ValueError"})
    streams = [from_dict({"output_type": "stream", "name": "stderr"}), from_dict({"output_type": "stream", "name": "stdout"})]
    out = _run(no_outputs, test_without_outputs, _test_cell([bare_error, *streams], grade_id="t2"))
    assert "outputs" not in out.cells[0] and out.cells[1].outputs == []
    error, err, std = out.cells[2].outputs
    assert error.evalue == "ValueError (a check failed without a message)" and error.traceback == ["t2 failed: ValueError (a check failed without a message)"]
    assert (err.name, err.text, std.name, std.text) == ("stderr", "", "stdout", "")


def test_a_hidden_message_with_parentheses() -> None:
    tb = ["<course-test t>:5"]
    cell = _test_cell([new_output("error", ename="ValueError", evalue="f(x): a): b): c", traceback=tb)])
    out = _run(cell).cells[0].outputs[0]
    assert out.traceback == ["test_f failed a hidden check (one that runs on inputs you have not seen): ValueError: f(x): a): b): c"]


def test_feedback_speaks_the_language_the_assignment_was_released_in() -> None:
    sol = code_cell("def f(x):\n    return x", "f", solution=True)
    tb = ["<course-test t>:5", "Cell In[3], line 2, in f"]
    hidden = _test_cell([new_output("error", ename="CheckFailed", evalue="f(1) 应为 2", traceback=tb)])
    stub = _test_cell([new_output("error", ename="NotImplementedError", evalue="", traceback=["<course-test t>:2"])], grade_id="test_v")
    bare = _test_cell([new_output("error", ename="ValueError", evalue="", traceback=["<course-test t>:2"])], grade_id="test_w")
    chinese = new_notebook(cells=[sol, hidden, stub, bare])
    chinese.metadata["course"] = {"lang": "zh_CN"}
    english = new_notebook(cells=[_test_cell([new_output("error", ename="ValueError", evalue="", traceback=[])], grade_id="t")])
    pre = HideHiddenTests()  # nbgrader reuses one preprocessor for every notebook it converts
    out, _ = pre.preprocess(chinese, {})
    test, visible, nameless = (c for c in out.cells[1:])
    assert test.source.split("\n")[2] == "    # （隐藏测试：评分时运行，使用你没有见过的输入）"
    called = "（它使用你没有见过的输入，调用了你的 f()）"
    assert test.outputs[0].evalue == f"一项隐藏检查未通过{called}：f(1) 应为 2"
    assert test.outputs[0].traceback == [f"test_f 的一项隐藏检查未通过{called}：f(1) 应为 2\n（错误出现在你的代码中：line 2 of f()）"]
    stub_message = "你的函数仍然抛出 NotImplementedError：请用你的代码替换占位代码。"
    assert (visible.outputs[0].evalue, visible.outputs[0].traceback) == (stub_message, [f"test_v 未通过：{stub_message}"])
    assert nameless.outputs[0].traceback == ["test_w 未通过：ValueError（某项检查未通过，但没有给出信息）"]
    out, _ = pre.preprocess(english, {})
    assert out.cells[0].outputs[0].traceback == ["t failed: ValueError (a check failed without a message)"]


def test_a_failure_in_another_cells_code_is_explained() -> None:
    """The innermost test frame can be a helper of a longer test cell, beyond this cell's last line:
    the failure is explained as a visible one, and the feedback is still written."""
    sol = code_cell("def f(x):\n    return x", "f", solution=True)
    cell = _test_cell([new_output("error", ename="CheckFailed", evalue="bad", traceback=["<course-test helpers>:99"])])
    assert _run(sol, cell).cells[1].outputs[0].traceback == ["test_f failed: bad"]
