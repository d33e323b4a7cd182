"""Checks used by the tests inside the assignments (and by the course's own tests).

Every check raises ``CheckFailed`` (an ``AssertionError``) with a message written for a
learner: what was checked, what was expected, what came back, and where to look.

The checks never trust the object the learner returned: they test its exact type before
comparing, and they compare values with functions captured when this module was
imported, so replacing ``torch.allclose`` or ``torch.equal`` later changes nothing here.

Hardening (what a learner's code cannot change from outside):

- every torch function, ``Tensor`` method and attribute a check uses (``isclose``, ``to``,
  ``detach``, ``all``, ``sum``, ``nonzero``, ``numel``, ``item``, ``dtype``, ``device``,
  ``requires_grad``...) and every builtin (``type``, ``isinstance``, ``len``, ``abs``...) is
  captured when this module is imported, before any notebook cell runs;
- the checks reach each other and their helpers through closures, not through this
  module's globals: rebinding ``course.checks._fail`` or ``course.checks.check_shape``
  changes nothing inside the other checks (and the grading guard puts module attributes
  back before every test anyway);
- ``check_module_params`` counts parameters with ``nn.Module.parameters`` itself, so a model
  class that overrides ``parameters()`` cannot fake its size.

Writing hidden tests that resist cheating (for chapter authors):

1. Compute the expected value *after* calling the learner's function, from inputs you
   kept a copy of: ``got = f(x.clone()); want = reference(x); check_close(got, want)``.
   The grader runs each test in a namespace of its own and refuses frame inspection from
   the learner's code, but a value that does not exist yet cannot be read at all.
2. Pass the learner's code copies (``x.clone()``, ``copy.deepcopy(model)``) and check
   afterwards that your originals are unchanged, so mutating an input cannot make the
   expected value match.
3. Do not hand the learner's code functions or classes defined in the test cell (a
   callback, a loss you wrote): their ``__globals__`` is the test's namespace. Use
   ``torch``/``nn`` objects, or define the helper in a locked cell.
4. Use fresh inputs (``fresh_generator(seed)``), every device (``devices()``), and compare
   with the checks here, never with ``==`` on an object the learner returned.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch

from course import i18n as _i18n


class CheckFailed(AssertionError):
    """A check did not pass; the message says why in plain words."""


def _build() -> dict[str, Any]:
    """Every check, with its tools held in closures (see the module docstring)."""
    # Captured at import time, before any learner code runs in the kernel.
    _CheckFailed = CheckFailed
    _Tensor = torch.Tensor
    _TensorBase = torch._C.TensorBase
    _Parameter = torch.nn.Parameter
    _Module = torch.nn.Module
    _module_parameters = torch.nn.Module.parameters
    _torch_isclose = torch.isclose
    _torch_float64 = torch.float64
    _torch_device = torch.device
    _cuda_current_device = torch.cuda.current_device
    _Generator = torch.Generator
    _gen_manual_seed = torch.Generator.manual_seed
    # Tensor methods and attributes, taken from the C base class: a learner who adds or
    # replaces torch.Tensor.sum (or .dtype) changes nothing here.
    _t_size = _TensorBase.size
    _t_to = _TensorBase.to
    _t_detach = _TensorBase.detach
    _t_all = _TensorBase.all
    _t_sum = _TensorBase.sum
    _t_nonzero = _TensorBase.nonzero
    _t_numel = _TensorBase.numel
    _t_item = _TensorBase.item
    _t_getitem = _TensorBase.__getitem__
    _t_invert = _TensorBase.__invert__
    _t_dtype = _TensorBase.dtype.__get__
    _t_device = _TensorBase.device.__get__
    _t_requires_grad = _TensorBase.requires_grad.__get__
    _type = type
    _isinstance = isinstance
    _float = float
    _int = int
    _str = str
    _len = len
    _tuple = tuple
    _list = list
    _sorted = sorted
    _abs = abs
    _range = range
    _repr = repr
    _getattr = getattr
    _Number = numbers.Number
    _prod = math.prod
    _isnan = math.isnan
    _Exception = Exception
    # Messages in the learner's language (course.i18n.use): a template and its fields.
    _msg = _i18n.format_message
    _tr = _i18n.gettext

    def _fail(message: str) -> None:
        raise _CheckFailed(message)

    def _shape(x: torch.Tensor) -> tuple[int, ...]:
        return _tuple(_int(d) for d in _t_size(x))

    def _fmt_shape(shape: Sequence[int]) -> str:
        return "(" + ", ".join(_str(_int(d)) for d in shape) + ("," if _len(shape) == 1 else "") + ")"

    def check_tensor(x: Any, name: str = "result") -> None:
        """``x`` must be a plain ``torch.Tensor`` (or a ``Parameter``), not a look-alike."""
        if _type(x) is not _Tensor and _type(x) is not _Parameter:
            kind = _type(x).__name__
            hint = ""
            if _isinstance(x, (_list, _tuple)):
                hint = _tr(" Wrap it with torch.tensor(...) or torch.stack(...).")
            elif _isinstance(x, _Number):
                hint = _tr(" A tensor is expected here, not a Python number.")
            elif _str(_getattr(_type(x), "__module__", "")).startswith("numpy"):
                hint = _tr(" Convert a NumPy array with torch.from_numpy(...).")
            elif _isinstance(x, _Tensor):
                hint = _tr(" Return a plain torch.Tensor, not a subclass.")
            _fail(_msg("{name} should be a torch.Tensor, but it is a {kind}.{hint}", name=name, kind=kind, hint=hint))

    def check_shape(x: Any, shape: Sequence[int], name: str = "result") -> None:
        """``x`` is a tensor of exactly this shape."""
        check_tensor(x, name)
        got = _shape(x)
        want = _tuple(_int(d) for d in shape)
        if got != want:
            hint = ""
            if _len(got) != _len(want):
                hint = _msg(" It has {got} dimension(s) instead of {want}", got=_len(got), want=_len(want))
                if _prod(got) == _prod(want):
                    hint += _tr(" but the right number of elements: check view/reshape, keepdim, squeeze or unsqueeze.")
                else:
                    hint += _tr(": check keepdim, squeeze/unsqueeze and which dims you reduced.")
            elif _sorted(got) == _sorted(want):
                hint = _tr(" The sizes are right but in another order: check permute/transpose or the dim you used.")
            elif _prod(got) == _prod(want):
                hint = _tr(" It has the right number of elements: check view/reshape.")
            _fail(_msg("{name} should have shape {want}, but it has shape {got}.{hint}", name=name, want=_fmt_shape(want), got=_fmt_shape(got), hint=hint))

    def check_dtype(x: Any, dtype: torch.dtype, name: str = "result") -> None:
        """``x`` is a tensor of exactly this dtype."""
        check_tensor(x, name)
        got = _t_dtype(x)
        if got != dtype:
            hint = ""
            if dtype.is_floating_point and not got.is_floating_point:
                hint = _tr(" Integer tensors come from integer inputs: use .float() or pass dtype=... .")
            _fail(_msg("{name} should have dtype {dtype}, but it has dtype {got}.{hint}", name=name, dtype=dtype, got=got, hint=hint))

    def same_device(a: torch.device | str, b: torch.device | str) -> bool:
        """True when two devices are the same (``cuda`` and ``cuda:0`` count as one)."""
        a, b = _torch_device(a), _torch_device(b)
        if a.type != b.type:
            return False
        if a.type == "cpu":
            return True
        ia = a.index if a.index is not None else _cuda_current_device() if a.type == "cuda" else 0
        ib = b.index if b.index is not None else _cuda_current_device() if b.type == "cuda" else 0
        return ia == ib

    def check_device(x: Any, device: torch.device | str, name: str = "result") -> None:
        """``x`` is a tensor that lives on ``device``."""
        check_tensor(x, name)
        got = _t_device(x)
        if not same_device(got, device):
            _fail(
                _msg(
                    "{name} should be on device {device}, but it is on {got}. "
                    "Create new tensors on the input's device (device=x.device) or move them with .to(x.device).",
                    name=name, device=_torch_device(device), got=got,
                )
            )

    def _fmt_pair(a: float, b: float) -> tuple[str, str]:
        """Two numbers with the fewest significant digits (at least 6) that tell them apart."""
        for digits in _range(6, 18):
            sa, sb = f"{a:.{digits}g}", f"{b:.{digits}g}"
            if sa != sb or a == b:
                return sa, sb
        return _repr(a), _repr(b)

    def _first_mismatch(bad: torch.Tensor) -> tuple[int, ...]:
        idx = _t_getitem(_t_nonzero(bad), 0)
        return _tuple(_int(_t_item(i)) for i in idx)

    def check_close(
        actual: Any,
        expected: torch.Tensor,
        *,
        rtol: float = 1e-5,
        atol: float = 1e-6,
        name: str = "result",
        check_dtype: bool = True,
        check_device: bool = True,
    ) -> None:
        """``actual`` equals ``expected`` within tolerances, with the same shape, dtype and device.

        ``expected`` must be a tensor the test computed itself; ``actual`` is whatever the
        learner returned and is checked for type before anything else.
        """
        if _type(expected) is not _Tensor and _type(expected) is not _Parameter:
            raise TypeError("check_close: 'expected' must be a torch.Tensor computed by the test")
        check_shape(actual, _shape(expected), name)
        if check_dtype and _t_dtype(actual) != _t_dtype(expected):
            _check_dtype(actual, _t_dtype(expected), name)
        if check_device and not same_device(_t_device(actual), _t_device(expected)):
            _check_device(actual, _t_device(expected), name)
        a = _t_to(_t_detach(actual), device="cpu", dtype=_torch_float64)
        e = _t_to(_t_detach(expected), device="cpu", dtype=_torch_float64)
        close = _torch_isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
        if _t_item(_t_all(close)) is not True:
            bad = _t_invert(close)
            n_bad = _int(_t_item(_t_sum(bad)))
            where = _first_mismatch(bad)
            got_v = _t_item(_t_getitem(a, where)) if where else _t_item(a)
            want_v = _t_item(_t_getitem(e, where)) if where else _t_item(e)
            pos = _msg(" at index {where}", where=_list(where)) if where else ""
            got_s, want_s = _fmt_pair(got_v, want_v)
            _fail(
                _msg(
                    "{name} has the right shape but wrong values: {n_bad} of {n} element(s) differ. "
                    "First difference{pos}: got {got}, expected {want}.",
                    name=name, n_bad=n_bad, n=_t_numel(a), pos=pos, got=got_s, want=want_s,
                )
            )

    _check_dtype = check_dtype
    _check_device = check_device

    def check_equal(actual: Any, expected: torch.Tensor, name: str = "result", check_dtype: bool = True) -> None:
        """Exact equality: for integer, boolean and index tensors."""
        check_close(actual, expected, rtol=0.0, atol=0.0, name=name, check_dtype=check_dtype)

    def check_number(
        actual: Any,
        expected: float,
        *,
        rtol: float = 1e-6,
        atol: float = 1e-9,
        name: str = "result",
        integer: bool = False,
    ) -> None:
        """A plain Python number (``int``/``float``, not a tensor) close to ``expected``."""
        if not (_type(actual) is _int or _type(actual) is _float):  # bool is neither (type(True) is bool)
            hint = _tr(" Use .item() to turn a one-element tensor into a Python number.") if _isinstance(actual, _Tensor) else ""
            _fail(_msg("{name} should be a Python {kind}, but it is a {got}.{hint}", name=name, kind="int" if integer else _tr("number"), got=_type(actual).__name__, hint=hint))
        if integer and _type(actual) is not _int:
            _fail(_msg("{name} should be an int, but it is a {got} ({actual!r}).", name=name, got=_type(actual).__name__, actual=actual))
        if _isnan(expected):
            ok = _isnan(actual)
        else:
            ok = _abs(_float(actual) - _float(expected)) <= atol + rtol * _abs(_float(expected))
        if not ok:
            _fail(_msg("{name} should be {expected!r}, but it is {actual!r}.", name=name, expected=expected, actual=actual))

    def check_true(condition: bool, message: str) -> None:
        """Fail with ``message`` unless ``condition`` is exactly ``True``."""
        if condition is not True:
            _fail(message)

    def check_raises(
        exc_type: type[BaseException] | tuple[type[BaseException], ...],
        fn: Callable[..., Any],
        *args: Any,
        match: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> BaseException:
        """Calling ``fn(*args, **kwargs)`` raises ``exc_type`` (whose message contains ``match``)."""
        label = name or _getattr(fn, "__name__", None) or _tr("the function")
        wanted = exc_type.__name__ if _isinstance(exc_type, _type) else " or ".join(t.__name__ for t in exc_type)
        try:
            fn(*args, **kwargs)
        except exc_type as err:
            if match is not None and match.lower() not in _str(err).lower():
                _fail(_msg("{label} raised {kind} as it should, but its message {text!r} does not mention {match!r}.", label=label, kind=_type(err).__name__, text=_str(err), match=match))
            return err
        except _Exception as err:  # noqa: BLE001 - any other error is the learner's to see
            _fail(_msg("{label} should raise {wanted}, but it raised {kind}: {err}", label=label, wanted=wanted, kind=_type(err).__name__, err=err))
        _fail(_msg("{label} should raise {wanted}, but it returned without an error.", label=label, wanted=wanted))
        raise AssertionError("unreachable")  # pragma: no cover

    def check_module_params(module: Any, expected: int, name: str = "the model", trainable_only: bool = True) -> None:
        """A ``nn.Module`` with exactly ``expected`` (trainable) parameters."""
        if not _isinstance(module, _Module):
            _fail(_msg("{name} should be a torch.nn.Module, but it is a {got}.", name=name, got=_type(module).__name__))
        got = 0
        for p in _module_parameters(module):
            if _t_requires_grad(p) or not trainable_only:
                got += _int(_t_numel(p))
        if got != expected:
            what = _tr("trainable parameters") if trainable_only else _tr("parameters")
            _fail(_msg("{name} should have {expected:,} {what}, but it has {got:,}.", name=name, expected=expected, what=what, got=got))

    def fresh_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
        """A generator seeded for one check, independent of the global seed the learner may touch."""
        return _gen_manual_seed(_Generator(device=_torch_device(device).type), seed)

    return {
        "_fail": _fail,
        "check_close": check_close,
        "check_device": check_device,
        "check_dtype": check_dtype,
        "check_equal": check_equal,
        "check_module_params": check_module_params,
        "check_number": check_number,
        "check_raises": check_raises,
        "check_shape": check_shape,
        "check_tensor": check_tensor,
        "check_true": check_true,
        "fresh_generator": fresh_generator,
        "same_device": same_device,
    }


_CHECKS = _build()
_fail = _CHECKS["_fail"]
check_close = _CHECKS["check_close"]
check_device = _CHECKS["check_device"]
check_dtype = _CHECKS["check_dtype"]
check_equal = _CHECKS["check_equal"]
check_module_params = _CHECKS["check_module_params"]
check_number = _CHECKS["check_number"]
check_raises = _CHECKS["check_raises"]
check_shape = _CHECKS["check_shape"]
check_tensor = _CHECKS["check_tensor"]
check_true = _CHECKS["check_true"]
fresh_generator = _CHECKS["fresh_generator"]
same_device = _CHECKS["same_device"]
del _CHECKS

def _short_traceback(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> list[str]:
    """How a failed check or an untouched stub shows in a notebook: one short block.

    A mark, the message, and the notebook line that led to it, in IPython's "Cell In[N], line M"
    form (feedback points the learner at it); the checker's internals are left out. Any other
    error keeps IPython's full traceback.
    """
    import traceback

    cells = []
    for frame in traceback.extract_tb(tb):
        where = shell.compile.format_code_name(frame.filename) if hasattr(shell, "compile") else None
        if where:
            cells.append((f"{where[0]} {where[1]}, line {frame.lineno}" + (f", in {frame.name}" if frame.name != "<module>" else ""), frame.line or ""))
        elif frame.filename.startswith("<") and not frame.filename.startswith("<frozen"):
            # code run from a string (the grader runs each test so): where, but no source to show
            cells.append((f"File {frame.filename}:{frame.lineno}", ""))
    if issubclass(etype, NotImplementedError):
        inner = cells[-1][0].split(", in ")[-1] if cells and ", in " in cells[-1][0] else None
        if inner:
            text = _i18n.format_message("Not done yet: {name}() is still the stub (it raises NotImplementedError). Replace `raise NotImplementedError()` with your code.", name=inner)
        else:
            text = _i18n.gettext("Not done yet: This exercise is still the stub (it raises NotImplementedError). Replace `raise NotImplementedError()` with your code.")
        lines = ["\u2717 " + text]
    else:
        lines = ["\u2717 " + _i18n.format_message("Check failed: {message}", message=value)]
    if cells:
        label, code = cells[-1]
        lines.append(f"  {label}: {code.strip()}" if code.strip() else f"  {label}")
    shell._showtraceback(etype, value, lines)
    return lines


def _install_short_tracebacks() -> None:
    """In a Jupyter kernel, render CheckFailed and NotImplementedError with ``_short_traceback``."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "_showtraceback") or not hasattr(shell, "set_custom_exc"):
        return
    if getattr(shell, "custom_exceptions", ()) in ((), (CheckFailed, NotImplementedError)):
        shell.set_custom_exc((CheckFailed, NotImplementedError), _short_traceback)
    if not getattr(shell, "_course_passed_note", False):
        shell._course_passed_note = True
        shell.events.register("post_run_cell", _say_passed)


def _say_passed(result: Any) -> None:
    """After a test cell (one that imports course.checks) runs without error, say so on stdout."""
    raw = getattr(getattr(result, "info", None), "raw_cell", "") or ""
    if getattr(result, "success", False) and "from course.checks import" in raw and "check_" in raw.split("import", 1)[1]:
        print("\u2713 " + _i18n.gettext("These checks pass. Hidden checks run when your work is graded, on other inputs and every device."))


_install_short_tracebacks()

__all__ = [
    "CheckFailed",
    "check_close",
    "check_device",
    "check_dtype",
    "check_equal",
    "check_module_params",
    "check_number",
    "check_raises",
    "check_shape",
    "check_tensor",
    "check_true",
    "fresh_generator",
    "same_device",
]
