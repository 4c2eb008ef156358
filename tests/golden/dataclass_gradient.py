# Golden file: s2s_ad.grad(loss, wrt='p').specialize(*arguments).source, where loss is
# defined in examples/objects.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def loss_grad(p, X, y):
    _t1 = np.tanh(X @ p.W + p.b)
    _t2 = 0.125 * (_t1 - y)
    _t3 = (_t2 + _t2) * (1.0 - _t1 * _t1)
    dp = zeros_like(p)
    add_at(dp, 'b', _t3.sum(axis=0))
    add_at(dp, 'W', X.T @ _t3)
    dp_2 = like(dp, p)
    return dp_2
