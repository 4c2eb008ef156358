"""Worked example 19 at work: a multilayer network trained with generated gradients.

The network of lecture 003 (examples/worked/multilayer.py), f_i = σ_i(A_{i-1} f_{i-1} +
b_{i-1}), with two hidden layers (tanh, then sigmoid) and 3 output scores h per point; a batch
has one point per row, so a layer is ``X @ W + b``. The loss is worked example 7's
cross-entropy -h_y + log Σ_j exp(h_j), averaged over the batch, with the labels one-hot in
the rows of Y. ``grad(loss, wrt=WRT)`` writes the backward
pass, and plain minibatch SGD (``W -= lr * dW``) learns a 2-D spiral with one arm per class.

Run: python examples/mlp.py [--source]   (--source: print the generated gradient first)
"""

import argparse

import numpy as np

from s2s_ad import grad

WRT = ("W1", "b1", "W2", "b2", "W3", "b3")


def spiral(per_class=100, classes=3, seed=0):
    """Points ``X`` (n × 2) on a spiral with one arm per class, and their integer labels."""
    rng = np.random.default_rng(seed)
    r = np.tile(np.linspace(0.05, 1.0, per_class), classes)
    labels = np.repeat(np.arange(classes), per_class)
    t = 4.0 * (labels + r) + rng.normal(0.0, 0.2, r.size)  # angle: each arm a 4-radian turn
    return np.column_stack([r * np.sin(t), r * np.cos(t)]), labels


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def scores(W1, b1, W2, b2, W3, b3, X):
    """The network: one row of class scores per row of ``X``."""
    h1 = np.tanh(X @ W1 + b1)
    h2 = sigmoid(h1 @ W2 + b2)
    return h2 @ W3 + b3


def loss(W1, b1, W2, b2, W3, b3, X, Y):
    """Mean cross-entropy of the scores h against one-hot ``Y``: -h_y + log Σ_j exp(h_j)."""
    h = scores(W1, b1, W2, b2, W3, b3, X)
    return np.mean(np.log(np.sum(np.exp(h), axis=1)) - np.sum(h * Y, axis=1))


def init(sizes=(2, 32, 32, 3), seed=1):
    """Weights ~ N(0, 1/fan_in) and zero biases: ``(W1, b1, W2, b2, W3, b3)``."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        params += [rng.normal(0.0, n_in**-0.5, (n_in, n_out)), np.zeros(n_out)]
    return params


def accuracy(params, X, labels):
    return np.mean(np.argmax(scores(*params, X), axis=1) == labels)


def sgd_epoch(dloss, params, X, Y, lr, batch, rng):
    """One pass over the data in random minibatches, ``W -= lr * dW`` after each."""
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch):
        rows = order[start:start + batch]
        for p, dp in zip(params, dloss(*params, X[rows], Y[rows])):
            p -= lr * dp  # in place: params holds the same arrays


def train(params, X, Y, labels, epochs=100, lr=1.0, batch=30, every=10, seed=2):
    """Minibatch SGD; prints the training loss and accuracy every ``every`` epochs."""
    dloss = grad(loss, wrt=WRT)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs + 1):  # epoch 0: the untrained network
        if epoch > 0:
            sgd_epoch(dloss, params, X, Y, lr, batch, rng)
        if epoch % every == 0:
            print(f"epoch {epoch:4d}   loss {loss(*params, X, Y):.4f}   "
                  f"accuracy {accuracy(params, X, labels):6.1%}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", action="store_true",
                        help="do not print the generated gradient")
    args = parser.parse_args(argv)
    X, labels = spiral()
    Y = np.eye(3)[labels]
    params = init()
    print(f"{len(X)} points, 3 classes; network 2 -> 32 (tanh) -> 32 (sigmoid) -> 3\n")
    train(params, X, Y, labels)
    print(f"\nfinal training accuracy: {accuracy(params, X, labels):.1%}")
    if not args.quiet:  # the code that ran: generated for a batch of 30
        print("\nthe gradient, generated for these shapes:\n")
        print(grad(loss, wrt=WRT).specialize(*params, X[:30], Y[:30]).source)


if __name__ == "__main__":
    main()
