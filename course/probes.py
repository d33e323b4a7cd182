"""Probes for hidden tests: check *how* a learner's code did something, not only what it returned.

DESIGN.md asks every test whose task prescribes a procedure to probe it. The probes are
written once here and used wherever the same promise is made:

- ``ForwardSpy(model)`` — every forward call of a module: was gradient tracking on, was the
  model in train or eval mode, how many calls, what batch sizes. ``spy.check_inference()``
  is the promise "inference: eval mode, no gradient tracking".
- ``OptimizerWatch()`` — every ``optimizer.step()`` anywhere while it is active: how many,
  by which optimizer class, with which learning rates. ``watch.check_steps(n, kind)``.
- ``Untouched(x=..., model=...)`` — the caller's tensors, arrays and modules are left as
  they were (values, and for tensors their ``requires_grad`` and ``.grad``).
- ``shares_storage(a, b)`` / ``check_shares_storage`` / ``check_fresh_storage`` — a view
  or an in-place result uses the input's memory; a copy does not.
- ``check_logits(out)`` — a classifier's raw scores, not probabilities and not clipped by a
  final ReLU.
- ``check_detached(t)`` — a result that does not track gradients.
- ``RecordingDataset(ds)`` — which indices a DataLoader asked for, epoch by epoch.
- ``fmt(a, b)`` — two numbers printed with just enough digits to tell them apart.

Like ``course.checks``, every probe fails with ``CheckFailed`` and a message written for the
learner, and holds the torch functions it needs in closures taken at import time.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.utils.data
from torch.optim.optimizer import register_optimizer_step_post_hook

from course import i18n as _i18n
from course.checks import CheckFailed


def _build() -> dict[str, Any]:
    _CheckFailed = CheckFailed
    _Tensor = torch.Tensor
    _TensorBase = torch._C.TensorBase
    _Module = torch.nn.Module
    _is_grad_enabled = torch.is_grad_enabled
    _is_inference_mode_enabled = torch.is_inference_mode_enabled
    _t_clone = _TensorBase.clone
    _t_detach = _TensorBase.detach
    _t_to = _TensorBase.to
    _t_equal = torch.equal
    _t_untyped_storage = _TensorBase.untyped_storage
    _t_requires_grad = _TensorBase.requires_grad.__get__
    _t_grad_raw = _TensorBase.grad.__get__
    _t_is_leaf = _TensorBase.is_leaf.__get__

    def _t_grad(t: Any) -> Any:
        # .grad of a non-leaf warns (on stderr, which costs a graded cell): it has none to read.
        return _t_grad_raw(t) if _t_is_leaf(t) else None

    _t_grad_fn = _TensorBase.grad_fn.__get__
    _t_dim = _TensorBase.dim
    _t_size = _TensorBase.size
    _t_sum = _TensorBase.sum
    _t_all = _TensorBase.all
    _t_any = _TensorBase.any
    _t_item = _TensorBase.item
    _t_abs = _TensorBase.abs
    _t_sub = _TensorBase.sub
    _t_lt = _TensorBase.lt
    _t_ge = _TensorBase.ge
    _t_dtype = _TensorBase.dtype.__get__
    _module_state_dict = torch.nn.Module.state_dict
    _module_training = lambda m: m.__dict__.get("training", True)  # noqa: E731 - read the attribute itself
    _register_step_post_hook = register_optimizer_step_post_hook
    _float64 = torch.float64
    _isfinite = math.isfinite
    _type = type
    _isinstance = isinstance
    _len = len
    _int = int
    _float = float
    _str = str
    _repr = repr
    _list = list
    _dict = dict
    _sorted = sorted
    _set = set
    _range = range
    _min = min

    # Messages in the learner's language (course.i18n.use): a template and its fields.
    _msg = _i18n.format_message
    _tr = _i18n.gettext

    def _fail(message: str) -> None:
        raise _CheckFailed(message)

    def fmt(a: float, b: float | None = None) -> str | tuple[str, str]:
        """``a`` (and ``b``) with the fewest significant digits (at least 6) that tell them apart."""
        if b is None:
            return f"{_float(a):.6g}" if _isfinite(_float(a)) else _str(a)
        for digits in _range(6, 18):
            sa, sb = f"{_float(a):.{digits}g}", f"{_float(b):.{digits}g}"
            if sa != sb or _float(a) == _float(b):
                return sa, sb
        return _repr(_float(a)), _repr(_float(b))

    # --- forward calls: grad mode and train/eval mode, seen from inside the model -------------

    class ForwardSpy:
        """Records every forward call of ``module``: grad mode, training flag, batch size.

        Use as a context manager around the learner's call; the hook is removed on exit.
        """

        def __init__(self, module: Any, name: str = "the model") -> None:
            if not _isinstance(module, _Module):
                _fail(_msg("{name} should be a torch.nn.Module, but it is a {got}.", name=name, got=_type(module).__name__))
            self.module = module
            self.name = name
            self.calls: list[dict[str, Any]] = []
            self._handle = None

        def _hook(self, module: Any, args: tuple) -> None:
            first = args[0] if args else None
            batch = _int(_t_size(first)[0]) if _isinstance(first, _Tensor) and _t_dim(first) > 0 else None
            self.calls.append(
                {
                    "grad_enabled": _is_grad_enabled() and not _is_inference_mode_enabled(),
                    "training": _module_training(module),
                    "batch": batch,
                }
            )

        def __enter__(self) -> ForwardSpy:
            self._handle = self.module.register_forward_pre_hook(self._hook)
            return self

        def __exit__(self, *exc: Any) -> None:
            if self._handle is not None:
                self._handle.remove()

        @property
        def count(self) -> int:
            return _len(self.calls)

        def check_called(self, what: str = "your function") -> None:
            if not self.calls:
                _fail(_msg("{what} never called {model} (no forward pass was seen). Call the model on the inputs.", what=what, model=self.name))

        def check_inference(self, what: str = "your function") -> None:
            """Every forward call ran in eval mode with gradient tracking off."""
            self.check_called(what)
            if any(c["grad_enabled"] for c in self.calls):
                _fail(
                    _msg(
                        "{what} ran {model} with gradient tracking on. Inference should build no graph: "
                        "wrap it in `with torch.no_grad():` (or torch.inference_mode()).",
                        what=what, model=self.name,
                    )
                )
            if any(c["training"] for c in self.calls):
                _fail(
                    _msg(
                        "{what} ran {model} in training mode. Call model.eval() before inference, so that "
                        "layers such as Dropout and BatchNorm behave as they should at test time.",
                        what=what, model=self.name,
                    )
                )

        def check_training(self, what: str = "your function") -> None:
            """Every forward call ran in train mode with gradient tracking on."""
            self.check_called(what)
            if any(not c["grad_enabled"] for c in self.calls):
                _fail(_msg("{what} ran {model} with gradient tracking off during training: no gradient can flow back.", what=what, model=self.name))
            if any(not c["training"] for c in self.calls):
                _fail(_msg("{what} trained {model} in eval mode. Call model.train() before the training steps.", what=what, model=self.name))

    # --- optimizer steps, seen from a global hook -------------------------------------------

    class OptimizerWatch:
        """Counts every ``optimizer.step()`` made while active, with the optimizer's class and lrs."""

        def __init__(self) -> None:
            self.steps: list[dict[str, Any]] = []
            self._handle = None

        def _hook(self, optimizer: Any, args: Any, kwargs: Any) -> None:
            self.steps.append(
                {
                    "kind": _type(optimizer).__name__,
                    "lrs": [_float(g.get("lr", float("nan"))) for g in optimizer.param_groups],
                    "optimizer": optimizer,
                }
            )

        def __enter__(self) -> OptimizerWatch:
            self._handle = _register_step_post_hook(self._hook)
            return self

        def __exit__(self, *exc: Any) -> None:
            if self._handle is not None:
                self._handle.remove()

        @property
        def count(self) -> int:
            return _len(self.steps)

        @property
        def kinds(self) -> list[str]:
            return _sorted(_set(s["kind"] for s in self.steps))

        def check_steps(self, expected: int | None = None, kind: str | None = None, what: str = "your function") -> None:
            """Exactly ``expected`` steps (when given), all by a ``kind`` optimizer (when given)."""
            if expected is not None and _len(self.steps) != expected:
                more = _tr(" Did you call optimizer.step() once per batch, for every batch and every epoch?")
                _fail(_msg("{what} should make {expected} optimizer step(s), but it made {got}.{more}", what=what, expected=expected, got=_len(self.steps), more=more))
            if expected is None and not self.steps:
                _fail(_msg("{what} never called optimizer.step(): the parameters were not updated by an optimizer.", what=what))
            if kind is not None:
                other = [k for k in self.kinds if k != kind]
                if other:
                    _fail(_msg("{what} should update the parameters with torch.optim.{kind}, but it used {other}.", what=what, kind=kind, other=", ".join(other)))

    # --- the caller's objects are left as they were -------------------------------------------

    def _snapshot(value: Any) -> Any:
        if _isinstance(value, _Tensor):
            grad = _t_grad(value)
            return ("tensor", _t_clone(_t_detach(value)), _t_requires_grad(value), None if grad is None else _t_clone(grad))
        if _isinstance(value, _Module):
            return ("module", {k: _t_clone(_t_detach(v)) for k, v in _module_state_dict(value).items()}, _module_training(value))
        try:
            import numpy as np

            if _isinstance(value, np.ndarray):
                return ("array", value.copy())
        except ImportError:  # pragma: no cover - numpy ships with torch
            pass
        return ("other", None)

    def _same(a: Any, b: Any) -> bool:
        return _t_dtype(a) == _t_dtype(b) and _t_size(a) == _t_size(b) and _t_equal(a, b)

    class Untouched:
        """``with Untouched(x=x, model=m): learner(x, m)`` fails if the call changed ``x`` or ``m``."""

        def __init__(self, **objects: Any) -> None:
            self.objects = objects
            self.before = {}

        def __enter__(self) -> Untouched:
            self.before = {k: _snapshot(v) for k, v in self.objects.items()}
            return self

        def __exit__(self, exc_type: Any, *exc: Any) -> None:
            if exc_type is not None:
                return
            self.check()

        def check(self) -> None:
            for key, value in self.objects.items():
                snap = self.before[key]
                if snap[0] == "tensor":
                    if not _same(_t_detach(value), snap[1]):
                        _fail(
                            _msg(
                                "your function changed the caller's tensor `{key}` in place. Leave inputs as they were: "
                                "work on a copy (x.clone()) or use out-of-place operations (x + 1, not x += 1 or x.add_(1)).",
                                key=key,
                            )
                        )
                    if _t_requires_grad(value) != snap[2]:
                        _fail(_msg("your function changed `{key}.requires_grad`; leave the caller's tensor as it was.", key=key))
                    grad = _t_grad(value)
                    if (grad is None) != (snap[3] is None) or (grad is not None and not _same(grad, snap[3])):
                        _fail(_msg("your function changed `{key}.grad`; it should not touch the caller's gradients.", key=key))
                elif snap[0] == "module":
                    now = {k: _t_detach(v) for k, v in _module_state_dict(value).items()}
                    if _sorted(now) != _sorted(snap[1]) or any(not _same(now[k], snap[1][k]) for k in now):
                        _fail(_msg("your function changed the weights of the caller's model `{key}`. Work on a copy.", key=key))
                    if _module_training(value) != snap[2]:
                        _fail(_msg("your function left the caller's model `{key}` in another mode (train/eval) than it found it.", key=key))
                elif snap[0] == "array":
                    import numpy as np

                    if value.shape != snap[1].shape or not np.array_equal(value, snap[1], equal_nan=True):
                        _fail(_msg("your function changed the caller's array `{key}` in place. Work on a copy.", key=key))

    # --- storage ------------------------------------------------------------------------------

    def _ptr(x: Any) -> int:
        if _isinstance(x, _Tensor):
            return _t_untyped_storage(x).data_ptr()
        import numpy as np

        if _isinstance(x, np.ndarray):
            base = x
            while base.base is not None and _isinstance(base.base, np.ndarray):
                base = base.base
            return base.__array_interface__["data"][0]
        _fail(_msg("expected a tensor or a NumPy array, but got a {got}.", got=_type(x).__name__))
        return 0

    def shares_storage(a: Any, b: Any) -> bool:
        """True when ``a`` and ``b`` (tensors or NumPy arrays) use the same memory."""
        if _isinstance(a, _Tensor) and _isinstance(b, _Tensor):
            return _t_untyped_storage(a).data_ptr() == _t_untyped_storage(b).data_ptr()
        import numpy as np

        if _isinstance(a, _Tensor):
            a = a.numpy() if a.device.type == "cpu" else None
        if _isinstance(b, _Tensor):
            b = b.numpy() if b.device.type == "cpu" else None
        if a is None or b is None:
            return False
        return bool(np.shares_memory(a, b))

    def check_shares_storage(result: Any, source: Any, name: str = "result", why: str = "") -> None:
        """``result`` must be a view of (share memory with) ``source``."""
        if not shares_storage(result, source):
            _fail(_msg("{name} should share memory with its input (a view, or the input changed in place), but it is a copy.{why}", name=name, why=why))

    def check_fresh_storage(result: Any, source: Any, name: str = "result", why: str = "") -> None:
        """``result`` must be a copy: writing to it must not change ``source``."""
        if shares_storage(result, source):
            _fail(_msg("{name} shares memory with its input, so changing one changes the other; return a copy.{why}", name=name, why=why))

    # --- what a classifier returns ------------------------------------------------------------

    def check_logits(out: Any, name: str = "the model's output") -> None:
        """Raw scores of shape (N, C): not probabilities, not passed through a final ReLU."""
        if not _isinstance(out, _Tensor) or _t_dim(out) != 2:
            _fail(_msg("{name} should be a tensor of logits of shape (N, C).", name=name))
        x = _t_to(_t_detach(out), dtype=_float64)
        rows = _t_sum(x, 1)
        if _int(_t_size(x)[1]) > 1 and _t_item(_t_all(_t_ge(x, 0))) and _t_item(_t_all(_t_lt(_t_abs(_t_sub(rows, 1)), 1e-4))):
            _fail(
                _msg(
                    "every row of {name} is non-negative and sums to 1: these are probabilities. Return raw logits; "
                    "nn.CrossEntropyLoss (and argmax) work on logits, and applying softmax twice distorts the loss.",
                    name=name,
                )
            )
        if _t_item(_t_all(_t_ge(x, 0))) and _int(x.numel()) >= 8:
            _fail(
                _msg(
                    "{name} has no negative value at all, as if clipped by a ReLU after the last layer. Logits can be "
                    "negative: end the model with the last Linear layer.",
                    name=name,
                )
            )

    def check_detached(t: Any, name: str = "result") -> None:
        """A result that carries no autograd graph."""
        if not _isinstance(t, _Tensor):
            _fail(_msg("{name} should be a tensor, but it is a {got}.", name=name, got=_type(t).__name__))
        if _t_requires_grad(t) or _t_grad_fn(t) is not None:
            _fail(_msg("{name} still tracks gradients (requires_grad=True). Compute it under torch.no_grad() or call .detach().", name=name))

    # --- what a DataLoader asked for ----------------------------------------------------------

    class RecordingDataset(torch.utils.data.Dataset):
        """Wraps a map-style dataset and records the indices fetched, for order and coverage checks."""

        def __init__(self, dataset: Any) -> None:
            self.dataset = dataset
            self.fetched: list[int] = []

        def __len__(self) -> int:
            return _len(self.dataset)

        def __getitem__(self, index: int) -> Any:
            self.fetched.append(_int(index))
            return self.dataset[index]

        def take(self) -> list[int]:
            """The indices fetched since the last take(), and start a new record."""
            got, self.fetched = self.fetched, []
            return got

    return {
        "ForwardSpy": ForwardSpy,
        "OptimizerWatch": OptimizerWatch,
        "Untouched": Untouched,
        "RecordingDataset": RecordingDataset,
        "shares_storage": shares_storage,
        "check_shares_storage": check_shares_storage,
        "check_fresh_storage": check_fresh_storage,
        "check_logits": check_logits,
        "check_detached": check_detached,
        "fmt": fmt,
    }


_PROBES = _build()
ForwardSpy = _PROBES["ForwardSpy"]
OptimizerWatch = _PROBES["OptimizerWatch"]
Untouched = _PROBES["Untouched"]
RecordingDataset = _PROBES["RecordingDataset"]
shares_storage = _PROBES["shares_storage"]
check_shares_storage = _PROBES["check_shares_storage"]
check_fresh_storage = _PROBES["check_fresh_storage"]
check_logits = _PROBES["check_logits"]
check_detached = _PROBES["check_detached"]
fmt = _PROBES["fmt"]
del _PROBES

__all__ = [
    "ForwardSpy",
    "OptimizerWatch",
    "RecordingDataset",
    "Untouched",
    "check_detached",
    "check_fresh_storage",
    "check_logits",
    "check_shares_storage",
    "fmt",
    "shares_storage",
]

