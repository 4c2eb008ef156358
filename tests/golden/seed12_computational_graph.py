# Golden file: s2s_ad.grad(f, wrt=('a', 'b')).source, where f is
# defined in examples/worked/product_of_sums.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def f_grad(a, b):
    if a.__class__ is not float or b.__class__ is not float:
        return f_grad_any(a, b)
    c = a + b
    d = b + 1
    db = d + c
    return d, db
