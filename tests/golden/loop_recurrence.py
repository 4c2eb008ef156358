# Golden file: s2s_ad.grad(simulate, wrt=('x', 'w')).source, where simulate is
# defined in examples/control_flow.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def simulate_grad(x, w, n):
    if x.__class__ is not float or w.__class__ is not float:
        return simulate_grad_any(x, w, n)
    x_tape = []
    for i in range(n):
        x_tape.append(x)
        x = x + 0.1 * math.sin(w * x)
    dx = 1.0
    dw = 0.0
    for i_2 in reversed(range(n)):
        x_2 = x_tape[i_2]
        _t1 = dx * 0.1 * math.cos(w * x_2)
        dx, dw = _t1 * w + dx, dw + _t1 * x_2
    return dx, dw
