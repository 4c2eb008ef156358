# Golden file: s2s_ad.grad(softmax_loss, wrt=('scores', 't')).specialize(*arguments).source, where softmax_loss is
# defined in examples/control_flow.py. Checked by tests/test_golden.py; to accept a
# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.
# ruff: noqa

def softmax_loss_grad(scores, t, target):
    try:
        z_keys = []
        z_values = []
        _t1 = list(scores)
        _t2 = len(_t1)
        for i in range(_t2):
            k = _t1[i]
            v = scores[k]
            z_keys.append(k)
            z_values.append(math.exp(v / t))
        z = dict_from(z_keys, z_values)
        _t3 = list(z)
        _t4 = len(_t3)
        total_tape = []
        total = 0
        for i_2 in range(_t4):
            total_tape.append(total)
            total = total + z[_t3[i_2]]
        _t5 = z[target] / total
        _t6 = -1.0 / _t5
        dz = zeros_like(z)
        dtotal = -(_t6 * (_t5 / total))
        for i_3 in reversed(range(_t4)):
            total_2 = total_tape.pop()
            _t7 = _t3[i_3]
            add_at(dz, _t7, unbroadcast(dtotal, z[_t7]))
            dtotal = unbroadcast(dtotal, total_2)
        add_at(dz, target, _t6 / total)
        dz_values = dict_values(like(dz, z), z_keys)
        dscores = zeros_like(scores)
        dt = 0.0
        for i_4 in reversed(range(_t2)):
            k_2 = _t1[i_4]
            v_2 = scores[k_2]
            _t8 = v_2 / t
            _t9 = dz_values.pop()
            _t10 = _t9 * math.exp(_t8)
            add_at(dscores, k_2, _t10 / t)
            dt = dt - _t10 * (_t8 / t)
        dscores_2 = like(dscores, scores)
    except ZeroDivisionError as error:
        raise derivative_error(error) from None
    return dscores_2, dt
