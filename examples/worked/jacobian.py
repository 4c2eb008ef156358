"""The Jacobian of ``f(x) = [x0² + x1, x1·x2]``.

Worked example 11 of the lecture notes this project started from (lecture 001).

At x = [1, 2, 3] the Jacobian is [[2, 1, 0], [0, 3, 2]]. Forward mode builds it from the
columns (a JVP along each unit vector of x), reverse mode from the rows (a VJP along each
unit vector of f's value); lecture 001's table says which is cheaper: forward when there
are fewer inputs than outputs. With a NumPy ``x`` either is one sweep batched over all the
unit vectors at once (``np.eye(3)``), so the Jacobian is a few lines of NumPy.

``f`` is the lecture's function with a NumPy ``x``; ``f_scalars`` takes three numbers
(the Jacobian is then a list of tuples of partials), ``f_list`` a list ``x`` (reverse mode:
a list of lists).
"""

import numpy as np

from s2s_ad import jacobian


def f(x):
    return np.array([x[0] ** 2 + x[1], x[1] * x[2]])


def f_scalars(x0, x1, x2):
    return [x0**2 + x1, x1 * x2]


def f_list(x):
    return [x[0] ** 2 + x[1], x[1] * x[2]]


if __name__ == "__main__":
    x = np.array([1.0, 2.0, 3.0])
    print("f([1, 2, 3]) =", f(x))
    for mode in ("fwd", "rev"):
        jf = jacobian(f, mode=mode)
        print(f"\nJacobian, mode={mode!r}:\n{jf(x)}")
        print(jf.specialize(x).source)

    jf_scalars = jacobian(f_scalars, wrt=("x0", "x1", "x2"))
    print("Jacobian of f_scalars(1, 2, 3):", jf_scalars(1.0, 2.0, 3.0))
    jf_list = jacobian(f_list, mode="rev")
    print("Jacobian of f_list([1, 2, 3]), mode='rev':", jf_list([1.0, 2.0, 3.0]))
