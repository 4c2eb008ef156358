# Golden file: s2s_ad.grad(simulate, wrt=('x', 'w'), backend='numba').specialize(*arguments).source,
# where simulate is defined in examples/control_flow.py: the code Numba compiles. Checked by
# tests/test_numba_backend.py; to accept a change, rerun it with S2S_AD_UPDATE_GOLDEN=1.
# ruff: noqa

def simulate_grad(x, w, n):
    x_tape = np.empty(n)
    for i in range(n):
        x_tape[i] = x
        x = x + 0.1 * math.sin(w * x)
    dx = 1.0
    dw = 0.0
    for i2 in range(n - 1, -1, -1):
        x2 = x_tape[i2]
        _t1 = dx * 0.1 * math.cos(w * x2)
        dx, dw = _t1 * w + dx, dw + _t1 * x2
    return dx, dw
