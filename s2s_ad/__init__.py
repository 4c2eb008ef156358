"""s2s_ad: source-to-source automatic differentiation for Python.

>>> import math, s2s_ad
>>> s2s_ad.grad(lambda x: math.sin(x) * x)(0.0)
0.0
"""

from . import numeric  # s2s_ad.numeric: finite differences, gradient checks
from . import primitives as _primitives  # noqa: F401  (fills the registry)
from .api import (
    elementwise_grad,
    grad,
    hessian,
    hvp,
    jacobian,
    jit,
    jvp,
    stats,
    value_and_grad,
    vjp,
    vmap,
)
from .custom import defjvp, defvjp
from .display import show
from .errors import (
    BackendError,
    BackendWarning,
    DifferentiationError,
    InfiniteDerivativeError,
    NoDerivativeRuleError,
    NoSourceError,
    UnsupportedSyntaxError,
)

__all__ = [
    "BackendError", "BackendWarning", "DifferentiationError", "InfiniteDerivativeError",
    "NoDerivativeRuleError", "NoSourceError", "UnsupportedSyntaxError",
    "defjvp", "defvjp", "elementwise_grad", "grad", "hessian", "hvp", "jacobian", "jit", "jvp",
    "numeric", "show", "stats", "value_and_grad", "vjp", "vmap",
]
__version__ = "0.1.0"
