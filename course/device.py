"""Which device to run on, and seeding.

``get_device()`` picks the best accelerator there is (CUDA, then Apple's MPS, then the
CPU). ``devices()`` lists every device a test should run the learner's code on: the CPU
always, plus CUDA where present.

Set ``COURSE_REQUIRE_CUDA=1`` on a GPU machine to make ``devices()`` fail loudly when CUDA
is missing, so a GPU run can never skip its CUDA checks without anyone noticing.
"""

from __future__ import annotations

import os
import random

import torch

REQUIRE_CUDA_ENV = "COURSE_REQUIRE_CUDA"


class CudaRequiredError(RuntimeError):
    """Raised when COURSE_REQUIRE_CUDA is set but no CUDA device can be used."""


def cuda_required() -> bool:
    """True when the environment demands that CUDA checks run."""
    return os.environ.get(REQUIRE_CUDA_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device() -> torch.device:
    """The best device here: ``cuda``, then ``mps``, then ``cpu``."""
    if torch.cuda.is_available():  # note the call: without (), the function object is always truthy
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def devices() -> list[torch.device]:
    """Every device the tests run on: CPU always, CUDA where available.

    MPS is left out on purpose: it lacks float64 and some ops the checks use, and its
    results differ from CPU's more than the tolerances allow.
    """
    found = [torch.device("cpu")]
    if torch.cuda.is_available():
        found.append(torch.device("cuda"))
    elif cuda_required():
        raise CudaRequiredError(
            f"{REQUIRE_CUDA_ENV}=1 is set but torch.cuda.is_available() is False: "
            "the CUDA checks cannot run on this machine (is the driver visible, and is this a CUDA build of torch?)"
        )
    return found


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's generators (CPU and every GPU)."""
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % 2**32)
    except ImportError:  # pragma: no cover - numpy ships with torch's wheels' users
        pass
    torch.manual_seed(seed)  # seeds CUDA devices too
