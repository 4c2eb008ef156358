# Golden file: s2s_ad.grad(f_staged, wrt='x').source, where f_staged is
# defined in examples/worked/sqrt_exp_cos.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def f_staged_grad(x):
    a = x * x
    b = math.exp(a)
    c = a + b
    d = math.sqrt(c)
    dc = 0.5 / d - math.sin(c)
    dx = (dc * b + dc) * x
    dx_2 = dx + dx
    return dx_2
