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

import numpy as np
import pytest
from support import load_example

from s2s_ad import grad

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("S2S_AD_UPDATE_GOLDEN") == "1"

# golden name -> (example file, function name, wrt[, arguments: the code specialized to them])
SHOWCASE = {
    "seed01_log_mul_sin": ("worked/log_mul_sin", "f", ("x1", "x2")),
    "seed12_computational_graph": ("worked/product_of_sums", "f", ("a", "b")),
    "seed15_sigmoid_neuron": ("worked/neuron", "neuron", ("w0", "w1", "w2", "x0", "x1")),
    "seed18_sqrt_exp_cos": ("worked/sqrt_exp_cos", "f", "x"),
    "seed18_sqrt_exp_cos_staged": ("worked/sqrt_exp_cos", "f_staged", "x"),
    "loop_recurrence": ("control_flow", "simulate", ("x", "w")),
    "branches_early_return": ("control_flow", "piecewise", ("x", "y")),
    "loop_over_list": ("control_flow", "horner", ("coeffs", "x"), ([1.0, 2.0, 3.0], 0.5)),
    "loop_early_return": ("control_flow", "newton_root", "a"),
    "numpy_mlp_loss": ("mlp", "loss", ("W1", "b1", "W2", "b2", "W3", "b3"), "mlp_arguments"),
}


def mlp_arguments() -> tuple:
    """Small arguments for examples/mlp.py's loss: 4 points, 2 -> 5 -> 5 -> 3."""
    rng = np.random.default_rng(0)
    shapes = [(2, 5), (5,), (5, 5), (5,), (5, 3), (3,), (4, 2)]
    return (*(rng.normal(size=s) for s in shapes), np.eye(3)[[0, 1, 2, 0]])


def header(example: str, function: str, wrt, specialized: bool) -> str:
    call = ".specialize(*arguments)" if specialized else ""
    return (f"# Golden file: s2s_ad.grad({function}, wrt={wrt!r}){call}.source, where {function} "
            f"is\n"
            f"# defined in examples/{example}.py. Checked by tests/test_golden.py; to accept a\n"
            f"# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.\n"
            f"# ruff: noqa\n\n")


@pytest.mark.parametrize("name", sorted(SHOWCASE))
def test_generated_source_matches_golden(name):
    example, function, wrt, *arguments = SHOWCASE[name]
    fn = getattr(load_example(example), function)
    g = grad(fn, wrt=wrt)
    if arguments:
        args = globals()[arguments[0]]() if isinstance(arguments[0], str) else arguments[0]
        g = g.specialize(*args)
    expected_text = header(example, function, wrt, bool(arguments)) + g.source
    path = GOLDEN / f"{name}.py"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(expected_text)
        return
    assert path.exists(), f"missing {path}: run with S2S_AD_UPDATE_GOLDEN=1 to create it"
    assert expected_text == path.read_text(), (
        f"generated source of {function} differs from {path.relative_to(ROOT)}; if the new "
        f"code reads better, rerun with S2S_AD_UPDATE_GOLDEN=1 and review the diff")
