"""course.device: device choice, the device list and the CUDA-required switch, seeding."""

from __future__ import annotations

import random

import pytest
import torch

import course
from course.device import CudaRequiredError, cuda_required


def test_devices_always_start_with_the_cpu() -> None:
    found = course.devices()
    assert found[0] == torch.device("cpu")
    assert (torch.device("cuda") in found) == torch.cuda.is_available()


def test_get_device_prefers_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert course.get_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("course.device._mps_available", lambda: True)
    assert course.get_device() == torch.device("mps")
    monkeypatch.setattr("course.device._mps_available", lambda: False)
    assert course.get_device() == torch.device("cpu")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_requiring_cuda_fails_loudly_without_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("COURSE_REQUIRE_CUDA", value)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert cuda_required()
    with pytest.raises(CudaRequiredError, match="COURSE_REQUIRE_CUDA"):
        course.devices()


def test_requiring_cuda_with_cuda_lists_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_REQUIRE_CUDA", "1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert course.devices() == [torch.device("cpu"), torch.device("cuda")]


def test_switch_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_REQUIRE_CUDA", raising=False)
    assert not cuda_required()
    monkeypatch.setenv("COURSE_REQUIRE_CUDA", "0")
    assert not cuda_required()


def test_seed_everything_makes_runs_repeat() -> None:
    import numpy as np

    course.seed_everything(123)
    a = (random.random(), np.random.rand(), torch.rand(3))
    course.seed_everything(123)
    b = (random.random(), np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


@pytest.mark.skipif(not torch.cuda.is_available() and not cuda_required(), reason="no CUDA here; COURSE_REQUIRE_CUDA=1 turns this skip into a failure")
def test_cuda_device_works() -> None:
    x = torch.ones(3, device="cuda")
    assert x.sum().item() == 3.0
