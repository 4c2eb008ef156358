# Golden file: s2s_ad.grad(loss, wrt=('W', 'U', 'b', 'v')).specialize(*arguments).source, where loss is
# defined in examples/rnn.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def loss_grad(W, U, b, v, inputs, target):
    T = inputs.shape[0]
    n = U.shape[0]
    h = np.zeros((T + 1, n))
    for t in range(T):
        _t1 = h[t]
        _t2 = _t1 @ U
        h[t + 1] = np.tanh(inputs[t] @ W + _t2 + b)
    _t3 = h[T]
    out = _t3 @ v
    _t4 = out - target
    dout = _t4 + _t4
    dv = dout * _t3
    dh = dout * v
    db = np.zeros((3,))
    dU = np.zeros((3, 3))
    dW = np.zeros((2, 3))
    for t_2 in reversed(range(T)):
        _t5 = h[t_2 + 1]
        db_2 = dh * (1.0 - _t5 * _t5)
        dh, db, dU, dW = U @ db_2, db + db_2, dU + np.outer(h[t_2], db_2), dW + np.outer(inputs[t_2], db_2)
    return dW, dU, db, dv
