# Golden file: s2s_ad.grad(loss, wrt=('W', 'U', 'b', 'v')).specialize(*arguments).source, where loss is
# defined in examples/rnn.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def loss_grad(W, U, b, v, inputs, target):
    T = inputs.shape[0]
    n = U.shape[0]
    h = np.zeros((T + 1, n))
    _tape = []
    for t in range(T):
        _t1 = np.copy(h[t])
        h[t + 1] = np.tanh(inputs[t] @ W + _t1 @ U + b)
        _tape.append(_t1)
    _t2 = h[T]
    out = _t2 @ v
    _t3 = out - target
    dout = _t3 + _t3
    dv = dout * _t2
    dh = np.zeros((6, 3))
    dh[T] += dout * v
    dh_2 = dh
    db = np.zeros((3,))
    dU = np.zeros((3, 3))
    dW = np.zeros((2, 3))
    for t_2 in reversed(range(T)):
        _t4 = _tape.pop()
        _t5 = inputs[t_2]
        _t6 = t_2 + 1
        _t7 = np.copy(dh_2[_t6])
        dh_2[_t6] = 0.0
        _t8 = np.tanh(_t5 @ W + _t4 @ U + b)
        db_2 = _t7 * (1.0 - _t8 * _t8)
        dh_2[t_2] += U @ db_2
        db, dU, dW = db + db_2, dU + np.outer(_t4, db_2), dW + np.outer(_t5, db_2)
    return dW, dU, db, dv
