# Golden file: s2s_ad.grad(newton_root, wrt='a').source, where newton_root is
# defined in examples/control_flow.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def newton_root_grad(a, x0):
    if a.__class__ is not float or x0.__class__ is not float:
        return newton_root_grad_any(a, x0)
    try:
        x_tape = []
        returned = False
        x = x0
        trips = 0
        for k in range(50):
            x_tape.append(x)
            step = (x ** 3 + x - a) / (3 * x * x + 1)
            _t1 = abs(step) < 1e-12
            returned, x, trips = _t1, x - step, trips + 1
            if _t1:
                break
        if returned:
            dresult = 1.0
            dx = 0.0
        else:
            dresult = 0.0
            dx = 1.0
        da = 0.0
        for k_2 in reversed(range(trips)):
            x_2 = x_tape.pop()
            _t2 = 3 * x_2
            _t3 = _t2 * x_2 + 1
            step_2 = (x_2 ** 3 + x_2 - a) / _t3
            if abs(step_2) < 1e-12:
                dx_2 = dresult
            else:
                dx_2 = 0.0
            dx_3 = dx_2 + dx
            dstep = -dx_3
            _t4 = dstep / _t3
            _t5 = -(dstep * (step_2 / _t3))
            dx_4 = _t4 * (3 * (x_2 * x_2)) + (_t4 + (_t5 * x_2 * 3 + (_t5 * _t2 + dx_3)))
            dx, dresult, da = dx_4, 0.0, da - _t4
    except ZeroDivisionError as error:
        raise derivative_error(error) from None
    return da
