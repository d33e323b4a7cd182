"""A tiny torch.hub repository that ships with the course (lecture 06_saving_sharing).

torch.hub looks for a file named hubconf.py at the top of a repository. Every public function
in it is an *entry point*: torch.hub.list shows them, torch.hub.help prints their docstring, and
torch.hub.load calls one and returns what it returns (usually a model).
"""

import torch
from torch import nn

dependencies = ["torch"]  # packages torch.hub checks for before it loads an entry point


def tiny_mlp(n_in=4, n_hidden=16, n_classes=3, weights=None):
    """A small classifier: Linear -> ReLU -> Linear, returning logits.

    n_in, n_hidden, n_classes: the layer sizes.
    weights: the path of a state_dict saved with torch.save, or None for random weights.
    """
    model = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_classes))
    if weights is not None:
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model


def tiny_cnn(n_classes=10):
    """A small CNN for 1x28x28 images (FashionMNIST-sized), with random weights."""
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 14 * 14, n_classes),
    )


def _helper():
    """Names that start with an underscore are not entry points."""
