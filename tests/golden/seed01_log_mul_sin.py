# Golden file: s2s_ad.grad(f, wrt=('x1', 'x2')).source, where f is
# defined in examples/worked/log_mul_sin.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def f_grad(x1, x2):
    dx2 = x1 - math.cos(x2)
    dx1 = 1.0 / x1 + x2
    return dx1, dx2
