"""The chain rule through gates, ``f(x, y, z) = (x + y) * z``.

Worked example 13 of the lecture notes this project started from (lecture 002).

With the intermediate q = x + y, f = q * z: the multiply gate sends z back to q and q back
to z, and the add gate copies its incoming gradient to both of its inputs. At x=-2, y=5,
z=-4:

    f = -12,   df/dx = df/dy = z = -4,   df/dz = q = 3
"""

from s2s_ad import grad


def f(x, y, z):
    q = x + y
    f = q * z
    return f


if __name__ == "__main__":
    df = grad(f, wrt=("x", "y", "z"))
    print("f(-2, 5, -4)                     =", f(-2.0, 5.0, -4.0))
    print("(df/dx, df/dy, df/dz)(-2, 5, -4) =", df(-2.0, 5.0, -4.0))
    print()
    print(df.source)
