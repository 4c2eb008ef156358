"""Jacobians, Hessians and per-example gradients of NumPy functions, with ``vmap``.

Run it to see the generated code and check each result against central differences
(``s2s_ad.numeric``) or a loop over the examples::

    python examples/batching.py
"""

import numpy as np

import s2s_ad
from s2s_ad.numeric import central_difference


def rosen(x):
    """Rosenbrock's function of a vector."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def layer(W, x):
    return np.tanh(W @ x)


def loss(W, b, x, y):
    """The squared error of one example ``x`` (a vector) against ``y``."""
    return np.sum((np.tanh(x @ W + b) - y) ** 2)


def arguments(batch: int = 8, d: int = 3, k: int = 2) -> tuple:
    """Weights of a d -> k layer and a batch of examples."""
    rng = np.random.default_rng(0)
    return (rng.normal(size=(d, k)), np.zeros(k), rng.normal(size=(batch, d)),
            rng.normal(size=(batch, k)))


def main() -> None:
    x = np.array([-1.2, 1.0, 0.5, 2.0])
    H = s2s_ad.hessian(rosen)(x)
    g = s2s_ad.grad(rosen)
    columns = [central_difference(lambda t, k=k: g(x + (t - x[k]) * np.eye(4)[k]), x[k])
               for k in range(4)]
    print(s2s_ad.hessian(rosen).specialize(x).source)
    print("Hessian of rosen, largest difference to differences of the gradient:",
          f"{np.max(np.abs(H - np.array(columns).T)):.1e}\n")

    W, x1 = np.random.default_rng(1).normal(size=(3, 3)), np.array([0.1, 0.2, 0.3])
    J = s2s_ad.jacobian(layer, wrt="x", mode="rev")
    print(J.specialize(W, x1).source)
    print("Jacobian of tanh(W @ x):\n", J(W, x1), "\n")

    W, b, X, Y = arguments()
    per_example = s2s_ad.vmap(s2s_ad.grad(loss, wrt=("W", "b")), in_axes=(None, None, 0, 0))
    dW, db = per_example(W, b, X, Y)
    print(per_example.source)
    looped = [s2s_ad.grad(loss, wrt=("W", "b"))(W, b, x, y) for x, y in zip(X, Y)]
    worst = max(np.max(np.abs(dW - np.stack([d[0] for d in looped]))),
                np.max(np.abs(db - np.stack([d[1] for d in looped]))))
    print("per-example gradients:", dW.shape, db.shape, "largest difference to a loop:",
          f"{worst:.1e}")


if __name__ == "__main__":
    main()
