"""The checks' contract, pinned down message by message: the oracle of `make mutation`.

Every test builds the checks afresh (``course.checks._build()``) instead of using the ones
built at import, so a defect planted in the checks (mutmut) is what runs here. Each assertion
says what a learner would get wrong if it failed: a looser tolerance, a lost hint, a message
that no longer says what came back.
"""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

from course import checks
from course.checks import CheckFailed


@pytest.fixture
def C() -> types.SimpleNamespace:
    return types.SimpleNamespace(**checks._build())


def fails(fn, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as err:
        fn(*args, **kwargs)
    return str(err.value)


# --- check_tensor ------------------------------------------------------------------------


def test_tensor_accepts_tensors_and_parameters(C) -> None:
    C.check_tensor(torch.zeros(2))
    C.check_tensor(torch.nn.Parameter(torch.zeros(2)))


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ([1.0], "Wrap it with torch.tensor(...) or torch.stack(...)."),
        ((1.0,), "Wrap it with torch.tensor(...) or torch.stack(...)."),
        (3.0, "A tensor is expected here, not a Python number."),
        (np.zeros(2), "Convert a NumPy array with torch.from_numpy(...)."),
        ("x", ""),
    ],
)
def test_tensor_refuses_look_alikes_with_a_hint(C, value, hint) -> None:
    msg = fails(C.check_tensor, value, name="out")
    assert msg == f"out should be a torch.Tensor, but it is a {type(value).__name__}.{(' ' + hint) if hint else ''}"


def test_tensor_refuses_subclasses(C) -> None:
    class Sub(torch.Tensor):
        pass

    msg = fails(C.check_tensor, torch.zeros(1).as_subclass(Sub))
    assert msg == "result should be a torch.Tensor, but it is a Sub. Return a plain torch.Tensor, not a subclass."


# --- check_shape ---------------------------------------------------------------------------


def test_shape_passes_on_the_exact_shape(C) -> None:
    C.check_shape(torch.zeros(2, 3), (2, 3))
    C.check_shape(torch.zeros(2, 3), [2, 3])
    C.check_shape(torch.tensor(1.0), ())


def test_shape_messages(C) -> None:
    assert fails(C.check_shape, torch.zeros(6), (2, 3), name="y") == (
        "y should have shape (2, 3), but it has shape (6,). It has 1 dimension(s) instead of 2 but the right number "
        "of elements: check view/reshape, keepdim, squeeze or unsqueeze."
    )
    assert fails(C.check_shape, torch.zeros(5), (2, 3)) == (
        "result should have shape (2, 3), but it has shape (5,). It has 1 dimension(s) instead of 2: "
        "check keepdim, squeeze/unsqueeze and which dims you reduced."
    )
    assert fails(C.check_shape, torch.zeros(3, 2), (2, 3)) == (
        "result should have shape (2, 3), but it has shape (3, 2). The sizes are right but in another order: "
        "check permute/transpose or the dim you used."
    )
    assert fails(C.check_shape, torch.zeros(1, 6), (2, 3)) == (
        "result should have shape (2, 3), but it has shape (1, 6). It has the right number of elements: check view/reshape."
    )
    assert fails(C.check_shape, torch.zeros(2, 4), (2, 3)) == "result should have shape (2, 3), but it has shape (2, 4)."
    assert "shape (4,)" in fails(C.check_shape, torch.zeros(3), (4,))
    assert fails(C.check_shape, [1], (1,)).startswith("result should be a torch.Tensor")


# --- check_dtype and devices ------------------------------------------------------------------


def test_dtype(C) -> None:
    C.check_dtype(torch.zeros(1, dtype=torch.float64), torch.float64)
    assert fails(C.check_dtype, torch.zeros(1, dtype=torch.int64), torch.float32, name="x") == (
        "x should have dtype torch.float32, but it has dtype torch.int64. Integer tensors come from integer inputs: "
        "use .float() or pass dtype=... ."
    )
    assert fails(C.check_dtype, torch.zeros(1), torch.float64) == (
        "result should have dtype torch.float64, but it has dtype torch.float32."
    )
    assert fails(C.check_dtype, torch.zeros(1), torch.int64) == "result should have dtype torch.int64, but it has dtype torch.float32."
    assert fails(C.check_dtype, 1.0, torch.float32).startswith("result should be a torch.Tensor")


def test_same_device(C) -> None:
    assert C.same_device("cpu", "cpu") is True
    assert C.same_device(torch.device("cpu"), "cpu") is True
    assert C.same_device("cpu", "meta") is False
    assert C.same_device("meta", "cpu") is False


def test_same_device_indexes(C, monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    C2 = types.SimpleNamespace(**checks._build())
    assert C2.same_device("cuda", "cuda:1") is True
    assert C2.same_device("cuda:0", "cuda:1") is False
    assert C2.same_device("cuda", "cuda:0") is False
    assert C2.same_device("mps", "mps:0") is True


def test_device(C) -> None:
    C.check_device(torch.zeros(1), "cpu")
    C.check_device(torch.zeros(1), torch.device("cpu"))
    assert fails(C.check_device, torch.zeros(1), "meta", name="z") == (
        "z should be on device meta, but it is on cpu. Create new tensors on the input's device (device=x.device) "
        "or move them with .to(x.device)."
    )
    assert fails(C.check_device, 0, "cpu").startswith("result should be a torch.Tensor")


# --- check_close: tolerances, dtype, device, and the report --------------------------------


def test_close_default_tolerances(C) -> None:
    C.check_close(torch.tensor([1.0]), torch.tensor([1.0]))
    C.check_close(torch.tensor([1.0 + 5e-6]), torch.tensor([1.0]))  # within rtol 1e-5
    C.check_close(torch.tensor([0.0]), torch.tensor([5e-7]))  # within atol 1e-6
    assert "differ" in fails(C.check_close, torch.tensor([1.0001]), torch.tensor([1.0]))  # 1e-4 relative
    assert "differ" in fails(C.check_close, torch.tensor([0.0]), torch.tensor([3e-6]))  # beyond atol
    big = torch.tensor([1000.0], dtype=torch.float64)
    C.check_close(big + 0.009, big)  # rtol scales with the expected value
    assert "differ" in fails(C.check_close, big + 0.02, big)


def test_close_given_tolerances(C) -> None:
    C.check_close(torch.tensor([1.05]), torch.tensor([1.0]), rtol=0.1)
    C.check_close(torch.tensor([0.5]), torch.tensor([0.0]), atol=0.6)
    fails(C.check_close, torch.tensor([1.2]), torch.tensor([1.0]), rtol=0.1)
    fails(C.check_close, torch.tensor([0.7]), torch.tensor([0.0]), atol=0.6)


def test_close_nan_equals_nan(C) -> None:
    C.check_close(torch.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]))
    fails(C.check_close, torch.tensor([float("nan")]), torch.tensor([1.0]))


def test_close_dtype_is_checked_exactly(C) -> None:
    assert fails(C.check_close, torch.tensor([1.0]), torch.tensor([1.0], dtype=torch.float64)) == (
        "result should have dtype torch.float64, but it has dtype torch.float32."
    )
    assert "dtype" in fails(C.check_close, torch.tensor([1.0], dtype=torch.float64), torch.tensor([1.0]))
    assert "dtype" in fails(C.check_close, torch.tensor([1], dtype=torch.int32), torch.tensor([1]))
    C.check_close(torch.tensor([1.0], dtype=torch.float64), torch.tensor([1.0]), check_dtype=False)


def test_close_device_is_checked(C) -> None:
    got = torch.zeros(1, device="meta")
    assert "should be on device cpu" in fails(C.check_close, got, torch.zeros(1))


def test_close_report(C) -> None:
    a = torch.zeros(2, 3)
    b = a.clone()
    b[1, 2] = 0.5
    b[1, 0] = 0.25
    assert fails(C.check_close, a, b, name="w") == (
        "w has the right shape but wrong values: 2 of 6 element(s) differ. First difference at index [1, 0]: got 0, expected 0.25."
    )
    assert fails(C.check_close, torch.tensor(3.0), torch.tensor(2.0)) == (
        "result has the right shape but wrong values: 1 of 1 element(s) differ. First difference: got 3, expected 2."
    )


def test_close_prints_enough_digits_to_show_the_difference(C) -> None:
    msg = fails(C.check_close, torch.tensor([3.0000002], dtype=torch.float64), torch.tensor([3.0], dtype=torch.float64), rtol=0, atol=0)
    assert msg.endswith("got 3.0000002, expected 3.")
    msg = fails(C.check_close, torch.tensor([1 / 3], dtype=torch.float64), torch.tensor([0.3333], dtype=torch.float64))
    assert msg.endswith("got 0.333333, expected 0.3333.")


def test_close_checks_shape_and_type_first(C) -> None:
    assert fails(C.check_close, torch.zeros(2), torch.zeros(3)).startswith("result should have shape (3,)")
    assert fails(C.check_close, [0.0], torch.zeros(1)).startswith("result should be a torch.Tensor")
    with pytest.raises(TypeError, match="'expected' must be a torch.Tensor"):
        C.check_close(torch.zeros(1), [0.0])
    C.check_close(torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1)))


def test_close_works_on_tensors_that_require_grad(C) -> None:
    x = torch.ones(2, requires_grad=True)
    C.check_close(x * 2, torch.full((2,), 2.0))


def test_equal_is_exact(C) -> None:
    C.check_equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
    assert "1 of 2" in fails(C.check_equal, torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]))
    assert "dtype" in fails(C.check_equal, torch.tensor([1, 2], dtype=torch.int32), torch.tensor([1, 2]))
    C.check_equal(torch.tensor([1, 2], dtype=torch.int32), torch.tensor([1, 2]), check_dtype=False)
    assert fails(C.check_equal, torch.tensor([3]), torch.tensor([4]), name="n").endswith("got 3, expected 4.")


# --- numbers, truths, exceptions, modules, generators ------------------------------------


def test_number(C) -> None:
    C.check_number(3, 3, integer=True)
    C.check_number(3.0, 3)
    C.check_number(0.1 + 0.2, 0.3)
    C.check_number(float("nan"), float("nan"))
    C.check_number(1.0 + 5e-7, 1.0)
    assert fails(C.check_number, 1.0 + 5e-6, 1.0) == f"result should be 1.0, but it is {1.0 + 5e-6!r}."
    assert fails(C.check_number, 1e-8, 0.0) == "result should be 0.0, but it is 1e-08."
    C.check_number(5e-10, 0.0)
    C.check_number(1.05, 1.0, rtol=0.1)
    C.check_number(0.5, 0.0, atol=0.6)
    assert fails(C.check_number, 1.0, float("nan")) == "result should be nan, but it is 1.0."
    assert fails(C.check_number, torch.tensor(3.0), 3.0, name="loss") == (
        "loss should be a Python number, but it is a Tensor. Use .item() to turn a one-element tensor into a Python number."
    )
    assert fails(C.check_number, "3", 3, integer=True) == "result should be a Python int, but it is a str."
    assert fails(C.check_number, np.float64(3.0), 3.0) == "result should be a Python number, but it is a float64."
    assert fails(C.check_number, True, 1) == "result should be a Python number, but it is a bool."
    assert fails(C.check_number, 3.0, 3, integer=True) == "result should be an int, but it is a float (3.0)."
    assert fails(C.check_number, 5, 4) == "result should be 4, but it is 5."


def test_true(C) -> None:
    C.check_true(True, "never shown")
    for value in (False, 1, torch.tensor(True), np.bool_(True), "yes", None):
        assert fails(C.check_true, value, "explained") == "explained"


def test_raises(C) -> None:
    def boom() -> None:
        raise ValueError("Shape mismatch in layer fc")

    err = C.check_raises(ValueError, boom, match="shape")
    assert isinstance(err, ValueError)
    C.check_raises((KeyError, ValueError), boom)
    assert C.check_raises(ValueError, lambda a, b=0: int("x" + a + str(b)), "1", b=2).args
    assert fails(C.check_raises, ValueError, boom, match="dtype") == (
        "boom raised ValueError as it should, but its message 'Shape mismatch in layer fc' does not mention 'dtype'."
    )
    assert fails(C.check_raises, ValueError, lambda: None, name="f(x)") == "f(x) should raise ValueError, but it returned without an error."
    assert fails(C.check_raises, (KeyError, ValueError), lambda: None, name="g") == (
        "g should raise KeyError or ValueError, but it returned without an error."
    )
    assert fails(C.check_raises, ValueError, lambda: {}["k"], name="h") == "h should raise ValueError, but it raised KeyError: 'k'"


def test_module_params(C) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    C.check_module_params(model, 26)
    model[0].weight.requires_grad_(False)
    C.check_module_params(model, 14)
    C.check_module_params(model, 26, trainable_only=False)
    assert fails(C.check_module_params, model, 26, name="net") == "net should have 26 trainable parameters, but it has 14."
    assert fails(C.check_module_params, model, 14, trainable_only=False) == "the model should have 14 parameters, but it has 26."
    assert fails(C.check_module_params, object(), 1) == "the model should be a torch.nn.Module, but it is a object."
    assert fails(C.check_module_params, torch.nn.Linear(1000, 1000), 1) == "the model should have 1 trainable parameters, but it has 1,001,000."

    class Faker(torch.nn.Linear):
        def parameters(self, recurse: bool = True):
            return iter([])

    C.check_module_params(Faker(2, 2), 6)


def test_fresh_generator(C) -> None:
    a = torch.rand(3, generator=C.fresh_generator(7))
    b = torch.rand(3, generator=C.fresh_generator(7))
    assert torch.equal(a, b)
    assert not torch.equal(a, torch.rand(3, generator=C.fresh_generator(8)))
    assert torch.equal(a, torch.rand(3, generator=torch.Generator().manual_seed(7)))
    assert C.fresh_generator(1, torch.device("cpu")).device.type == "cpu"


# --- how a failure shows in a notebook ------------------------------------------------------


class FakeCompile:
    def format_code_name(self, filename):
        return ("Cell", "In[7]") if filename == "<cell>" else None


class FakeShell:
    def __init__(self) -> None:
        self.compile = FakeCompile()
        self.shown = None
        self.custom_exceptions = ()
        self.handler = None
        self.events = types.SimpleNamespace(registered=[], register=lambda ev, fn: self.events.registered.append((ev, fn)))

    def _showtraceback(self, etype, value, stb) -> None:
        self.shown = (etype, value, stb)

    def set_custom_exc(self, exc_tuple, handler) -> None:
        self.custom_exceptions = exc_tuple
        self.handler = handler


def _raise_in_cell(source: str):
    import linecache

    linecache.cache["<cell>"] = (len(source), None, source.splitlines(True), "<cell>")  # as IPython does
    try:
        exec(compile(source, "<cell>", "exec"), {"CheckFailed": CheckFailed})
    except BaseException as err:  # noqa: BLE001
        return type(err), err, err.__traceback__
    raise AssertionError("no error")


def test_short_traceback_for_a_failed_check() -> None:
    shell = FakeShell()
    etype, value, tb = _raise_in_cell("x = 1\nraise CheckFailed('y should be 2')\n")
    lines = checks._short_traceback(shell, etype, value, tb)
    assert lines == ["\u2717 Check failed: y should be 2", "  Cell In[7], line 2: raise CheckFailed('y should be 2')"]
    assert shell.shown == (etype, value, lines)


def test_short_traceback_for_a_stub() -> None:
    shell = FakeShell()
    etype, value, tb = _raise_in_cell("def make_grid(n):\n    raise NotImplementedError()\n\nmake_grid(3)\n")
    lines = checks._short_traceback(shell, etype, value, tb)
    assert lines[0] == (
        "\u2717 Not done yet: make_grid() is still the stub (it raises NotImplementedError). "
        "Replace `raise NotImplementedError()` with your code."
    )
    assert lines[1] == "  Cell In[7], line 2, in make_grid: raise NotImplementedError()"


def test_short_traceback_outside_a_cell() -> None:
    shell = FakeShell()
    try:
        raise NotImplementedError()
    except NotImplementedError as err:
        lines = checks._short_traceback(shell, NotImplementedError, err, err.__traceback__)
    assert lines == [
        "\u2717 Not done yet: This exercise is still the stub (it raises NotImplementedError). "
        "Replace `raise NotImplementedError()` with your code."
    ]


def test_install_short_tracebacks(monkeypatch) -> None:
    import IPython

    shell = FakeShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    checks._install_short_tracebacks()
    assert shell.custom_exceptions == (CheckFailed, NotImplementedError)
    assert shell.handler is checks._short_traceback
    assert shell.events.registered == [("post_run_cell", checks._say_passed)]
    checks._install_short_tracebacks()  # twice: one handler, one callback
    assert len(shell.events.registered) == 1
    other = FakeShell()
    other.custom_exceptions = (KeyError,)  # someone else's handler is left alone
    monkeypatch.setattr(IPython, "get_ipython", lambda: other)
    checks._install_short_tracebacks()
    assert other.custom_exceptions == (KeyError,)
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    checks._install_short_tracebacks()  # outside a kernel: nothing to do, no error


def test_say_passed(capsys) -> None:
    def result(success: bool, cell: str):
        return types.SimpleNamespace(success=success, info=types.SimpleNamespace(raw_cell=cell))

    checks._say_passed(result(True, "from course.checks import check_shape\ncheck_shape(x, (1,))"))
    assert capsys.readouterr().out == (
        "\u2713 These checks pass. Hidden checks run when your work is graded, on other inputs and every device.\n"
    )
    checks._say_passed(result(False, "from course.checks import check_shape\ncheck_shape(x, (1,))"))
    checks._say_passed(result(True, "print(1)"))
    checks._say_passed(result(True, "from course.checks import CheckFailed"))
    checks._say_passed(types.SimpleNamespace(success=True, info=None))
    assert capsys.readouterr().out == ""


# --- more of the contract, pinned where a planted defect slipped through --------------------


def test_names_reach_every_message(C) -> None:
    assert fails(C.check_shape, [1], (1,), name="q").startswith("q should be a torch.Tensor")
    assert fails(C.check_dtype, [1], torch.float32, name="q").startswith("q should be a torch.Tensor")
    assert fails(C.check_device, [1], "cpu", name="q").startswith("q should be a torch.Tensor")
    assert fails(C.check_close, torch.zeros(2), torch.zeros(3), name="q").startswith("q should have shape (3,)")
    assert fails(C.check_close, torch.zeros(1), torch.zeros(1, dtype=torch.float64), name="q").startswith("q should have dtype")
    assert fails(C.check_close, torch.zeros(1, device="meta"), torch.zeros(1), name="q").startswith("q should be on device cpu")
    assert fails(C.check_equal, torch.tensor([3]), torch.tensor([4]), name="n").startswith("n has the right shape")
    assert fails(C.check_equal, torch.tensor([3]), torch.tensor([4])).startswith("result has the right shape")
    with pytest.raises(TypeError) as err:
        C.check_close(torch.zeros(1), [0.0])
    assert str(err.value) == "check_close: 'expected' must be a torch.Tensor computed by the test"


def test_same_device_resolves_missing_indexes_on_both_sides(C, monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 1)
    C2 = types.SimpleNamespace(**checks._build())
    assert C2.same_device("cuda:1", "cuda") is True
    assert C2.same_device("cuda:0", "cuda") is False
    assert C2.same_device("mps:0", "mps") is True
    assert C2.same_device("mps:1", "mps") is False


def test_numbers_at_the_tolerance_boundary(C) -> None:
    C.check_number(1.5, 1.0, rtol=0.0, atol=0.5)  # exactly at the tolerance: passes
    C.check_number(3.0, 2.0, rtol=0.5, atol=0.0)
    fails(C.check_number, 1.5000001, 1.0, rtol=0.0, atol=0.5)


def test_raises_passes_keyword_arguments_and_names_unnamed_callables(C) -> None:
    import functools

    def picky(*, boom: bool = False) -> None:
        if boom:
            raise ValueError("boom")

    C.check_raises(ValueError, picky, boom=True)
    msg = fails(C.check_raises, KeyError, functools.partial(int, "x"))
    assert msg == "the function should raise KeyError, but it raised ValueError: invalid literal for int() with base 10: 'x'"


def test_fail_is_built_with_the_checks(C) -> None:
    with pytest.raises(CheckFailed, match="^plain words$"):
        C._fail("plain words")


def test_short_traceback_in_code_run_from_a_string() -> None:
    shell = FakeShell()
    try:
        exec(compile("x = 1\nraise CheckFailed('hidden values differ')\n", "<course-test test_x>", "exec"), {"CheckFailed": CheckFailed})
    except CheckFailed as caught:
        err = caught
    lines = checks._short_traceback(shell, CheckFailed, err, err.__traceback__)
    assert lines == ["\u2717 Check failed: hidden values differ", "  File <course-test test_x>:2"]


def test_short_traceback_leaves_out_the_import_machinery(tmp_path, monkeypatch) -> None:
    import importlib
    import sys

    (tmp_path / "raises_on_import.py").write_text("from course.checks import CheckFailed\nraise CheckFailed('at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        importlib.import_module("raises_on_import")
    except CheckFailed as caught:
        err = caught
    finally:
        sys.modules.pop("raises_on_import", None)
    lines = checks._short_traceback(FakeShell(), CheckFailed, err, err.__traceback__)
    assert lines == ["\u2717 Check failed: at import"]  # no "<frozen importlib._bootstrap>" frames


def test_short_traceback_without_source_or_compile() -> None:
    shell = FakeShell()
    try:
        exec(compile("raise CheckFailed('no source')\n", "<cell>", "exec"), {"CheckFailed": CheckFailed})
    except CheckFailed as caught:
        import linecache

        err = caught
        linecache.cache.pop("<cell>", None)
        lines = checks._short_traceback(shell, CheckFailed, err, err.__traceback__)
    assert lines == ["\u2717 Check failed: no source", "  Cell In[7], line 1"]
    bare = FakeShell()
    del bare.compile  # a shell that cannot name cells
    lines = checks._short_traceback(bare, CheckFailed, err, err.__traceback__)
    assert lines == ["\u2717 Check failed: no source", "  File <cell>:1"]


def test_short_traceback_names_the_innermost_stub() -> None:
    shell = FakeShell()
    etype, value, tb = _raise_in_cell("def f():\n    raise NotImplementedError()\n\ndef g():\n    return f()\n\ng()\n")
    lines = checks._short_traceback(shell, etype, value, tb)
    assert lines[0].startswith("\u2717 Not done yet: f() is still the stub")
    assert lines[1] == "  Cell In[7], line 2, in f: raise NotImplementedError()"


def test_install_needs_a_shell_that_can_show_tracebacks(monkeypatch) -> None:
    import IPython

    registered = []
    half = types.SimpleNamespace(  # shows tracebacks, but has no custom exception handling
        _showtraceback=lambda *a: None, events=types.SimpleNamespace(register=lambda *a: registered.append(a))
    )
    monkeypatch.setattr(IPython, "get_ipython", lambda: half)
    checks._install_short_tracebacks()
    assert registered == []
    plain = types.SimpleNamespace(events=types.SimpleNamespace(register=lambda *a: pytest.fail("registered")))
    monkeypatch.setattr(IPython, "get_ipython", lambda: plain)
    checks._install_short_tracebacks()  # no _showtraceback: left alone
    fresh = FakeShell()
    del fresh.custom_exceptions  # a shell without the attribute: treated as none set
    monkeypatch.setattr(IPython, "get_ipython", lambda: fresh)
    checks._install_short_tracebacks()
    assert fresh.custom_exceptions == (CheckFailed, NotImplementedError)
    assert fresh._course_passed_note is True


def test_say_passed_reads_only_test_cells(capsys) -> None:
    ok = types.SimpleNamespace(success=True, info=types.SimpleNamespace(raw_cell=None))
    checks._say_passed(ok)
    checks._say_passed(types.SimpleNamespace(info=types.SimpleNamespace(raw_cell="from course.checks import check_true\ncheck_true(True, '')")))
    checks._say_passed(types.SimpleNamespace(success=True))
    assert capsys.readouterr().out == ""
    checks._say_passed(types.SimpleNamespace(success=True, info=types.SimpleNamespace(
        raw_cell="import torch\nfrom course.checks import check_true\nimport numpy\nassert True")))
    assert capsys.readouterr().out.startswith("\u2713 These checks pass.")
