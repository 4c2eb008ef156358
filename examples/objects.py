"""Objects: a model's parameters in a dataclass, and a loss that is a method.

Two ways people write models in Python. The parameters as one object: a dataclass (or a
``typing.NamedTuple``), whose gradient is an object of the same class with each field
replaced by its gradient, as JAX does for pytrees. And a class whose method is the loss:
``s2s_ad.grad(model.loss)`` differentiates the method with respect to its own arguments,
reading ``self.w`` when it runs (change ``model.w`` and the derivative follows), and
inlining the calls of other methods (``self.predict(x)``).

Run: python examples/objects.py
"""

import math
from dataclasses import dataclass

import numpy as np

import s2s_ad


@dataclass
class Params:
    """A one-layer network: weights and biases."""

    W: np.ndarray
    b: np.ndarray


def loss(p, X, y):
    """Mean squared error of tanh(X W + b) against y."""
    return np.mean((np.tanh(X @ p.W + p.b) - y) ** 2)


class Model:
    """A neuron with a weight and a bias, fitted to one point at a time."""

    def __init__(self, w, b):
        self.w = w
        self.b = b

    def predict(self, x):
        return math.tanh(self.w * x + self.b)

    def loss(self, x, y):
        return (self.predict(x) - y) ** 2


model = Model(0.5, -0.2)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    p = Params(rng.normal(size=(3, 2)), np.zeros(2))
    dloss = s2s_ad.grad(loss)
    print("gradient of loss with respect to p:", dloss(p, X, y))
    print(dloss.specialize(p, X, y).source)
    dmodel = s2s_ad.grad(model.loss)
    print("d loss / dx at w = 0.5:", dmodel(1.0, 0.3))
    model.w = 2.0  # read when the derivative runs: the next call uses it
    print("d loss / dx at w = 2.0:", dmodel(1.0, 0.3))
    print(dmodel.source)
