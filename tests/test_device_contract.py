"""course.device pinned down: the oracle of `make mutation` for device choice and seeding."""

from __future__ import annotations

import random
import types

import numpy as np
import pytest
import torch

from course import device


@pytest.mark.parametrize("value", ["1", "true", "TRUE", " yes ", "on", "On"])
def test_cuda_required_accepts_the_documented_words(monkeypatch, value) -> None:
    monkeypatch.setenv("COURSE_REQUIRE_CUDA", value)
    assert device.cuda_required() is True


@pytest.mark.parametrize("value", ["", "0", "no", "off", "false", "2", "yes please"])
def test_cuda_required_refuses_anything_else(monkeypatch, value) -> None:
    monkeypatch.setenv("COURSE_REQUIRE_CUDA", value)
    assert device.cuda_required() is False


def test_mps_available_asks_the_backend(monkeypatch) -> None:
    monkeypatch.setattr(torch.backends, "mps", types.SimpleNamespace(is_available=lambda: True))
    assert device._mps_available() is True
    monkeypatch.setattr(torch.backends, "mps", types.SimpleNamespace(is_available=lambda: False))
    assert device._mps_available() is False
    monkeypatch.delattr(torch.backends, "mps")
    assert device._mps_available() is False


def test_get_device_order(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(device, "_mps_available", lambda: True)
    assert device.get_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.get_device() == torch.device("mps")
    monkeypatch.setattr(device, "_mps_available", lambda: False)
    assert device.get_device() == torch.device("cpu")


def test_devices(monkeypatch) -> None:
    monkeypatch.delenv("COURSE_REQUIRE_CUDA", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert device.devices() == [torch.device("cpu")]
    monkeypatch.setattr(device, "_mps_available", lambda: True)
    assert device.devices() == [torch.device("cpu")]  # MPS is never a test device
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device.devices() == [torch.device("cpu"), torch.device("cuda")]
    monkeypatch.setenv("COURSE_REQUIRE_CUDA", "1")
    assert device.devices() == [torch.device("cpu"), torch.device("cuda")]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(device.CudaRequiredError) as err:
        device.devices()
    assert str(err.value) == (
        "COURSE_REQUIRE_CUDA=1 is set but torch.cuda.is_available() is False: the CUDA checks cannot run on this "
        "machine (is the driver visible, and is this a CUDA build of torch?)"
    )
    assert issubclass(device.CudaRequiredError, RuntimeError)


@pytest.mark.parametrize("seed", [0, 5, 2**32 + 5])
def test_seed_everything_seeds_every_generator(seed) -> None:
    device.seed_everything(seed)
    got = (random.random(), np.random.rand(), torch.rand(2))
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    want = (random.random(), np.random.rand(), torch.rand(2))
    assert got[0] == want[0] and got[1] == want[1] and torch.equal(got[2], want[2])


def test_seed_everything_default_is_zero() -> None:
    device.seed_everything()
    a = (random.random(), np.random.rand(), torch.rand(2))
    device.seed_everything(0)
    b = (random.random(), np.random.rand(), torch.rand(2))
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])
    device.seed_everything(1)
    assert random.random() != a[0]
