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

from s2s_ad import grad, hessian, jacobian, vmap

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
    "closures_line_fit": ("closures", "line_fit", "w", ((2.0, 1.0), [0.0, 1.0, 2.0],
                                                        [1.1, 2.9, 5.2])),
    "closures_partial_map": ("closures", "harmonics", ("x", "a")),
    "loop_early_return": ("control_flow", "newton_root", "a"),
    "numpy_mlp_loss": ("mlp", "loss", ("W1", "b1", "W2", "b2", "W3", "b3"), "mlp_arguments"),
    "rnn_fill_loop": ("rnn", "loss", ("W", "U", "b", "v"), "rnn_arguments"),
    "method_gradient": ("objects", "model.loss", "x"),
    "dict_comprehension": ("control_flow", "softmax_loss", ("scores", "t"),
                           ({"cat": 1.0, "dog": 2.0, "bird": 0.5}, 0.7, "cat")),
    "dataclass_gradient": ("objects", "loss", "p", "objects_arguments"),
}


def objects_arguments() -> tuple:
    """examples/objects.py's loss: a Params of a 3 x 2 W and a b of 2, 4 points."""
    module = load_example("objects")
    rng = np.random.default_rng(0)
    return (module.Params(rng.normal(size=(3, 2)), np.zeros(2)), rng.normal(size=(4, 3)),
            rng.normal(size=(4, 2)))


def mlp_arguments() -> tuple:
    """Small arguments for examples/mlp.py's loss: 4 points, 2 -> 5 -> 5 -> 3."""
    rng = np.random.default_rng(0)
    shapes = [(2, 5), (5,), (5, 5), (5,), (5, 3), (3,), (4, 2)]
    return (*(rng.normal(size=s) for s in shapes), np.eye(3)[[0, 1, 2, 0]])


def rnn_arguments() -> tuple:
    """Small arguments for examples/rnn.py's loss: 5 steps, 2 inputs, 3 hidden units."""
    return load_example("rnn").arguments(T=5, d=2, n=3)


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
    fn = load_example(example)
    for part in function.split("."):  # "model.loss": a method of an object of the example
        fn = getattr(fn, part)
    g = grad(fn, wrt=wrt)
    if arguments:
        args = globals()[arguments[0]]() if isinstance(arguments[0], str) else arguments[0]
        g = g.specialize(*args)
    _matches(name, header(example, function, wrt, bool(arguments)) + g.source)


def _matches(name: str, text: str) -> None:
    """``text`` is golden file ``name`` (written instead, with S2S_AD_UPDATE_GOLDEN=1)."""
    path = GOLDEN / f"{name}.py"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"missing {path}: run with S2S_AD_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(), (
        f"generated source differs from {path.relative_to(ROOT)}; if the new code reads "
        f"better, rerun with S2S_AD_UPDATE_GOLDEN=1 and review the diff")


def batching_arguments() -> tuple:
    return load_example("batching").arguments(batch=4)


# golden name -> (example file, function, the transform applied, its arguments)
TRANSFORMED = {
    "jacobian_seed11_numpy_rev": ("worked/jacobian", "f", "jacobian(f, mode='rev')",
                                  lambda f: jacobian(f, mode="rev"), (np.array([1.0, 2.0, 3.0]),)),
    "hessian_rosenbrock": ("batching", "rosen", "hessian(rosen)", hessian,
                           (np.array([-1.2, 1.0, 0.5, 2.0]),)),
    "jacobian_layer_rev": ("batching", "layer", "jacobian(layer, wrt='x', mode='rev')",
                           lambda f: jacobian(f, wrt="x", mode="rev"),
                           (np.ones((3, 3)), np.ones(3))),
    "vmap_per_example_gradients": (
        "batching", "loss", "vmap(grad(loss, wrt=('W', 'b')), in_axes=(None, None, 0, 0))",
        lambda f: vmap(grad(f, wrt=("W", "b")), in_axes=(None, None, 0, 0)),
        "batching_arguments"),
}


@pytest.mark.parametrize("name", sorted(TRANSFORMED))
def test_batched_source_matches_golden(name):
    """Jacobians, Hessians and vmap: one batched sweep each (docs/batching.md)."""
    example, function, written, transform, args = TRANSFORMED[name]
    g = transform(getattr(load_example(example), function))
    args = globals()[args]() if isinstance(args, str) else args
    text = (f"# Golden file: s2s_ad.{written}.specialize(*arguments).source, where {function} "
            f"is\n# defined in examples/{example}.py. Checked by tests/test_golden.py; to "
            f"accept a\n# change, rerun it with S2S_AD_UPDATE_GOLDEN=1 and review the diff.\n"
            f"# ruff: noqa\n\n") + g.specialize(*args).source
    _matches(name, text)
