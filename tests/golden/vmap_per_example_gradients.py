# Golden file: s2s_ad.vmap(grad(loss, wrt=('W', 'b')), in_axes=(None, None, 0, 0)).specialize(*arguments).source, where loss is
# defined in examples/batching.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def loss_grad_vmap(W, b, x, y):
    _t1 = np.tanh(x @ W + b)
    _t2 = _t1 - y
    db = (_t2 + _t2) * (1.0 - _t1 * _t1)
    dW = np.einsum('ni,nj->nij', x, db)
    return dW, db
