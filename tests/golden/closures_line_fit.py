# Golden file: s2s_ad.grad(line_fit, wrt='w').specialize(*arguments).source, where line_fit is
# defined in examples/closures.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def line_fit_grad(w, xs, ys):
    items = []
    _t1 = min(len(xs), len(ys))
    for i in range(_t1):
        x = xs[i]
        y = ys[i]
        _t2 = w[0] * x + w[1] - y
        items.append(_t2 * _t2)
    _t3 = len(items)
    total_tape = []
    total = 0
    for i_2 in range(_t3):
        total_tape.append(total)
        total = total + items[i_2]
    ditems = zeros_like(items)
    dtotal = 1.0
    for i_3 in reversed(range(_t3)):
        total_2 = total_tape.pop()
        ditems[i_3] += unbroadcast(dtotal, items[i_3])
        dtotal = unbroadcast(dtotal, total_2)
    dw = [0.0] * len(w)
    for i_4 in reversed(range(_t1)):
        x_2 = xs[i_4]
        y_2 = ys[i_4]
        _t4 = ditems.pop()
        _t5 = _t4 * (w[0] * x_2 + w[1] - y_2)
        _t6 = _t5 + _t5
        dw[1] += _t6
        dw[0] += _t6 * x_2
    dw_2 = tuple(dw)
    return dw_2
