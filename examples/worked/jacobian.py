"""The Jacobian of ``f(x) = [x0² + x1, x1·x2]``.

Worked example 11 of the lecture notes this project started from (lecture 001).

At x = [1, 2, 3] the Jacobian is [[2, 1, 0], [0, 3, 2]]. Forward mode builds it one
column per input (one JVP each), reverse mode one row per output (one VJP each); lecture
001's table says which is cheaper: forward when there are fewer inputs than outputs.
Both are generated as one Python function that shares the forward computation.

``f`` takes three scalar parameters x0, x1, x2 rather than one vector ``x``: NumPy
arrays are not supported as inputs yet, and the forward-mode Jacobian of a list argument
indexed as ``x[0]`` is not either. ``f_list`` is the lecture's spelling with a list ``x``;
its Jacobian works in reverse mode and comes back as a list of lists.
"""

from s2s_ad import jacobian


def f(x0, x1, x2):
    return [x0**2 + x1, x1 * x2]


def f_list(x):
    return [x[0] ** 2 + x[1], x[1] * x[2]]


if __name__ == "__main__":
    x = (1.0, 2.0, 3.0)
    print("f(1, 2, 3) =", f(*x))
    for mode in ("fwd", "rev"):
        jf = jacobian(f, wrt=("x0", "x1", "x2"), mode=mode)
        print(f"\nJacobian, mode={mode!r}:", jf(*x))
        print(jf.source)
        print(jf.stats)

    jf_list = jacobian(f_list, mode="rev")
    print("\nJacobian of f_list([1, 2, 3]), mode='rev':", jf_list(list(x)))
    print(jf_list.source)
