"""Golden tests: the generated source of showcase functions, reviewed as diffs.

Each file ``tests/golden/<name>.py`` holds a short header (what was differentiated) and then
the exact ``.source`` of the generated gradient. A change in the optimizer or in codegen
that changes what users read shows up here as a diff to review.

To accept a change, regenerate the files and read the diff as a user would::

    S2S_AD_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
    git diff tests/golden

With ``S2S_AD_UPDATE_GOLDEN=1`` the tests rewrite the files instead of comparing (and pass).
"""

import os
from pathlib import Path

import pytest
from support import load_example

from s2s_ad import grad

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("S2S_AD_UPDATE_GOLDEN") == "1"

# golden name -> (example file, function name, wrt)
SHOWCASE = {
    "seed01_log_mul_sin": ("intro_log_mul_sin", "f", ("x1", "x2")),
    "seed12_computational_graph": ("computational_graph", "f", ("a", "b")),
    "seed15_sigmoid_neuron": ("sigmoid_neuron", "neuron", ("w0", "w1", "w2", "x0", "x1")),
    "seed18_sqrt_exp_cos": ("sqrt_exp_cos", "f", "x"),
    "seed18_sqrt_exp_cos_staged": ("sqrt_exp_cos", "f_staged", "x"),
    "loop_recurrence": ("control_flow", "simulate", ("x", "w")),
    "branches_early_return": ("control_flow", "piecewise", ("x", "y")),
    "loop_over_list": ("control_flow", "horner", ("coeffs", "x")),
}


def header(example: str, function: str, wrt) -> str:
    return (f"# Golden file: s2s_ad.grad({function}, wrt={wrt!r}).source, where {function} is\n"
            f"# defined in examples/{example}.py. Checked by tests/test_golden.py; to accept a\n"
            f"# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.\n"
            f"# ruff: noqa\n\n")


@pytest.mark.parametrize("name", sorted(SHOWCASE))
def test_generated_source_matches_golden(name):
    example, function, wrt = SHOWCASE[name]
    fn = getattr(load_example(example), function)
    expected_text = header(example, function, wrt) + grad(fn, wrt=wrt).source
    path = GOLDEN / f"{name}.py"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(expected_text)
        return
    assert path.exists(), f"missing {path}: run with S2S_AD_UPDATE_GOLDEN=1 to create it"
    assert expected_text == path.read_text(), (
        f"generated source of {function} differs from {path.relative_to(ROOT)}; if the new "
        f"code reads better, rerun with S2S_AD_UPDATE_GOLDEN=1 and review the diff")
