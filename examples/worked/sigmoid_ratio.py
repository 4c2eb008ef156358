"""Staged backpropagation.

Worked example 16 of the lecture notes this project started from (lecture 002).

    f(x, y) = (x + sigma(y)) / (sigma(x) + (x + y)**2)

The lecture computes this in stages with a name for every intermediate value (sigy, num,
sigx, xpy, xpysqr, den, invden, f), then back-propagates by hand stage by stage, with
``dx += ...`` where x feeds several stages. s2s_ad writes that backward pass for us. At
x=3, y=-4:

    f = 1.5456448841066441,   df/dx ~ 2.05956979596,   df/dy ~ 1.59223275176
"""

import math

from s2s_ad import grad


def sigmoid(z):
    return 1.0 / (1 + math.exp(-z))


def f(x, y):
    sigy = sigmoid(y)  # sigmoid in the numerator      (1)
    num = x + sigy  # numerator                        (2)
    sigx = sigmoid(x)  # sigmoid in the denominator    (3)
    xpy = x + y  #                                     (4)
    xpysqr = xpy**2  #                                 (5)
    den = sigx + xpysqr  # denominator                 (6)
    invden = 1.0 / den  #                              (7)
    f = num * invden  # done!                          (8)
    return f


if __name__ == "__main__":
    df = grad(f, wrt=("x", "y"))
    print("f(3, -4)              =", f(3.0, -4.0))
    print("(df/dx, df/dy)(3, -4) =", df(3.0, -4.0))
    print()
    print(df.source)
