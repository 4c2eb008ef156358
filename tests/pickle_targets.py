"""Module-level functions for tests/test_pickle.py: pickle saves their derivatives by
reference, so a worker process must be able to import this module (tests/ on its path)."""

import math

import numpy as np

from s2s_ad import grad


def f(x, y):
    return math.log(x) + x * y - math.sin(y)


def pair(x, y):
    return x * y, x + y


def poly(x, y):
    return x * x * y + y


def loss(w, X, y):
    """Least squares over the rows of ``X``: a sum, so shards add up."""
    r = X @ w - y
    return 0.5 * np.sum(r * r)


@grad
def decorated(x):
    return x * x * x


def gradient_on(g, *args):
    """Call ``g`` in a worker: the pickled function travels as an argument."""
    return g(*args)
