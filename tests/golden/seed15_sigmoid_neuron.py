# Golden file: s2s_ad.grad(neuron, wrt=('w0', 'w1', 'w2', 'x0', 'x1')).source, where neuron is
# defined in examples/worked/neuron.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def neuron_grad(w0, w1, w2, x0, x1):
    _t1 = math.exp(-(w0 * x0 + w1 * x1 + w2))
    _t2 = 1 + _t1
    dw2 = 1 / _t2 / _t2 * _t1
    dw1 = dw2 * x1
    dx1 = dw2 * w1
    dw0 = dw2 * x0
    dx0 = dw2 * w0
    return dw0, dw1, dw2, dx0, dx1
