# Golden file: s2s_ad.jacobian(f, mode='rev').specialize(*arguments).source, where f is
# defined in examples/worked/jacobian.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def f_jacobian(x):
    g = np.eye(2)
    _t1 = np.take(g, 0, axis=1)
    _t2 = np.take(g, 1, axis=1)
    dx = np.zeros((2, 3))
    dx[:, 2] += _t2 * x[1]
    dx[:, 1] += _t1 + _t2 * x[2]
    _t3 = _t1 * x[0]
    dx[:, 0] += _t3 + _t3
    return dx
