"""course.checks: what passes, what fails, and that the messages teach."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course import checks
from course.checks import (
    CheckFailed,
    check_close,
    check_device,
    check_dtype,
    check_equal,
    check_module_params,
    check_number,
    check_raises,
    check_shape,
    check_tensor,
    check_true,
)


def test_close_passes_within_tolerance() -> None:
    x = torch.tensor([1.0, 2.0, 3.0])
    check_close(x + 1e-7, x)


def test_close_reports_where_and_what() -> None:
    x = torch.zeros(2, 3)
    y = x.clone()
    y[1, 2] = 0.5
    with pytest.raises(CheckFailed, match=r"1 of 6 element\(s\) differ.*\[1, 2\].*got 0, expected 0.5"):
        check_close(x, y)


def test_close_checks_shape_first_with_a_hint() -> None:
    with pytest.raises(CheckFailed, match=r"shape \(3, 2\).*shape \(2, 3\).*permute"):
        check_close(torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(CheckFailed, match=r"keepdim"):
        check_close(torch.zeros(3), torch.zeros(3, 1))


def test_close_checks_dtype_unless_told_not_to() -> None:
    with pytest.raises(CheckFailed, match="dtype torch.float32.*torch.int64"):
        check_close(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]))
    check_close(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]), check_dtype=False)


@pytest.mark.parametrize("fake", [[1.0, 2.0], np.array([1.0, 2.0]), 3.0, "tensor"])
def test_non_tensors_are_refused(fake: object) -> None:
    with pytest.raises(CheckFailed, match="should be a torch.Tensor"):
        check_close(fake, torch.tensor([1.0, 2.0]))


def test_an_object_that_claims_equality_is_refused() -> None:
    class Liar:
        def __eq__(self, other: object) -> bool:
            return True

        shape = (2,)

    with pytest.raises(CheckFailed):
        check_close(Liar(), torch.tensor([1.0, 2.0]))


def test_a_tensor_subclass_is_refused() -> None:
    class Sneaky(torch.Tensor):
        pass

    with pytest.raises(CheckFailed, match="subclass"):
        check_tensor(torch.zeros(2).as_subclass(Sneaky))


def test_monkeypatched_torch_does_not_fool_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch, "isclose", lambda *a, **k: torch.ones(2, dtype=torch.bool))
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(torch, "equal", lambda *a, **k: True)
    with pytest.raises(CheckFailed):
        check_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 5.0]))


def test_equal_is_exact() -> None:
    check_equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
    with pytest.raises(CheckFailed):
        check_equal(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]))


def test_shape_dtype_device() -> None:
    check_shape(torch.zeros(2, 3), (2, 3))
    with pytest.raises(CheckFailed, match="view/reshape"):
        check_shape(torch.zeros(6), (2, 3))
    check_dtype(torch.zeros(1, dtype=torch.int64), torch.long)
    with pytest.raises(CheckFailed, match=r"\.float\(\)"):
        check_dtype(torch.zeros(1, dtype=torch.int64), torch.float32)
    check_device(torch.zeros(1), "cpu")
    with pytest.raises(CheckFailed, match="device=x.device"):
        check_device(torch.zeros(1), "meta")


def test_same_device_treats_cuda_and_cuda0_alike() -> None:
    assert checks.same_device("cpu", torch.device("cpu"))
    assert not checks.same_device("cpu", "meta")


def test_numbers() -> None:
    check_number(3, 3, integer=True)
    check_number(0.1 + 0.2, 0.3)
    with pytest.raises(CheckFailed, match=r"\.item\(\)"):
        check_number(torch.tensor(3.0), 3.0)
    with pytest.raises(CheckFailed, match="should be an int"):
        check_number(3.0, 3, integer=True)
    with pytest.raises(CheckFailed):
        check_number(True, 1, integer=True)
    with pytest.raises(CheckFailed, match="should be 4"):
        check_number(5, 4)


def test_check_true_needs_exactly_true() -> None:
    check_true(True, "fine")
    with pytest.raises(CheckFailed, match="explained"):
        check_true(torch.tensor(True), "explained")  # a tensor is not the bool True


def test_raises() -> None:
    def boom() -> None:
        raise ValueError("shape mismatch in layer fc")

    check_raises(ValueError, boom, match="shape")
    with pytest.raises(CheckFailed, match="does not mention"):
        check_raises(ValueError, boom, match="dtype")
    with pytest.raises(CheckFailed, match="returned without an error"):
        check_raises(ValueError, lambda: None)
    with pytest.raises(CheckFailed, match="raised KeyError"):
        check_raises(ValueError, lambda: {}["x"])


def test_module_params_counts_trainable_only() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    check_module_params(model, 3 * 4 + 4 + 4 * 2 + 2)
    model[0].weight.requires_grad_(False)
    check_module_params(model, 4 + 4 * 2 + 2)
    with pytest.raises(CheckFailed, match="26"):
        check_module_params(model, 26)
