"""The PyTorch autograd example, ``f(x) = (-2x² + 4x + 1) e^{-x²/2}``.

Worked example 10 of the lecture notes this project started from (lecture 001).

The lecture differentiates f with PyTorch and plots f and f' on ``linspace(0, 5, 1000)``.
Here f' is generated Python source; at x = 1.5

    f(1.5)  =  0.8116311683958743
    f'(1.5) = (-4x + 4 - x(-2x² + 4x + 1)) e^{-x²/2} = -1.866751687310511

The generated gradient is a scalar function (NumPy arrays are not supported as inputs
yet), so it is called point by point over the grid and compared with the closed form.
With matplotlib installed, the plot of f and f' is written to ``--out`` (default
``derivative_plot.png`` in the current directory); without it the script says so and still
succeeds.
"""

import argparse
import math

import numpy as np

from s2s_ad import grad


def f(x):
    return (-2 * x**2 + 4 * x + 1) * math.exp(-(x**2) / 2)


def closed_form(x):
    """f'(x) by hand: the product rule on the polynomial and the Gaussian."""
    return (-4 * x + 4 - x * (-2 * x**2 + 4 * x + 1)) * math.exp(-(x**2) / 2)


def on_grid(xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f and f' at every point of ``xs``, one scalar call per point."""
    df = grad(f)
    return (np.array([f(float(x)) for x in xs]), np.array([df(float(x)) for x in xs]))


def plot(xs: np.ndarray, ys: np.ndarray, dys: np.ndarray, out: str) -> bool:
    """Write the plot of f and f' to ``out``; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(xs, ys, label="f(x)")
    ax.plot(xs, dys, label="f'(x)  (s2s_ad.grad)")
    ax.axhline(0.0, color="grey", linewidth=0.5)
    ax.set_xlabel("x")
    ax.legend()
    ax.set_title("f(x) = (-2x² + 4x + 1) exp(-x²/2)")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="derivative_plot.png", help="where to write the PNG")
    args = parser.parse_args(argv)

    df = grad(f)
    print("f(1.5)  =", f(1.5))
    print("f'(1.5) =", df(1.5), " closed form:", closed_form(1.5))
    print()
    print(df.source)

    xs = np.linspace(0, 5, 1000)
    ys, dys = on_grid(xs)
    exact = np.array([closed_form(float(x)) for x in xs])
    print("max |f'(x) - closed form| on linspace(0, 5, 1000):", np.max(np.abs(dys - exact)))

    if plot(xs, ys, dys, args.out):
        print("plot written to", args.out)
    else:
        print("matplotlib is not installed: no plot written (pip install matplotlib)")


if __name__ == "__main__":
    main()
