"""tanh and its first four derivatives, each generated from the one before.

autograd's best-known example, with s2s_ad: ``elementwise_grad`` of an elementwise
function gives its derivative at every entry of an array at once, as generated code, so
applying it again gives the next derivative. Each is checked against its closed form
(with t = tanh x: 1 - t², -2t(1 - t²), (1 - t²)(6t² - 2), -8t(1 - t²)(3t² - 2)).

Run: python examples/tanh_derivatives.py [--source] [--plot PATH]
(--source prints the generated fourth derivative; --plot needs matplotlib)
"""

import argparse

import numpy as np

from s2s_ad import elementwise_grad


def tanh(x):
    return np.tanh(x)


def derivatives(x, order=4):
    """``[tanh, tanh', ..., tanh^(order)]`` at ``x`` and the generated functions."""
    functions = [tanh]
    for _ in range(order):
        functions.append(elementwise_grad(functions[-1]))
    return [f(x) for f in functions], functions


def closed_forms(x):
    t = np.tanh(x)
    s = 1.0 - t * t
    return [t, s, -2.0 * t * s, s * (6.0 * t * t - 2.0), -8.0 * t * s * (3.0 * t * t - 2.0)]


def largest_error(x):
    values, _ = derivatives(x)
    return max(float(np.max(np.abs(v - w))) for v, w in zip(values, closed_forms(x)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="store_true",
                        help="print the generated fourth derivative")
    parser.add_argument("--plot", metavar="PATH", help="save a plot (needs matplotlib)")
    options = parser.parse_args()
    x = np.linspace(-7, 7, 200)
    values, functions = derivatives(x)
    if options.source:
        print(functions[-1].specialize(x).source)
    print(f"tanh and 4 derivatives on 200 points in [-7, 7]: largest difference from the "
          f"closed forms {largest_error(x):.1e}")
    if options.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        for k, v in enumerate(values):
            plt.plot(x, v, label="tanh" + "'" * k)
        plt.legend()
        plt.axis("off")
        plt.savefig(options.plot, dpi=100)
        print(f"plot saved to {options.plot}")
