# Golden file: s2s_ad.grad(horner, wrt=('coeffs', 'x')).specialize(*arguments).source, where horner is
# defined in examples/control_flow.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def horner_grad(coeffs, x):
    _t1 = len(coeffs)
    acc_tape = []
    acc = 0.0
    for c in coeffs:
        acc_tape.append(acc)
        acc = acc * x + c
    dcoeffs = [0.0] * _t1
    dacc = 1.0
    dx = 0.0
    for i in reversed(range(_t1)):
        acc_2 = acc_tape[i]
        dcoeffs[i] = dacc
        dacc, dx = dacc * x, dx + dacc * acc_2
    return dcoeffs, dx
