# Golden file: s2s_ad.hessian(rosen).specialize(*arguments).source, where rosen is
# defined in examples/batching.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def rosen_hessian(x):
    dx = np.eye(4)
    _t1 = x[:-1]
    _t2 = dx[:, :-1]
    _t3 = _t2 * _t1
    _t4 = 100.0 * (x[1:] - _t1 * _t1)
    _t5 = (dx[:, 1:] - (_t3 + _t3)) * 100.0
    _t6 = _t5 + _t5
    _t7 = _t6 * _t1 + _t2 * (_t4 + _t4)
    ddx = np.zeros((4, 4))
    ddx[:, :-1] += _t2 + _t2 - _t7 - _t7
    ddx[:, 1:] += _t6
    hess = ddx.T
    return hess
