"""``f(x) = sqrt(x**2 + exp(x**2)) + cos(x**2 + exp(x**2))``.

Worked example 18 of the lecture notes this project started from (lecture 003).

This is (5.109) of "Mathematics for Machine Learning"; its derivative by hand is the
long closed form (5.110):

    f'(x) = 2x (1 + exp(x**2)) (1 / (2 sqrt(x**2 + exp(x**2))) - sin(x**2 + exp(x**2)))

The book then writes the function with intermediate variables a ... f (5.123-5.128) and
shows that the backward pass costs about as much as the function itself. ``f`` is (5.109)
as written, ``f_staged`` the version with intermediates. At x = 0.7:

    f = 0.9328347830212237,   f' = -1.8740017049647129
"""

import math

from s2s_ad import grad


def f(x):
    return math.sqrt(x**2 + math.exp(x**2)) + math.cos(x**2 + math.exp(x**2))


def f_staged(x):
    a = x**2
    b = math.exp(a)
    c = a + b
    d = math.sqrt(c)
    e = math.cos(c)
    f = d + e
    return f


def closed_form(x):
    """(5.110): the derivative worked out by hand."""
    c = x**2 + math.exp(x**2)
    return 2 * x * (1 + math.exp(x**2)) * (1 / (2 * math.sqrt(c)) - math.sin(c))


if __name__ == "__main__":
    df = grad(f)
    print("f(0.7)   =", f(0.7))
    print("f'(0.7)  =", df(0.7))
    print("(5.110)  =", closed_form(0.7))
    print()
    print(df.source)
    df_staged = grad(f_staged)
    print("with intermediate variables (5.123-5.128):", df_staged(0.7))
    print()
    print(df_staged.source)
