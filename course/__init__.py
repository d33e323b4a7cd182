"""Helpers for the PyTorch course: devices, data, checks and plots.

Notebooks, tests and the ``course`` command import from here; nothing imports from a
notebook. Importing this package is cheap: torch loads only when a device helper is first
used, and torchvision and matplotlib only in the modules that need them, so the grading
command and its worker processes start in a fraction of a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["devices", "get_device", "seed_everything"]
__version__ = "1.0.0"

if TYPE_CHECKING:  # pragma: no cover
    from course.device import devices, get_device, seed_everything


def __getattr__(name: str) -> Any:
    if name in __all__:
        from course import device

        return getattr(device, name)
    raise AttributeError(f"module 'course' has no attribute {name!r}")
