"""The adjoint of a data structure.

Worked example 6 of the lecture notes this project started from (lecture 000).

Lecture 000 ("adjoint of a data structure"): reading ``b = d["cat"]`` sends ``b``'s adjoint
into ``d``'s adjoint at ``"cat"``. The gradient of a function of a dict is a dict with the
same keys -- zero where an entry is not used.

Run: python examples/worked/dict_adjoint.py
"""

import math

import s2s_ad


def score(d):
    b = d["cat"]
    return b * b + math.log(d["dog"])


if __name__ == "__main__":
    animals = {"cat": 3.0, "dog": 2.0, "bird": 5.0}
    dscore = s2s_ad.grad(score)
    print("score(d) =", score(animals))
    print("d score / d d =", dscore(animals))
    print()
    print(dscore.source)
