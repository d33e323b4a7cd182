"""Checks used by the tests inside the assignments (and by the course's own tests).

Every check raises ``CheckFailed`` (an ``AssertionError``) with a message written for a
learner: what was checked, what was expected, what came back, and where to look.

The checks never trust the object the learner returned: they test its exact type before
comparing, and they compare values with functions captured when this module was
imported, so replacing ``torch.allclose`` or ``torch.equal`` later changes nothing here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch

# Captured at import time, before any learner code runs in the kernel.
_Tensor = torch.Tensor
_Parameter = torch.nn.Parameter
_torch_isclose = torch.isclose
_torch_isnan = torch.isnan
_torch_as_tensor = torch.as_tensor
_torch_float64 = torch.float64
_type = type
_isinstance = isinstance
_float = float
_int = int
_len = len
_tuple = tuple
_repr = repr
_abs = abs


class CheckFailed(AssertionError):
    """A check did not pass; the message says why in plain words."""


def _fail(message: str) -> None:
    raise CheckFailed(message)


def _shape(x: torch.Tensor) -> tuple[int, ...]:
    return _tuple(_int(d) for d in _Tensor.size(x))


def _fmt_shape(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(_int(d)) for d in shape) + ("," if _len(shape) == 1 else "") + ")"


def check_tensor(x: Any, name: str = "result") -> None:
    """``x`` must be a plain ``torch.Tensor`` (or a ``Parameter``), not a look-alike."""
    if _type(x) is not _Tensor and _type(x) is not _Parameter:
        kind = _type(x).__name__
        hint = ""
        if _isinstance(x, (list, tuple)):
            hint = " Wrap it with torch.tensor(...) or torch.stack(...)."
        elif _isinstance(x, numbers.Number):
            hint = " A tensor is expected here, not a Python number."
        elif _type(x).__module__.startswith("numpy"):
            hint = " Convert a NumPy array with torch.from_numpy(...)."
        elif _isinstance(x, _Tensor):
            hint = " Return a plain torch.Tensor, not a subclass."
        _fail(f"{name} should be a torch.Tensor, but it is a {kind}.{hint}")


def check_shape(x: Any, shape: Sequence[int], name: str = "result") -> None:
    """``x`` is a tensor of exactly this shape."""
    check_tensor(x, name)
    got = _shape(x)
    want = _tuple(_int(d) for d in shape)
    if got != want:
        hint = ""
        if _len(got) != _len(want):
            hint = f" It has {_len(got)} dimension(s) instead of {_len(want)}"
            if math.prod(got) == math.prod(want):
                hint += " but the right number of elements: check view/reshape, keepdim, squeeze or unsqueeze."
            else:
                hint += ": check keepdim, squeeze/unsqueeze and which dims you reduced."
        elif sorted(got) == sorted(want):
            hint = " The sizes are right but in another order: check permute/transpose or the dim you used."
        elif math.prod(got) == math.prod(want):
            hint = " It has the right number of elements: check view/reshape."
        _fail(f"{name} should have shape {_fmt_shape(want)}, but it has shape {_fmt_shape(got)}.{hint}")


def check_dtype(x: Any, dtype: torch.dtype, name: str = "result") -> None:
    """``x`` is a tensor of exactly this dtype."""
    check_tensor(x, name)
    if x.dtype != dtype:
        hint = ""
        if dtype.is_floating_point and not x.dtype.is_floating_point:
            hint = " Integer tensors come from integer inputs: use .float() or pass dtype=... ."
        _fail(f"{name} should have dtype {dtype}, but it has dtype {x.dtype}.{hint}")


def same_device(a: torch.device | str, b: torch.device | str) -> bool:
    """True when two devices are the same (``cuda`` and ``cuda:0`` count as one)."""
    a, b = torch.device(a), torch.device(b)
    if a.type != b.type:
        return False
    if a.type == "cpu":
        return True
    ia = a.index if a.index is not None else torch.cuda.current_device() if a.type == "cuda" else 0
    ib = b.index if b.index is not None else torch.cuda.current_device() if b.type == "cuda" else 0
    return ia == ib


def check_device(x: Any, device: torch.device | str, name: str = "result") -> None:
    """``x`` is a tensor that lives on ``device``."""
    check_tensor(x, name)
    if not same_device(x.device, device):
        _fail(
            f"{name} should be on device {torch.device(device)}, but it is on {x.device}. "
            "Create new tensors on the input's device (device=x.device) or move them with .to(x.device)."
        )


_check_dtype = check_dtype
_check_device = check_device


def _first_mismatch(bad: torch.Tensor) -> tuple[int, ...]:
    idx = bad.nonzero()[0]
    return _tuple(_int(i) for i in idx)


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
    if check_dtype and actual.dtype != expected.dtype:
        _check_dtype(actual, expected.dtype, name)
    if check_device and not same_device(actual.device, expected.device):
        _check_device(actual, expected.device, name)
    a = _Tensor.to(_Tensor.detach(actual), device="cpu", dtype=_torch_float64)
    e = _Tensor.to(_Tensor.detach(expected), device="cpu", dtype=_torch_float64)
    close = _torch_isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if not bool(_Tensor.all(close)):
        bad = ~close
        n_bad = _int(_Tensor.sum(bad))
        where = _first_mismatch(bad)
        got_v = a[where].item() if where else a.item()
        want_v = e[where].item() if where else e.item()
        pos = f" at index {list(where)}" if where else ""
        _fail(
            f"{name} has the right shape but wrong values: {n_bad} of {a.numel()} element(s) differ. "
            f"First difference{pos}: got {got_v:.6g}, expected {want_v:.6g}."
        )


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
    if _type(actual) is bool or not (_type(actual) is _int or _type(actual) is _float):
        hint = " Use .item() to turn a one-element tensor into a Python number." if _isinstance(actual, _Tensor) else ""
        _fail(f"{name} should be a Python {'int' if integer else 'number'}, but it is a {_type(actual).__name__}.{hint}")
    if integer and _type(actual) is not _int:
        _fail(f"{name} should be an int, but it is a {_type(actual).__name__} ({actual!r}).")
    if math.isnan(expected):
        ok = math.isnan(actual)
    else:
        ok = _abs(_float(actual) - _float(expected)) <= atol + rtol * _abs(_float(expected))
    if not ok:
        _fail(f"{name} should be {expected!r}, but it is {actual!r}.")


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
    label = name or getattr(fn, "__name__", "the function")
    wanted = exc_type.__name__ if _isinstance(exc_type, _type) else " or ".join(t.__name__ for t in exc_type)
    try:
        fn(*args, **kwargs)
    except exc_type as err:
        if match is not None and match.lower() not in str(err).lower():
            _fail(f"{label} raised {_type(err).__name__} as it should, but its message {str(err)!r} does not mention {match!r}.")
        return err
    except Exception as err:  # noqa: BLE001 - any other error is the learner's to see
        _fail(f"{label} should raise {wanted}, but it raised {_type(err).__name__}: {err}")
    _fail(f"{label} should raise {wanted}, but it returned without an error.")
    raise AssertionError("unreachable")  # pragma: no cover


def check_module_params(module: Any, expected: int, name: str = "the model", trainable_only: bool = True) -> None:
    """A ``nn.Module`` with exactly ``expected`` (trainable) parameters."""
    if not _isinstance(module, torch.nn.Module):
        _fail(f"{name} should be a torch.nn.Module, but it is a {_type(module).__name__}.")
    got = sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
    if got != expected:
        what = "trainable parameters" if trainable_only else "parameters"
        _fail(f"{name} should have {expected:,} {what}, but it has {got:,}.")


def fresh_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator seeded for one check, independent of the global seed the learner may touch."""
    return torch.Generator(device=torch.device(device).type).manual_seed(seed)


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
