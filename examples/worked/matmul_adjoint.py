"""The adjoints of a matrix product.

Worked example 5 of the lecture notes this project started from (lectures 000 and 002).

Lecture 000 ("reverse-mode AD on tensors") writes the product ``Z = X W`` entry by entry,
``Z_ij = Σ_k X_ik W_kj``, and finds the adjoints of both factors from the adjoint ``Z̄`` of
the product:

    X̄ = Z̄ Wᵀ        W̄ = Xᵀ Z̄

Lecture 002 does the same for ``D = W X`` and remembers the transposes by the shapes: ``dW``
must be shaped like ``W``, so it can only be ``dD Xᵀ``, and ``dX`` only ``Wᵀ dD``.

``s2s_ad.vjp`` generates the reverse pass as a function of the factors and the cotangent
(``dZ`` or ``dD``); here it runs on random matrices of the lectures' shapes, 5×10 and 10×3,
and is compared with the formulas. The code it generates for matrices (``.specialize``
shows the code for given arguments) is those formulas: ``dX = dZ @ W.T``.

Run: python examples/worked/matmul_adjoint.py
"""

import numpy as np

from s2s_ad import vjp


def z(X, W):
    """Lecture 000: ``Z = X W`` (naming the result names the cotangent ``dZ``)."""
    Z = X @ W
    return Z


def d(W, X):
    """Lecture 002: ``D = W X``."""
    D = W @ X
    return D


def random_matrices(seed=0):
    """Random matrices of the lectures' shapes: 5×10, 10×3, and a 5×3 cotangent.

    For ``z`` they are ``X, W, dZ``; for ``d`` (lecture 002's names) ``W, X, dD``.
    """
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(shape) for shape in ((5, 10), (10, 3), (5, 3)))


def z_adjoints(X, W, dZ, optimize=True):
    """``(dX, dW)`` from the generated VJP of ``z``, and the lecture's ``(dZ Wᵀ, Xᵀ dZ)``."""
    generated = vjp(z, wrt=("X", "W"), optimize=optimize)(X, W, dZ)
    return generated, (dZ @ W.T, X.T @ dZ)


def d_adjoints(W, X, dD, optimize=True):
    """``(dW, dX)`` from the generated VJP of ``d``, and the lecture's ``(dD Xᵀ, Wᵀ dD)``."""
    generated = vjp(d, wrt=("W", "X"), optimize=optimize)(W, X, dD)
    return generated, (dD @ X.T, W.T @ dD)


def _report(names, generated, expected):
    for name, g, e in zip(names, generated, expected):
        print(f"  {name}: shape {g.shape}, largest |generated - formula| = "
              f"{np.max(np.abs(g - e)):.1e}, allclose: {np.allclose(g, e, rtol=1e-12, atol=0)}")


def main():
    X, W, dZ = random_matrices()
    print("Z = X @ W with X 5×10, W 10×3 and a random cotangent dZ 5×3:")
    _report(("dX = dZ @ W.T", "dW = X.T @ dZ"), *z_adjoints(X, W, dZ))
    print()
    print(vjp(z, wrt=("X", "W")).specialize(X, W, dZ).source)

    W, X, dD = random_matrices()
    print("D = W @ X with W 5×10, X 10×3 and a random cotangent dD 5×3:")
    _report(("dW = dD @ X.T", "dX = W.T @ dD"), *d_adjoints(W, X, dD))
    print()
    print(vjp(d, wrt=("W", "X")).specialize(W, X, dD).source)


if __name__ == "__main__":
    main()
