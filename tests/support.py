"""Shared by the tests: the example files, imported by path, and derivatives built once."""

import functools
import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    """The module ``examples/<name>.py``, imported by path (``examples`` is not a package);
    ``name`` may name a subfolder (``"worked/neuron"``)."""
    module_name = "s2s_ad_example_" + name.replace("/", "_")
    spec = importlib.util.spec_from_file_location(module_name,
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def kept(transform: Callable, f: Callable, **options) -> Callable:
    """``transform(f, **options)``, built on the first call and kept for the session.

    s2s_ad's cache holds a generated function only while something else does, so a property
    test that writes ``hessian(f, wrt=w)(*x)`` in its body builds the Hessian again for every
    example (up to tens of milliseconds); ``kept(hessian, f, wrt=w)(*x)`` builds it once.
    The broken-rule tests differentiate fresh functions: nothing kept has a broken rule."""
    return transform(f, **options)
