"""Helpers for the PyTorch course: devices, data, checks and plots.

Notebooks, tests and the ``course`` command import from here; nothing imports from a
notebook. Importing this package is cheap: heavy pieces (torchvision, matplotlib) load
only in the modules that need them.
"""

from course.device import devices, get_device, seed_everything

__all__ = ["devices", "get_device", "seed_everything"]
__version__ = "1.0.0"
