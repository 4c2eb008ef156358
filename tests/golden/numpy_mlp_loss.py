# Golden file: s2s_ad.grad(loss, wrt=('W1', 'b1', 'W2', 'b2', 'W3', 'b3')).specialize(*arguments).source, where loss is
# defined in examples/mlp.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def loss_grad(W1, b1, W2, b2, W3, b3, X, Y):
    h1 = np.tanh(X @ W1 + b1)
    _t1 = np.exp(-(h1 @ W2 + b2))
    _t2 = 1 + _t1
    h2 = 1 / _t2
    h = h2 @ W3 + b3
    _t3 = np.exp(h)
    dh = (0.25 / np.sum(_t3, axis=1))[:, None] * _t3 - 0.25 * Y
    db3 = dh.sum(axis=0)
    dW3 = h2.T @ dh
    _t4 = dh @ W3.T * (h2 / _t2) * _t1
    db2 = _t4.sum(axis=0)
    dW2 = h1.T @ _t4
    _t5 = _t4 @ W2.T * (1.0 - h1 * h1)
    db1 = _t5.sum(axis=0)
    dW1 = X.T @ _t5
    return dW1, db1, dW2, db2, dW3, db3
