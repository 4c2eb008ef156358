# Golden file: s2s_ad.jacobian(layer, wrt='x', mode='rev').specialize(*arguments).source, where layer is
# defined in examples/batching.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def layer_jacobian(W, x):
    _t1 = np.tanh(W @ x)
    dx = (1.0 - _t1 * _t1)[:, None] * W
    return dx
