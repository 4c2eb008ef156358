# Golden file: s2s_ad.grad(piecewise, wrt=('x', 'y')).source, where piecewise is
# defined in examples/control_flow.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def piecewise_grad(x, y):
    if x.__class__ is not float or y.__class__ is not float:
        return piecewise_grad_any(x, y)
    if x < 0:
        dx = -y
        dy = -x
    else:
        t = x * x
        if t > 4:
            dt = y
            dy = t
        else:
            dt = 1.0
            dy = math.cos(y)
        dx_2 = dt * x
        dx = dx_2 + dx_2
    return dx, dy
