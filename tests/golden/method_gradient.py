# Golden file: s2s_ad.grad(model.loss, wrt='x').source, where model.loss is
# defined in examples/objects.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def loss_grad(self, x, y):
    if y.__class__ is not float:
        return loss_grad_any(self, x, y)
    _t1 = self.w
    _t2 = math.tanh(_t1 * x + self.b)
    _t3 = _t2 - y
    dx = (_t3 + _t3) * (1.0 - _t2 * _t2) * _t1
    return dx
