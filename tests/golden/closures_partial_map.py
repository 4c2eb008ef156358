# Golden file: s2s_ad.grad(harmonics, wrt=('x', 'a')).source, where harmonics is
# defined in examples/closures.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def harmonics_grad(x, a):
    _t1 = 2 * x
    _t2 = 3 * x
    _t3 = math.cos(a * _t2)
    _t4 = math.cos(a * _t1)
    _t5 = math.cos(a * x)
    da = _t5 * x + (_t4 * _t1 + _t3 * _t2)
    dx = _t4 * a * 2 + (_t3 * a * 3 + _t5 * a)
    return dx, da
