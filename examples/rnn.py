"""A recurrent network written the way people write one: a preallocated array, filled in a loop.

``h = np.zeros((T + 1, n))`` holds the hidden states, and each step writes the next one,
``h[t + 1] = np.tanh(inputs[t] @ W + h[t] @ U + b)``, as in Tangent's RNN test. s2s_ad
differentiates the item assignment as a new value of ``h`` (the overwritten row's adjoint
does not flow back), and the generated code writes into ``h`` in place, taping each row
as it is read: memory O(T·n), as hand-written backpropagation through time.

The network learns to output, at the last step, the running mean of a noisy sine.

Run: python examples/rnn.py [--source]   (--source: print the generated gradient first)
"""

import argparse

import numpy as np

from s2s_ad import grad

WRT = ("W", "U", "b", "v")


def loss(W, U, b, v, inputs, target):
    """Squared error of the last hidden state read out by ``v``, for one sequence."""
    T, n = inputs.shape[0], U.shape[0]
    h = np.zeros((T + 1, n))
    for t in range(T):
        h[t + 1] = np.tanh(inputs[t] @ W + h[t] @ U + b)
    out = h[T] @ v
    return (out - target) ** 2


def arguments(T=20, d=3, n=16, seed=0):
    """Parameters and one sequence: ``inputs`` (T × d) and its target."""
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, 0.5, (d, n))
    U = rng.normal(0.0, 0.3, (n, n))
    b = np.zeros(n)
    v = rng.normal(0.0, 0.3, n)
    inputs = _sequence(rng, T, d)
    return W, U, b, v, inputs, float(np.mean(inputs[:, 0]))


def _sequence(rng, T, d):
    t = np.linspace(0.0, 2 * np.pi, T)
    phase = rng.uniform(0.0, 2 * np.pi)
    return np.column_stack([np.sin(t + phase)] + [rng.normal(0.0, 0.1, T)
                                                  for _ in range(d - 1)])


def train(steps=300, lr=0.05, seed=0):
    """Plain SGD on fresh sequences; returns the losses before and after (mean of 50)."""
    W, U, b, v, _, _ = arguments(seed=seed)
    params = [W, U, b, v]
    g = grad(loss, wrt=WRT)
    rng = np.random.default_rng(seed + 1)

    def mean_loss():
        test = np.random.default_rng(99)
        total = 0.0
        for _ in range(50):
            xs = _sequence(test, 20, 3)
            total += loss(*params, xs, float(np.mean(xs[:, 0])))
        return total / 50

    before = mean_loss()
    for _ in range(steps):
        xs = _sequence(rng, 20, 3)
        for p, dp in zip(params, g(*params, xs, float(np.mean(xs[:, 0])))):
            p -= lr * dp
    return before, mean_loss()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="store_true", help="print the generated gradient")
    options = parser.parse_args()
    if options.source:
        print(grad(loss, wrt=WRT).specialize(*arguments()).source)
    before, after = train()
    print(f"mean squared error on 50 test sequences: {before:.4f} before, {after:.4f} after "
          "300 steps of SGD")
