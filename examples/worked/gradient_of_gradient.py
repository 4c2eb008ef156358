"""The gradient of a gradient, ``f(v1) = (exp(v1) + 1) * exp(v1)``.

Worked example 4 of the lecture notes this project started from (lecture 000).

The lecture extends the computational graph with the nodes of the backward pass and notes
that the extended graph is itself a program that can be differentiated again. s2s_ad does
exactly that on source: ``grad(f)`` is generated Python, and ``grad(grad(f))``
differentiates that generated Python a second time. ``hessian(f)`` gets the same second
derivative by forward mode over the reverse-mode gradient. At v1 = 0.3:

    f'(v1)  = 2 e^{2 v1} + e^{v1} = 4.994096408357021
    f''(v1) = 4 e^{2 v1} + e^{v1} = 8.638334009138038

Nesting transforms makes the raw program swell; the optimizer (CSE, folding, algebraic
identities, DCE) takes it back down, and the op counts before and after are printed.
``f`` is the formula as written (exp computed twice; CSE merges the two); ``f_graph`` is
the lecture's graph node by node. Both give the same derivatives.
"""

import math

from s2s_ad import grad, hessian


def f(v1):
    return (math.exp(v1) + 1) * math.exp(v1)


def f_graph(v1):
    """The lecture's graph, node by node: exp(v1) is one node used twice."""
    v2 = math.exp(v1)
    v3 = v2 + 1
    v4 = v3 * v2
    return v4


if __name__ == "__main__":
    v1 = 0.3
    df = grad(f)
    ddf = grad(grad(f))
    hf = hessian(f)
    print("f(0.3)                  =", f(v1))
    print("f'(0.3)                 =", df(v1), "  (2e^{2v} + e^v =",
          2 * math.exp(2 * v1) + math.exp(v1), ")")
    print("f''(0.3), grad(grad(f)) =", ddf(v1), "  (4e^{2v} + e^v =",
          4 * math.exp(2 * v1) + math.exp(v1), ")")
    print("f''(0.3), hessian(f)    =", hf(v1))
    print("the same from the lecture's graph nodes:",
          grad(f_graph)(v1), grad(grad(f_graph))(v1), hessian(f_graph)(v1))
    print()
    print("the gradient, generated once:")
    print(df.source)
    print("the gradient of the generated gradient:")
    print(ddf.source)
    print(ddf.stats)
    print()
    print("the Hessian (forward over reverse):")
    print(hf.source)
    print(hf.stats)
