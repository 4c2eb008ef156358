"""The gradient of a multilayer network's loss.

Worked example 19 of the lecture notes this project started from (lecture 003).

Lecture 003 writes a K-layer network as a chain of layers

    f_0 = x,    f_i = σ(A_{i-1} f_{i-1} + b_{i-1}),   i = 1, ..., K

with the squared loss ``L(θ) = ‖y - f_K‖²`` and asks for its gradient with respect to every
parameter ``θ = {A_0, b_0, ..., A_{K-1}, b_{K-1}}``; by the chain rule the partial for layer
``j`` reuses the products ∂f_K/∂f_{K-1} ⋯ ∂f_{j+2}/∂f_{j+1} already formed for the layers
above it (5.115-5.117) -- exactly what reverse mode does.

Here K = 3 with sigmoid activations σ(z) = 1 / (1 + exp(-z)) and layer widths
4 -> 5 -> 3 -> 2. ``grad(loss, wrt=WRT)`` generates the gradient, and every entry of every
``A_j`` and ``b_j`` is compared with a central difference (``s2s_ad.numeric``) and with
the gradient derived by hand (``backprop``). The generated code for these shapes is the
same backward pass: ``dA_j = np.outer(db_j, f_j)``, ``db_{j-1} = A_j.T @ db_j * σ'``.

Run: python examples/worked/multilayer.py
"""

import numpy as np

from s2s_ad import grad
from s2s_ad.numeric import check_grad, numerical_grad

WRT = ("A0", "b0", "A1", "b1", "A2", "b2")
SIZES = (4, 5, 3, 2)  # the widths of x = f_0, f_1, f_2, f_3


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def loss(A0, b0, A1, b1, A2, b2, x, y):
    f1 = sigmoid(A0 @ x + b0)
    f2 = sigmoid(A1 @ f1 + b1)
    f3 = sigmoid(A2 @ f2 + b2)
    r = y - f3
    return np.sum(r * r)


def random_point(seed=0):
    """``(A0, b0, A1, b1, A2, b2, x, y)``: A_j, b_j and x standard normal, y in (0, 1)."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(SIZES, SIZES[1:]):
        params += [rng.standard_normal((n_out, n_in)), rng.standard_normal(n_out)]
    return (*params, rng.standard_normal(SIZES[0]), rng.uniform(0.0, 1.0, SIZES[-1]))


def backprop(A0, b0, A1, b1, A2, b2, x, y):
    """The gradient by hand, as lecture 003 chains it (5.115-5.117), for comparison.

    With σ' = σ(1 - σ), the error at layer i is ``e_i = ∂L/∂(A_{i-1} f_{i-1} + b_{i-1})``:
    ``e_3 = -2 (y - f_3) σ'``, ``e_i = (A_iᵀ e_{i+1}) σ'``; then ``∂L/∂A_{i-1} = e_i f_{i-1}ᵀ``
    and ``∂L/∂b_{i-1} = e_i``.
    """
    f1 = sigmoid(A0 @ x + b0)
    f2 = sigmoid(A1 @ f1 + b1)
    f3 = sigmoid(A2 @ f2 + b2)
    e3 = -2 * (y - f3) * f3 * (1 - f3)
    e2 = (A2.T @ e3) * f2 * (1 - f2)
    e1 = (A1.T @ e2) * f1 * (1 - f1)
    return np.outer(e1, x), e1, np.outer(e2, f1), e2, np.outer(e3, f2), e3


def gradients(point, optimize=True):
    """``(generated, central differences)``: one array per ``WRT`` parameter in each."""
    generated = grad(loss, wrt=WRT, optimize=optimize)(*point)
    return generated, numerical_grad(loss, point, wrt=WRT)


def main():
    point = random_point()
    print(f"K = 3 sigmoid layers, widths {' -> '.join(map(str, SIZES))}; "
          f"L = ‖y - f_3‖² = {float(loss(*point))!r}\n")
    print("every entry of the generated gradient against its central difference and the "
          "hand-derived one:")
    generated, central = gradients(point)
    for name, g, fd, hand in zip(WRT, generated, central, backprop(*point)):
        print(f"  dL/d{name}: shape {str(g.shape):7}  largest |generated - central| = "
              f"{np.max(np.abs(g - fd)):.1e}   |generated - by hand| = "
              f"{np.max(np.abs(g - hand)):.1e}")
    print("\nthe gradient check along 3 random directions of all parameters at once:")
    print(check_grad(loss, point, WRT))
    print()
    print(grad(loss, wrt=WRT).specialize(*point).source)


if __name__ == "__main__":
    main()
