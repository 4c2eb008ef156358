"""The gradient of the cross-entropy loss.

Worked example 7 of the lecture notes this project started from (lecture 000).

Lecture 000's loss function for a k-class classifier with scores ``h`` and the true class ``y``:

    l(h, y) = -h_y + log Σ_j exp(h_j)

Its gradient with respect to the scores is the softmax of the scores minus the one-hot
vector of the label:

    ∂l/∂h = softmax(h) - onehot(y),   softmax(h)_j = exp(h_j) / Σ_i exp(h_i)

The label ``y`` is an integer index: it is not differentiated, only ``h`` is.

Run: python examples/worked/cross_entropy.py
"""

import numpy as np

from s2s_ad import grad


def loss(h, y):
    return -h[y] + np.log(np.sum(np.exp(h)))


def softmax(h):
    e = np.exp(h - np.max(h))
    return e / np.sum(e)


def onehot(y, k):
    v = np.zeros(k)
    v[y] = 1.0
    return v


def expected_gradient(h, y):
    """The lecture's closed form: ``softmax(h) - onehot(y)``."""
    return softmax(h) - onehot(y, len(h))


H = np.array([1.5, -0.3, 2.2, 0.1, -1.0])  # scores of 5 classes
Y = 2  # the true class


def main():
    dloss = grad(loss, wrt="h")
    g = dloss(H, Y)
    print(f"h = {H}, y = {Y}")
    print(f"l(h, y)               = {float(loss(H, Y))!r}")
    print(f"generated dl/dh       = {g}")
    print(f"softmax(h) - onehot(y) = {expected_gradient(H, Y)}")
    print(f"largest difference    = {np.max(np.abs(g - expected_gradient(H, Y))):.1e}")
    print(f"the entries sum to 0  : {np.sum(g):.1e}")
    print()
    print(dloss.specialize(H, Y).source)


if __name__ == "__main__":
    main()
