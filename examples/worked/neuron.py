"""The sigmoid neuron and its compressed gate.

Worked example 15 of the lecture notes this project started from (lecture 002).

    f(w, x) = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))

At w = (2, -3, -3), x = (-1, -2):

    f  = 0.7310585786300049
    dw = (-0.19661193324148185, -0.3932238664829637, 0.19661193324148185)
    dx = (0.3932238664829637, -0.5898357997244456)

``neuron`` is the function written out in one line. The lecture then "compresses" the chain
of gates 1/u, 1 + u, exp, -u into a single sigmoid gate whose local gradient reuses the
forward value: sigma'(z) = sigma(z) * (1 - sigma(z)). ``neuron_staged`` writes the neuron
that way, through a ``sigmoid`` helper; calls to helpers are inlined, so both neurons
generate the same gradient. ``value_and_grad(sigmoid)`` shows the compressed gate: the
backward pass reuses the forward values exp(-z), 1 + exp(-z) and sigma, and computes
sigma / (1 + exp(-z)) * exp(-z) -- the same number as sigma * (1 - sigma), with one
division where the lecture has one subtraction, and without the cancellation in 1 - sigma
when sigma is close to 1.
"""

import math

from s2s_ad import grad, value_and_grad


def neuron(w0, w1, w2, x0, x1):
    return 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2)))


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def neuron_staged(w0, w1, w2, x0, x1):
    dot = w0 * x0 + w1 * x1 + w2
    return sigmoid(dot)


POINT = (2.0, -3.0, -3.0, -1.0, -2.0)  # w0, w1, w2, x0, x1

if __name__ == "__main__":
    df = grad(neuron, wrt=("w0", "w1", "w2", "x0", "x1"))
    dw0, dw1, dw2, dx0, dx1 = df(*POINT)
    print("f  =", neuron(*POINT))
    print("dw =", (dw0, dw1, dw2))
    print("dx =", (dx0, dx1))
    print()
    print(df.source)

    print("The compressed gate sigma'(z) = sigma(z) * (1 - sigma(z)):")
    sigmoid_and_gate = value_and_grad(sigmoid)
    z = 2.0 * -1.0 + -3.0 * -2.0 + -3.0  # w0*x0 + w1*x1 + w2 at POINT
    s, ds = sigmoid_and_gate(z)
    print(f"  at z = {z}: generated {ds!r}, sigma * (1 - sigma) = {s * (1 - s)!r}")
    print()
    print(sigmoid_and_gate.source)

    print("The neuron through the sigmoid helper (inlined):", grad(
        neuron_staged, wrt=("w0", "w1", "w2", "x0", "x1"))(*POINT))
