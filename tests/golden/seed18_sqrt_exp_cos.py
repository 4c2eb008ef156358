# Golden file: s2s_ad.grad(f, wrt='x').source, where f is
# defined in examples/worked/sqrt_exp_cos.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def f_grad(x):
    _t1 = x * x
    _t2 = math.exp(_t1)
    _t3 = _t1 + _t2
    _t4 = 0.5 / math.sqrt(_t3) - math.sin(_t3)
    dx = (_t4 * _t2 + _t4) * x
    dx_2 = dx + dx
    return dx_2
