"""Shared by the tests: the example files, imported by path."""

import importlib.util
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    """The module ``examples/<name>.py``, imported by path (``examples`` is not a package)."""
    spec = importlib.util.spec_from_file_location(f"s2s_ad_example_{name}",
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
