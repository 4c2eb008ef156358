"""The NumPy rule table's rows: every differentiable NumPy primitive, written as a user writes it.

A row is ``Case(name, fn, inputs, domain, wrt)``: ``inputs`` is a hypothesis strategy of
argument tuples -- arrays of drawn shapes and values, all inside ``domain``, where ``fn`` is
smooth: kinks (``np.abs`` at 0, ties of ``np.maximum`` or ``np.max``, the bounds of
``np.clip``) and singularities (``np.log`` at 0, ``np.arcsin`` at +-1, a singular matrix) are
kept at least ``MARGIN`` away, more than the finite-difference steps the tests use.
``wrt`` lists the arguments to differentiate (``None``: all of them; integer index arrays
are held fixed).

Shapes are written with letters: the same lowercase letter is the same size in every
operand of a row, drawn from 1..4; an uppercase letter is drawn from 2..4 (an axis a
reduction must see at least two entries of). ``()`` is a Python float. Rows of float32
arrays have ``float32`` in their name.

The functions are ``def``s on purpose: s2s_ad reads their source. Most return an array or a
number as the primitive gives it; the tests project array results onto a random cotangent.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st

MARGIN = 0.01  # distance kept from kinks, ties and singularities
MAX_SIZE = 4  # the largest drawn size of an axis


class Case(NamedTuple):
    name: str
    fn: Callable[..., Any]
    inputs: st.SearchStrategy[tuple[Any, ...]]
    domain: str
    wrt: tuple[int, ...] | None = None  # None: every argument


# --- strategies -----------------------------------------------------------------------------
# Hypothesis draws the shapes and a seed; NumPy draws the entries from the row's domain (a
# float drawn by hypothesis costs about half a millisecond, an array of them too much for a
# table of this size). The seed shrinks like any integer, and a falsifying example prints
# the arrays it drew.
class Uniform(NamedTuple):
    """Entries in ``[lo, hi]``."""

    lo: float
    hi: float

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(self.lo, self.hi, shape)


class Away(NamedTuple):
    """Entries with ``lo <= |x| <= hi``, either sign."""

    lo: float
    hi: float

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(self.lo, self.hi, shape) * rng.choice([-1.0, 1.0], shape)


class Between(NamedTuple):
    """Entries in ``[lo, hi]`` at least ``5 * MARGIN`` from each of ``points``."""

    points: tuple[float, ...]
    lo: float = -3.0
    hi: float = 3.0

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        edges = [self.lo, *sorted(self.points), self.hi]
        pieces = [(a + 5 * MARGIN, b - 5 * MARGIN) for a, b in zip(edges, edges[1:])
                  if b - a > 10 * MARGIN]
        lengths = np.array([b - a for a, b in pieces])
        k = rng.choice(len(pieces), shape, p=lengths / lengths.sum())
        lo = np.array([a for a, _ in pieces])[k]
        return lo + rng.uniform(0.0, 1.0, shape) * lengths[k]


Elements = Uniform | Away | Between

ANY = Uniform(-3.0, 3.0)
SMALL = Uniform(-1.5, 1.5)
POSITIVE = Uniform(0.2, 3.0)
NONZERO = Away(0.5, 3.0)
UNIT = Uniform(-0.9, 0.9)
NEAR_ONE = Away(0.6, 1.5)  # products of a few entries stay moderate, far from 0

Shape = tuple[int | str, ...]
SEEDS = st.integers(0, 2**32 - 1)


def _sizes(draw, shapes: tuple[Shape, ...]) -> dict[str, int]:
    letters = sorted({d for s in shapes for d in s if isinstance(d, str)})
    return {c: draw(st.integers(2 if c.isupper() else 1, MAX_SIZE), label=c) for c in letters}


def _concrete(shape: Shape, sizes: dict[str, int]) -> tuple[int, ...]:
    return tuple(sizes[d] if isinstance(d, str) else d for d in shape)


def _finish(values: np.ndarray, shape: tuple[int, ...], dtype) -> Any:
    if shape == ():
        return float(np.ravel(values)[0])
    return np.asarray(values, dtype=np.float64).reshape(shape).astype(dtype)


def operands(*shapes: Shape, elements: Elements | tuple[Elements, ...] = ANY, dtype=np.float64,
             where: Callable[..., bool] | None = None) -> st.SearchStrategy[tuple]:
    """One array per shape (``()``: a Python float), entries drawn from ``elements`` (one
    domain, or one per operand); ``where`` filters whole tuples."""
    single = isinstance(elements, (Uniform, Away, Between))
    per = (elements,) * len(shapes) if single else elements
    assert len(per) == len(shapes), (shapes, per)

    @st.composite
    def draw_args(draw):
        sizes = _sizes(draw, shapes)
        rng = np.random.default_rng(draw(SEEDS, label="seed"))
        return tuple(_finish(elem.sample(rng, _concrete(shape, sizes)), _concrete(shape, sizes),
                             dtype) for shape, elem in zip(shapes, per))

    strategy = draw_args()
    return strategy if where is None else strategy.filter(lambda args: where(*args))


def distinct(*shapes: Shape, lo: float = -3.0, hi: float = 3.0,
             dtype=np.float64) -> st.SearchStrategy[tuple]:
    """Like :func:`operands`, but every entry of every operand differs from every other by
    at least half of ``(hi - lo) / (number of entries)``: no ties anywhere."""

    @st.composite
    def draw_args(draw):
        sizes = _sizes(draw, shapes)
        rng = np.random.default_rng(draw(SEEDS, label="seed"))
        concrete = [_concrete(s, sizes) for s in shapes]
        counts = [math.prod(c) for c in concrete]
        total = sum(counts)
        step = (hi - lo) / total
        values = lo + (rng.permutation(total) + 0.25 + rng.uniform(0.0, 0.5, total)) * step
        out, start = [], 0
        for shape, n in zip(concrete, counts):
            out.append(_finish(values[start:start + n], shape, dtype))
            start += n
        return tuple(out)

    return draw_args()


def with_index(shape: Shape, index: tuple[int, ...], elements: Elements = ANY,
               dtype=np.float64) -> st.SearchStrategy[tuple]:
    """``(x, idx)``: an array and a fixed integer index array (with repeats)."""
    return operands(shape, elements=elements, dtype=dtype).map(
        lambda args: (args[0], np.array(index)))


@st.composite
def _well_conditioned(draw, extra: tuple[Shape, ...]) -> tuple:
    """A ``n x n`` matrix ``+-3 I + R`` with ``|R_ij| <= 0.5`` (diagonally dominant: far from
    singular), then operands of shapes ``extra`` (``"n"`` is the matrix size)."""
    a, *rest = draw(operands(("n", "n"), *extra, elements=(Uniform(-0.5, 0.5),)
                             + (ANY,) * len(extra)))
    sign = draw(st.sampled_from([1.0, -1.0]), label="sign")
    return (a + 3.0 * sign * np.eye(len(a)), *rest)


def matrices(*extra: Shape) -> st.SearchStrategy[tuple]:
    return _well_conditioned(extra)


def _stack_of_matrices() -> st.SearchStrategy[tuple]:
    """A stack of two ``n x n`` matrices ``3 I + R``, ``|R_ij| <= 0.5``."""
    return operands((2, "n", "n"), elements=Uniform(-0.5, 0.5)).map(
        lambda args: (args[0] + 3.0 * np.eye(args[0].shape[-1]),))


def _far_from_bounds(x, lo, hi) -> bool:
    return (np.min(np.abs(np.subtract(x, lo))) > 5 * MARGIN
            and np.min(np.abs(np.subtract(x, hi))) > 5 * MARGIN)


# --- the functions --------------------------------------------------------------------------
# operators
def add(x, y):
    return x + y


def sub(x, y):
    return x - y


def mul(x, y):
    return x * y


def truediv(x, y):
    return x / y


def pow_(x, y):
    return x**y


def matmul_op(x, y):
    return x @ y


def neg(x):
    return -x


def pos_neg_mix(x, y):
    return -(x * 2.0) + (+y) - 1.0 / (1.0 + x * x)


def pow_int(x):
    return x**3


def pow_negative_int(x):
    return x**-2


def pow_half(x):
    return x**0.5


def rpow_const(x):
    return 2.0**x


def scalar_ops(x, s):
    return (s * x - x / s + s) ** 2 / (1.0 + s * s)


def const_ops(x):
    return 3.0 * x - x / 4.0 + 1.5 - 2.0 / (x * x + 1.0)


# elementwise
def sin(x):
    return np.sin(x)


def cos(x):
    return np.cos(x)


def tan(x):
    return np.tan(x)


def arcsin(x):
    return np.arcsin(x)


def arccos(x):
    return np.arccos(x)


def arctan(x):
    return np.arctan(x)


def sinh(x):
    return np.sinh(x)


def cosh(x):
    return np.cosh(x)


def tanh(x):
    return np.tanh(x)


def exp(x):
    return np.exp(x)


def expm1(x):
    return np.expm1(x)


def log(x):
    return np.log(x)


def log1p(x):
    return np.log1p(x)


def log2(x):
    return np.log2(x)


def log10(x):
    return np.log10(x)


def sqrt(x):
    return np.sqrt(x)


def square(x):
    return np.square(x)


def absolute(x):
    return np.abs(x)


def negative(x):
    return np.negative(x)


def sign_in_expression(x):
    return np.sign(x) * x * x


def floor_in_expression(x):
    return np.floor(x) * x + np.ceil(x)


def arctan2(y, x):
    return np.arctan2(y, x)


def power(x, y):
    return np.power(x, y)


def maximum(x, y):
    return np.maximum(x, y)


def minimum(x, y):
    return np.minimum(x, y)


def logaddexp(x, y):
    return np.logaddexp(x, y)


def multiply(x, y):
    return np.multiply(x, y)


def where(c, x, y):
    return np.where(c > 0.0, x * x, np.sin(y))


def where_inline(x):
    return np.where(x > 0.0, x, 0.1 * x)


def clip_const(x):
    return np.clip(x, -1.0, 1.0)


def clip_arrays(x, lo, hi):
    return np.clip(x, lo, hi)


def clip_lower_only(x):
    return np.clip(x, 0.0, None)


def elementwise_chain(x):
    return np.sum(np.exp(np.sin(x)) * np.log1p(x * x) + np.tanh(x) ** 2)


# reductions
def sum_all(x):
    return np.sum(x)


def sum_axis0(x):
    return np.sum(x, axis=0)


def sum_axis_negative_keepdims(x):
    return np.sum(x, axis=-1, keepdims=True)


def sum_axis_tuple(x):
    return np.sum(x, axis=(0, 2))


def sum_keepdims(x):
    return np.sum(x, axis=1, keepdims=True)


def positional_axis(x):
    return np.sum(x, 0) + x.sum(1).sum() + np.mean(x, 1)


def axis_none(x):
    return np.sum(x, axis=None) * np.max(x, axis=None, keepdims=True)


def mean_all(x):
    return np.mean(x)


def mean_axis1(x):
    return np.mean(x, axis=1)


def mean_tuple_keepdims(x):
    return np.mean(x, axis=(0, -1), keepdims=True)


def mean_axis_tuple_keepdims(x):
    return np.mean(x, axis=(0, 2), keepdims=True)


def prod_all(x):
    return np.prod(x)


def prod_axis(x):
    return np.prod(x, axis=-1)


def prod_keepdims(x):
    return np.prod(x, axis=0, keepdims=True)


def max_all(x):
    return np.max(x)


def max_axis0_keepdims(x):
    return np.max(x, axis=0, keepdims=True)


def max_axis_tuple(x):
    return np.max(x, axis=(1, 2))


def min_all(x):
    return np.min(x)


def min_axis_negative(x):
    return np.min(x, axis=-1)


def var_all(x):
    return np.var(x)


def var_axis_ddof(x):
    return np.var(x, axis=0, ddof=1)


def var_tuple_keepdims(x):
    return np.var(x, axis=(0, 1), keepdims=True)


def std_all(x):
    return np.std(x)


def std_axis_ddof(x):
    return np.std(x, axis=-1, ddof=1)


def std_axis0_ddof(x):
    return np.std(x, axis=0, ddof=1)


def std_keepdims(x):
    return np.std(x, axis=1, keepdims=True)


def norm_vector(x):
    return np.linalg.norm(x)


def norm_frobenius(x):
    return np.linalg.norm(x, "fro")


def norm_axis(x):
    return np.linalg.norm(x, axis=1)


def norm_axis_keepdims(x):
    return np.linalg.norm(x, axis=0, keepdims=True)


# linear algebra
def np_matmul(x, y):
    return np.matmul(x, y)


def dot(x, y):
    return np.dot(x, y)


def outer(x, y):
    return np.outer(x, y)


def inner(x, y):
    return np.inner(x, y)


def transpose_attr(x):
    return x.T * np.arange(1.0, 1.0 + x.shape[0])


def transpose_fn(x):
    return np.transpose(x)


def transpose_axes(x):
    return np.transpose(x, (1, 2, 0))


def trace(x):
    return np.trace(x)


def gram(x):
    return np.sum((x.T @ x) ** 2)


def solve(a, b):
    return np.linalg.solve(a, b)


def inv(a):
    return np.linalg.inv(a)


def det(a):
    return np.linalg.det(a)


def quadratic_form(a, x):
    return x @ np.linalg.inv(a) @ x + np.log(np.abs(np.linalg.det(a)))


# shapes
def reshape_tuple(x):
    return np.reshape(x, (3, 2))


def reshape_minus_one(x):
    return np.reshape(x, (-1,)) * np.arange(x.size)


def reshape_runtime_shape(x):
    return np.reshape(x, (x.shape[1], x.shape[0]))


def ravel(x):
    return np.ravel(x)


def squeeze(x):
    return np.squeeze(x)


def squeeze_axis(x):
    return np.squeeze(x, axis=0)


def expand_dims(x):
    return np.expand_dims(x, 0) * np.ones((2, 1))


def expand_dims_negative(x):
    return np.expand_dims(x, axis=-1)


def broadcast_to(x):
    return np.broadcast_to(x, (4, 3)) * np.outer(np.arange(1.0, 5.0), np.ones(3))


def constant_array_method(x):
    return x * np.arange(6.0).reshape(2, 3)


def constant_array_slice(x):
    return x * np.arange(4.0)[:, None]


def concatenate(x, y):
    return np.concatenate((x, y))


def concatenate_axis1(x, y):
    return np.concatenate([x, y, x], axis=1)


def stack(x, y):
    return np.stack((x, y))


def stack_axis_last(x, y):
    return np.stack([x, y], axis=-1)


def stack_axis1(x, y):
    return np.stack([x, y], axis=1)


def array_of_appended(x, y):
    rows = []
    for k in range(3):
        rows.append(x * (k + 1.0) + y)
    return np.array(rows)


def stack_of_appended(x, y):
    rows = []
    for k in range(2):
        rows.append(np.sin(x) * y ** k)
    return np.stack(rows, axis=1)


def concatenate_of_appended(x, y):
    pieces = []
    for k in range(2):
        pieces.append(x * y[k])
    return np.concatenate(pieces)


def hstack_of_appended(x, y):
    pieces = []
    for k in range(2):
        pieces.append(x[k] * y)
    return np.hstack(pieces)


def vstack_of_appended(x, y):
    rows = []
    for k in range(3):
        rows.append(x * k + y)
    return np.vstack(rows)


def split_halves(x):
    parts = np.split(x, 2)
    return parts[0] * parts[1] ** 2


def moveaxis(x):
    return np.moveaxis(x, 0, -1) ** 2


def hstack(x, y):
    return np.hstack((x, y))


def hstack_2d(x, y):
    return np.hstack((x, y))


def vstack(x, y):
    return np.vstack((x, y))


def vstack_2d(x, y):
    return np.vstack((x, y))


def cumsum(x):
    return np.cumsum(x)


def cumsum_axis0(x):
    return np.cumsum(x, axis=0)


def cumsum_axis_negative(x):
    return np.cumsum(x, axis=-1)


def take(x, idx):
    return np.take(x, idx)


def take_axis(x, idx):
    return np.take(x, idx, axis=1)


def flip(x):
    return np.flip(x)


def flip_axis(x):
    return np.flip(x, axis=0)


def swapaxes(x):
    return np.swapaxes(x, 0, 2)


def np_copy(x):
    return np.copy(x) * x


def einsum_matmul(x, y):
    return np.einsum("ij,jk->ik", x, y)


def einsum_dot(x, y):
    return np.einsum("i,i->", x, y)


def einsum_sum(x):
    return np.einsum("ij->", x)


def einsum_transpose(x):
    return np.einsum("ij->ji", x)


def einsum_batch(x, y):
    return np.einsum("bij,bj->bi", x, y)


def einsum_implicit(x, y):
    return np.einsum("ij,jk", x, y)


def einsum_outer(x, y):
    return np.einsum("i,j->ij", x, y)


def einsum_three(x, y, z):
    return np.einsum("ij,jk,k->i", x, y, z)


def einsum_broadcast_index(x, y):
    return np.einsum("ij,k->ik", x, y)



# orderings and rearrangements
def diagonal(x):
    return np.diagonal(x)


def diagonal_offset(x):
    return np.diagonal(x, 1) * np.sum(np.diagonal(x, offset=-1) ** 2)


def diagonal_axes(x):
    return np.diagonal(x, -1, axis1=2, axis2=0)


def method_diagonal(x):
    return x.diagonal(1)


def atleast_1d_number(s):
    return np.atleast_1d(s) * np.arange(1.0, 3.0)


def atleast_2d(x):
    return np.atleast_2d(x) ** 2


def atleast_3d(x):
    return np.atleast_3d(x) * np.arange(1.0, 3.0)


def roll_flat(x):
    return np.roll(x, 1) * np.arange(x.size).reshape(x.shape)


def roll_axis(x):
    return np.roll(x, -1, axis=0) * x


def roll_axes(x):
    return np.roll(x, (1, 2), axis=(0, 1)) ** 2


def tile(x):
    return np.tile(x, 3) * np.arange(3.0 * len(x))


def tile_promoted(x):
    return np.sin(np.tile(x, (2, 1, 2)))


def repeat_flat(x):
    return np.repeat(x, 2) * np.arange(2.0 * x.size)


def repeat_axis(x):
    return np.repeat(x, 3, axis=1) ** 2


def method_repeat(x):
    return x.repeat(2, axis=-2) * np.sin(x.repeat(2, axis=0))


def sort(x):
    return np.sort(x) * np.arange(x.shape[-1])


def sort_axis0(x):
    return np.sort(x, axis=0) ** 2 * np.arange(1.0, 1.0 + x.shape[0])[:, None]


def sort_flat(x):
    return np.sin(np.sort(x, axis=None)) * np.arange(x.size)


def index_argmax(x):
    return x[np.argmax(x)] * x + x[np.argmin(x)]


def argmax_axis(x):
    return np.take_along_axis(x, np.argmax(x, axis=1, keepdims=True), axis=1) ** 2


def argmin_axis(x):
    return x[np.argmin(x, axis=0), np.arange(x.shape[1])] * x


def index_argsort(x):
    return x[np.argsort(x)] * np.arange(len(x))


def method_arg(x):
    return x[x.argmax()] * x[x.argmin()] + x[x.argsort()] ** 2


def take_along_axis(x, idx):
    return np.take_along_axis(x, idx, axis=0)


def slogdet(a):
    return np.linalg.slogdet(a)[1]


def slogdet_unpacked(a):
    sign, logdet = np.linalg.slogdet(a)
    return sign * logdet ** 2 + np.sum(a * a)


def method_clip_one_bound(x):
    return x.clip(-1.0) * x.clip(max=1.0)


def flip_axes(x):
    return np.flip(x, axis=(0, -1)) * x


# indexing
def index_int(x):
    return x[1] * x[-1]


def index_slice(x):
    return x[1:3]


def index_step(x):
    return x[::2] * x[::-2]


def index_column(x):
    return x[:, 0]


def index_2d_slices(x):
    return x[1:, :-1]


def index_two_ints(x):
    return x[0, 1] * x[-1, 0] + x[1][0]


def index_none(x):
    return x[None] * x[:, None]


def index_ellipsis(x):
    return x[..., 0] + x[0, ...]


def index_array_argument(x, idx):
    return x[idx]


def index_array_constant(x):
    return x[np.array([0, 2, 0, 0])]


def index_list_constant(x):
    return x[[0, 1, 1]]


def index_array_and_int(x, idx):
    return x[idx, 0]


def index_two_arrays(x):
    return x[np.array([0, 1, 0]), np.array([1, 0, 1])]


def index_mask_computed(x):
    return np.sum(x[x > 0.0] ** 2)


def index_mask_argument(x, mask):
    return x[mask] * 2.0


# array methods and attributes
def method_sum_axis(x):
    return x.sum(axis=0)


def method_reshape(x):
    return x.reshape(3, 2)


def method_reshape_tuple(x):
    return x.reshape((3, 2))


def method_mean(x):
    return x.mean()


def method_max(x):
    return x.max()


def method_min_axis(x):
    return x.min(axis=1)


def method_prod(x):
    return x.prod()


def method_var(x):
    return x.var(ddof=1)


def method_std(x):
    return x.std(axis=0)


def method_ravel(x):
    return x.ravel() + x.flatten()


def method_squeeze(x):
    return x.squeeze()


def method_transpose(x):
    return x.transpose() + x.transpose(1, 0)


def method_cumsum(x):
    return x.cumsum(axis=1)


def method_dot(x, y):
    return x.dot(y)


def method_clip(x):
    return x.clip(-1.0, 1.0)


def method_copy(x):
    return x.copy() * x


def method_swapaxes(x):
    return x.swapaxes(0, 1)


def method_take(x, idx):
    return x.take(idx)


def attributes(x):
    return np.sum(x) / x.size + x.ndim * np.sum(x * x) / x.shape[0] + len(x)


# constructors used inside
def zeros_plus(x):
    return np.zeros(3) + x


def ones_times(x):
    return np.ones((2, 3)) * x


def arange_weights(x):
    return np.sum(np.arange(1.0, 4.0) * x)


def arange_runtime(x):
    return np.arange(len(x)) * x


def linspace_weights(x):
    return np.linspace(0.0, 1.0, 4) @ x


def eye_matmul(x):
    return (np.eye(3) * 2.0 + x) @ x


def like_constructors(x):
    return np.zeros_like(x) + np.ones_like(x) * x + np.full_like(x, 2.0) * x * x


def full_runtime_shape(x):
    return np.full(x.shape, 3.0) * x + np.ones(x.shape) / (1.0 + x * x)


# constructors of differentiated values
def linspace_ends(a, b):
    return np.sin(np.linspace(a, b, 5))


def linspace_no_endpoint(t, x):
    return np.linspace(0.0, t, num=4, endpoint=False) * x


def linspace_vector_start(a, b):
    return np.cos(np.linspace(a, b, 3))


def full_fill(a):
    return np.sin(np.full((2, 3), a))


def full_fill_row(v):
    return np.full((2, len(v)), v) ** 2


def full_like_fill(x, a):
    return np.full_like(x, a) * x


def arange_start_step(a, h):
    return np.sin(np.arange(a, 4.0, h))


def arange_stop(b):
    return np.arange(1.0, b) * b


# mixes with Python numbers and control flow
def math_times_sum(s, x):
    return math.exp(s) * np.sum(x)


def math_of_reduction(x):
    return math.sin(np.sum(x)) + math.sqrt(1.0 + np.sum(x * x))


def array_of_scalars(a, b):
    v = np.array([a * b, math.sin(a), b])
    return np.sum(v * v) + v[0]


def array_nested(a, b):
    m = np.array([[a, b], [b * b, 2.0 + a]])
    return np.linalg.det(m) + np.sum(m @ m)


def loop_over_array(x):
    total = 0.0
    for a in x:
        total = total + a * a * a
    return total


def loop_over_rows(x):
    total = 0.0
    for row in x:
        total = total + np.sum(np.sin(row) * row)
    return total


def loop_index(x, y):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * y[i] * x[i]
    return total


def loop_carry_array(w, x):
    h = np.zeros(w.shape[0])
    for i in range(x.shape[0]):
        h = np.tanh(w @ h + x[i])
    return np.sum(h * h)


def branch_on_array(x):
    if np.sum(x) > 0.0:
        y = x * x
    else:
        y = np.sin(x)
    return np.sum(y)


def augmented_assignment(x, y):
    z = np.sin(x)
    z *= y
    z += x
    z /= 1.0 + y * y
    return z


# float32: the gradient keeps the operand's dtype
def float32_sin_sum(x):
    return np.sum(np.sin(x) * x)


def float32_broadcast(x, y):
    return x * y + x / (1.0 + y * y)


def float32_matmul(x, y):
    return x @ y


def float32_reduce(x):
    return np.mean(x, axis=0) + np.max(x, axis=0)


def float32_index(x):
    return x[1:] * x[0]


def float32_exp_norm(x):
    return np.exp(x) / np.linalg.norm(x)


# --- the rows -------------------------------------------------------------------------------
def _broadcast_patterns() -> list[tuple[str, Shape, Shape]]:
    """Operand shapes of the binary rows: equal, and every way of broadcasting."""
    return [("same", ("m", "n"), ("m", "n")),
            ("3x1-4", (3, 1), (4,)),
            ("2x3-3", (2, 3), (3,)),
            ("scalar-array", (), ("m", "n")),
            ("array-scalar", ("n",), ()),
            ("1-5", (1,), (5,)),
            ("2x1x3-4x1", (2, 1, 3), (4, 1))]


PATTERNS = _broadcast_patterns()

# (function, elements of x, elements of y, domain): the binary elementwise rows
_BINARY = [
    (add, ANY, ANY, "all x, y"),
    (sub, ANY, ANY, "all x, y"),
    (mul, ANY, ANY, "all x, y"),
    (truediv, ANY, NONZERO, "|y| >= 0.5"),
    (pow_, POSITIVE, Uniform(-2.0, 2.0), "x >= 0.2, |y| <= 2"),
    (power, POSITIVE, Uniform(-2.0, 2.0), "x >= 0.2, |y| <= 2"),
    (arctan2, NONZERO, ANY, "|y| >= 0.5 (off the origin and the cut)"),
    (logaddexp, ANY, ANY, "all x, y"),
    (multiply, ANY, ANY, "all x, y"),
]
_TIES = [(maximum, "no ties"), (minimum, "no ties")]


def _binary_rows() -> list[Case]:
    rows = []
    for fn, ex, ey, domain in _BINARY:
        for label, sx, sy in PATTERNS:
            rows.append(Case(f"{fn.__name__}[{label}]", fn, operands(sx, sy, elements=(ex, ey)),
                             domain))
    for fn, domain in _TIES:
        for label, sx, sy in PATTERNS:
            rows.append(Case(f"{fn.__name__}[{label}]", fn, distinct(sx, sy), domain))
    return rows


N = ("n",)
MAT = ("m", "n")
SQ = ("n", "n")

CASES: list[Case] = [
    *_binary_rows(),
    # operators
    Case("matmul_op[2d]", matmul_op, operands(("m", "k"), ("k", "n")), "all"),
    Case("neg", neg, operands(MAT), "all x"),
    Case("pos_neg_mix", pos_neg_mix, operands(MAT, ("n",)), "all x, y"),
    Case("pow_int", pow_int, operands(MAT), "all x"),
    Case("pow_negative_int", pow_negative_int, operands(MAT, elements=Away(0.3, 3.0)),
         "|x| >= 0.3"),
    Case("pow_half", pow_half, operands(MAT, elements=POSITIVE), "x >= 0.2"),
    Case("rpow_const", rpow_const, operands(MAT), "all x"),
    Case("scalar_ops", scalar_ops, operands(MAT, (), elements=(ANY, NONZERO)), "|s| >= 0.5"),
    Case("const_ops", const_ops, operands(MAT), "all x"),
    # elementwise
    Case("sin", sin, operands(MAT), "all x"),
    Case("cos", cos, operands(MAT), "all x"),
    Case("tan", tan, operands(MAT, elements=Uniform(-1.4, 1.4)), "|x| <= 1.4"),
    Case("arcsin", arcsin, operands(MAT, elements=UNIT), "|x| <= 0.9"),
    Case("arccos", arccos, operands(MAT, elements=UNIT), "|x| <= 0.9"),
    Case("arctan", arctan, operands(MAT), "all x"),
    Case("sinh", sinh, operands(MAT), "|x| <= 3"),
    Case("cosh", cosh, operands(MAT), "|x| <= 3"),
    Case("tanh", tanh, operands(MAT), "|x| <= 3"),
    Case("exp", exp, operands(MAT), "|x| <= 3"),
    Case("expm1", expm1, operands(MAT), "|x| <= 3"),
    Case("log", log, operands(MAT, elements=POSITIVE), "x >= 0.2"),
    Case("log1p", log1p, operands(MAT, elements=Uniform(-0.8, 3.0)), "x >= -0.8"),
    Case("log2", log2, operands(MAT, elements=POSITIVE), "x >= 0.2"),
    Case("log10", log10, operands(MAT, elements=POSITIVE), "x >= 0.2"),
    Case("sqrt", sqrt, operands(MAT, elements=POSITIVE), "x >= 0.2"),
    Case("square", square, operands(MAT), "all x"),
    Case("abs", absolute, operands(MAT, elements=Away(MARGIN, 3.0)), f"|x| >= {MARGIN}"),
    Case("negative", negative, operands(MAT), "all x"),
    Case("sign_in_expression", sign_in_expression, operands(MAT, elements=Away(MARGIN, 3.0)),
         f"|x| >= {MARGIN}"),
    Case("floor_in_expression", floor_in_expression,
         operands(MAT, elements=Between((-2.0, -1.0, 0.0, 1.0, 2.0))), "x off the integers"),
    Case("where[3x1-4-scalar]", where,
         operands((3, 1), (4,), (), elements=(Away(0.1, 3.0), ANY, ANY)), "|c| >= 0.1"),
    Case("where[same]", where, operands(MAT, MAT, MAT, elements=(Away(0.1, 3.0), ANY, ANY)),
         "|c| >= 0.1"),
    Case("where_inline", where_inline, operands(MAT, elements=Away(0.1, 3.0)), "|x| >= 0.1"),
    Case("clip_const", clip_const, operands(MAT, elements=Between((-1.0, 1.0))),
         "x at least 0.05 from the bounds"),
    Case("clip_arrays[2x3-3-scalar]", clip_arrays,
         operands(("m", "n"), ("n",), (), elements=(ANY, Uniform(-2.0, -0.5), Uniform(0.5, 2.0)),
                  where=_far_from_bounds), "lo < 0 < hi, x at least 0.05 from both"),
    Case("clip_arrays[same]", clip_arrays,
         operands(N, N, N, elements=(ANY, Uniform(-2.0, -0.5), Uniform(0.5, 2.0)),
                  where=_far_from_bounds), "lo < 0 < hi, x at least 0.05 from both"),
    Case("clip_lower_only", clip_lower_only, operands(MAT, elements=Between((0.0,))),
         "x at least 0.05 from 0"),
    Case("elementwise_chain", elementwise_chain, operands(MAT), "all x"),
    # reductions
    Case("sum_all", sum_all, operands(("m", "n", "k")), "all x"),
    Case("sum_axis0", sum_axis0, operands(MAT), "all x"),
    Case("sum_axis_negative_keepdims", sum_axis_negative_keepdims, operands(("m", "n", "k")),
         "all x"),
    Case("sum_axis_tuple", sum_axis_tuple, operands(("m", "n", "k")), "all x"),
    Case("sum_keepdims", sum_keepdims, operands(("m", "n", "k")), "all x"),
    Case("positional_axis", positional_axis, operands(SQ), "all x"),
    Case("axis_none", axis_none, distinct(MAT), "no ties"),
    Case("mean_all", mean_all, operands(MAT), "all x"),
    Case("mean_axis1", mean_axis1, operands(("m", "n", "k")), "all x"),
    Case("mean_tuple_keepdims", mean_tuple_keepdims, operands(("m", "n", "k")), "all x"),
    Case("mean_axis_tuple_keepdims", mean_axis_tuple_keepdims, operands(("m", "n", "k")),
         "all x"),
    Case("prod_all", prod_all, operands(("m", "n"), elements=NEAR_ONE), "0.6 <= |x| <= 1.5"),
    Case("prod_axis", prod_axis, operands(("m", "n"), elements=NEAR_ONE), "0.6 <= |x| <= 1.5"),
    Case("prod_keepdims", prod_keepdims, operands(("m", "n"), elements=NEAR_ONE),
         "0.6 <= |x| <= 1.5"),
    Case("max_all", max_all, distinct(MAT), "no ties"),
    Case("max_axis0_keepdims", max_axis0_keepdims, distinct(MAT), "no ties"),
    Case("max_axis_tuple", max_axis_tuple, distinct(("m", "n", "k")), "no ties"),
    Case("min_all", min_all, distinct(("m", "n", "k")), "no ties"),
    Case("min_axis_negative", min_axis_negative, distinct(MAT), "no ties"),
    Case("var_all", var_all, operands(("M", "n")), "all x"),
    Case("var_axis_ddof", var_axis_ddof, operands(("M", "n")), "all x"),
    Case("var_tuple_keepdims", var_tuple_keepdims, operands(("M", "n", "k")), "all x"),
    Case("std_all", std_all, distinct(("M", "n")), "not all equal"),
    Case("std_axis_ddof", std_axis_ddof, distinct(("m", "N")), "not all equal"),
    Case("std_axis0_ddof", std_axis0_ddof, distinct(("N", "m")), "not all equal"),
    Case("std_keepdims", std_keepdims, distinct(("m", "N", "k")), "not all equal"),
    Case("norm_vector", norm_vector, operands(N, elements=NONZERO), "x != 0"),
    Case("norm_frobenius", norm_frobenius, operands(MAT, elements=NONZERO), "x != 0"),
    Case("norm_axis", norm_axis, operands(MAT, elements=NONZERO), "x != 0"),
    Case("norm_axis_keepdims", norm_axis_keepdims, operands(MAT, elements=NONZERO), "x != 0"),
    # linear algebra
    Case("matmul_op[1d-1d]", matmul_op, operands(N, N), "all"),
    Case("matmul_op[2d-1d]", matmul_op, operands(MAT, N), "all"),
    Case("matmul_op[1d-2d]", matmul_op, operands(("m",), MAT), "all"),
    Case("matmul_op[batched]", matmul_op, operands(("b", "m", "k"), ("b", "k", "n")), "all"),
    Case("matmul_op[batch-broadcast]", matmul_op, operands((2, 1, "m", "k"), (3, "k", "n")),
         "all"),
    Case("matmul_op[3d-2d]", matmul_op, operands(("b", "m", "k"), ("k", "n")), "all"),
    Case("matmul_op[2d-3d]", matmul_op, operands(("m", "k"), ("b", "k", "n")), "all"),
    Case("matmul_op[3d-1d]", matmul_op, operands(("b", "m", "k"), ("k",)), "all"),
    Case("np_matmul[2d]", np_matmul, operands(("m", "k"), ("k", "n")), "all"),
    Case("np_matmul[batched-1d]", np_matmul, operands(("k",), ("b", "k", "n")), "all"),
    Case("dot[1d]", dot, operands(N, N), "all"),
    Case("dot[2d]", dot, operands(("m", "k"), ("k", "n")), "all"),
    Case("dot[2d-1d]", dot, operands(MAT, N), "all"),
    Case("outer", outer, operands(("m",), N), "all"),
    Case("outer[2d]", outer, operands(MAT, N), "all (np.outer ravels its operands)"),
    Case("inner[1d]", inner, operands(N, N), "all"),
    Case("inner[2d]", inner, operands(("m", "k"), ("n", "k")), "all"),
    Case("transpose_attr", transpose_attr, operands(MAT), "all"),
    Case("transpose_fn", transpose_fn, operands(MAT), "all"),
    Case("transpose_axes", transpose_axes, operands(("m", "n", "k")), "all"),
    Case("trace[square]", trace, operands(SQ), "all"),
    Case("trace[wide]", trace, operands((2, 3)), "all"),
    Case("gram", gram, operands(MAT), "all"),
    Case("solve[vector]", solve, matrices(("n",)), "a = 3I + R, |R_ij| <= 0.5"),
    Case("solve[matrix]", solve, matrices(("n", "k")), "a = 3I + R, |R_ij| <= 0.5"),
    Case("inv", inv, matrices(), "a = 3I + R, |R_ij| <= 0.5"),
    Case("det", det, matrices(), "a = 3I + R, |R_ij| <= 0.5"),
    Case("det[stack]", det, _stack_of_matrices(), "a[k] = 3I + R, |R_ij| <= 0.5"),
    Case("quadratic_form", quadratic_form, matrices(("n",)), "a = 3I + R, |R_ij| <= 0.5"),
    # shapes
    Case("reshape_tuple", reshape_tuple, operands((2, 3)), "all"),
    Case("reshape_minus_one", reshape_minus_one, operands(("m", "n")), "all"),
    Case("reshape_runtime_shape", reshape_runtime_shape, operands(MAT), "all"),
    Case("ravel", ravel, operands(("m", "n", "k")), "all"),
    Case("squeeze", squeeze, operands((1, "n", 1)), "all"),
    Case("squeeze_axis", squeeze_axis, operands((1, "m", "n")), "all"),
    Case("expand_dims", expand_dims, operands(N), "all"),
    Case("expand_dims_negative", expand_dims_negative, operands(MAT), "all"),
    Case("broadcast_to[3]", broadcast_to, operands((3,)), "all"),
    Case("broadcast_to[1x3]", broadcast_to, operands((1, 3)), "all"),
    Case("broadcast_to[4x1]", broadcast_to, operands((4, 1)), "all"),
    Case("constant_array_method", constant_array_method, operands((2, 3)), "all"),
    Case("constant_array_slice", constant_array_slice, operands(("n",)), "all"),
    Case("concatenate", concatenate, operands(("m", "n"), ("k", "n")), "all"),
    Case("concatenate_axis1", concatenate_axis1, operands(("m", "n"), ("m", "k")), "all"),
    Case("stack", stack, operands(MAT, MAT), "all"),
    Case("stack_axis_last", stack_axis_last, operands(N, N), "all"),
    Case("stack_axis1", stack_axis1, operands(MAT, MAT), "all"),
    Case("array_of_appended", array_of_appended, operands(MAT, MAT), "all"),
    Case("stack_of_appended", stack_of_appended, operands(MAT, MAT), "all"),
    Case("concatenate_of_appended", concatenate_of_appended, operands(MAT, (2,)), "all"),
    Case("moveaxis", moveaxis, operands((2, 3, "n")), "all"),
    Case("split_halves", split_halves, operands((4, "n")), "all"),
    Case("hstack_of_appended", hstack_of_appended, operands((2, "n"), N), "all"),
    Case("vstack_of_appended", vstack_of_appended, operands(N, N), "all"),
    Case("hstack[1d]", hstack, operands(("m",), N), "all"),
    Case("hstack[2d]", hstack_2d, operands(("m", "n"), ("m", "k")), "all"),
    Case("vstack[1d]", vstack, operands(N, N), "all"),
    Case("vstack[2d]", vstack_2d, operands(("m", "n"), ("k", "n")), "all"),
    Case("vstack[2d-1d]", vstack_2d, operands(("m", "n"), N), "all"),
    Case("cumsum", cumsum, operands(MAT), "all"),
    Case("cumsum_axis0", cumsum_axis0, operands(MAT), "all"),
    Case("cumsum_axis_negative", cumsum_axis_negative, operands(("m", "n", "k")), "all"),
    Case("take", take, with_index(("M", "n"), (0, 1, 0, 0)), "all", wrt=(0,)),
    Case("take_axis", take_axis, with_index(("m", 3), (2, 0, 2)), "all", wrt=(0,)),
    Case("flip", flip, operands(MAT), "all"),
    Case("flip_axis", flip_axis, operands(MAT), "all"),
    Case("swapaxes", swapaxes, operands(("m", "n", "k")), "all"),
    Case("np_copy", np_copy, operands(MAT), "all"),
    Case("einsum_matmul", einsum_matmul, operands(("m", "k"), ("k", "n")), "all"),
    Case("einsum_dot", einsum_dot, operands(N, N), "all"),
    Case("einsum_sum", einsum_sum, operands(MAT), "all"),
    Case("einsum_transpose", einsum_transpose, operands(MAT), "all"),
    Case("einsum_batch", einsum_batch, operands(("b", "m", "n"), ("b", "n")), "all"),
    Case("einsum_implicit", einsum_implicit, operands(("m", "k"), ("k", "n")), "all"),
    Case("einsum_outer", einsum_outer, operands(("m",), N), "all"),
    Case("einsum_three", einsum_three, operands(("m", "k"), ("k", "n"), N), "all"),
    Case("einsum_broadcast_index", einsum_broadcast_index, operands(MAT, ("k",)), "all"),
    # orderings and rearrangements
    Case("diagonal", diagonal, operands(SQ), "all"),
    Case("diagonal_offset", diagonal_offset, operands(("M", "N")), "all"),
    Case("diagonal_axes", diagonal_axes, operands(("m", "n", "k")), "all"),
    Case("method_diagonal", method_diagonal, operands(("m", "N")), "all"),
    Case("atleast_1d_number", atleast_1d_number, operands(()), "all"),
    Case("atleast_2d[1d]", atleast_2d, operands(N), "all"),
    Case("atleast_2d[2d]", atleast_2d, operands(MAT), "all"),
    Case("atleast_3d[1d]", atleast_3d, operands(N), "all"),
    Case("atleast_3d[2d]", atleast_3d, operands((2, "n")), "all"),
    Case("roll_flat", roll_flat, operands(MAT), "all"),
    Case("roll_axis", roll_axis, operands(MAT), "all"),
    Case("roll_axes", roll_axes, operands(("m", "n", "k")), "all"),
    Case("tile", tile, operands(N), "all"),
    Case("tile_promoted", tile_promoted, operands(MAT), "all"),
    Case("repeat_flat", repeat_flat, operands(MAT), "all"),
    Case("repeat_axis", repeat_axis, operands(MAT), "all"),
    Case("method_repeat", method_repeat, operands(MAT), "all"),
    Case("sort", sort, distinct(MAT), "no ties"),
    Case("sort_axis0", sort_axis0, distinct(("M", "n")), "no ties"),
    Case("sort_flat", sort_flat, distinct(("m", "n", "k")), "no ties"),
    Case("index_argmax", index_argmax, distinct(("N",)), "no ties"),
    Case("argmax_axis", argmax_axis, distinct(("m", "N")), "no ties"),
    Case("argmin_axis", argmin_axis, distinct(("M", "n")), "no ties"),
    Case("index_argsort", index_argsort, distinct(N), "no ties"),
    Case("method_arg", method_arg, distinct(("N",)), "no ties"),
    Case("take_along_axis", take_along_axis,
         operands((3, "n")).map(lambda a: (a[0], np.array([[2, 0, 2, 1][:a[0].shape[1]]]))),
         "all", wrt=(0,)),
    Case("slogdet", slogdet, matrices(), "a = +-3I + R, |R_ij| <= 0.5"),
    Case("slogdet[stack]", slogdet, _stack_of_matrices(), "a[k] = 3I + R, |R_ij| <= 0.5"),
    Case("slogdet_unpacked", slogdet_unpacked, matrices(), "a = +-3I + R, |R_ij| <= 0.5"),
    Case("method_clip_one_bound", method_clip_one_bound,
         operands(MAT, elements=Between((-1.0, 1.0))), "x at least 0.05 from the bounds"),
    Case("flip_axes", flip_axes, operands(("m", "n", "k")), "all"),
    # indexing
    Case("index_int", index_int, operands(("M", "n")), "all"),
    Case("index_slice", index_slice, operands((4,)), "all"),
    Case("index_step", index_step, operands(("n",)), "all"),
    Case("index_column", index_column, operands(MAT), "all"),
    Case("index_2d_slices", index_2d_slices, operands(("M", "N")), "all"),
    Case("index_two_ints", index_two_ints, operands(("M", "N")), "all"),
    Case("index_none", index_none, operands(N), "all"),
    Case("index_ellipsis", index_ellipsis, operands(("n", "n", "n")), "all"),
    Case("index_array_argument", index_array_argument, with_index((3, "n"), (2, 0, 2, 2)),
         "all", wrt=(0,)),
    Case("index_array_constant", index_array_constant, operands((3, "n")), "all"),
    Case("index_list_constant", index_list_constant, operands((2, "n", "k")), "all"),
    Case("index_array_and_int", index_array_and_int, with_index(MAT, (0, 0)), "all",
         wrt=(0,)),
    Case("index_two_arrays", index_two_arrays, operands((2, 2)), "all"),
    Case("index_mask_computed", index_mask_computed, operands(MAT, elements=Away(0.1, 3.0)),
         "|x| >= 0.1"),
    Case("index_mask_argument", index_mask_argument,
         operands(MAT, MAT).map(lambda a: (a[0], a[1] > 0.0)), "all", wrt=(0,)),
    # array methods and attributes
    Case("method_sum_axis", method_sum_axis, operands(MAT), "all"),
    Case("method_reshape", method_reshape, operands((2, 3)), "all"),
    Case("method_reshape_tuple", method_reshape_tuple, operands((6,)), "all"),
    Case("method_mean", method_mean, operands(MAT), "all"),
    Case("method_max", method_max, distinct(MAT), "no ties"),
    Case("method_min_axis", method_min_axis, distinct(MAT), "no ties"),
    Case("method_prod", method_prod, operands(MAT, elements=NEAR_ONE), "0.6 <= |x| <= 1.5"),
    Case("method_var", method_var, operands(("M", "n")), "all"),
    Case("method_std", method_std, distinct(("M", "n")), "not all equal"),
    Case("method_ravel", method_ravel, operands(MAT), "all"),
    Case("method_squeeze", method_squeeze, operands(("n", 1)), "all"),
    Case("method_transpose", method_transpose, operands(SQ), "all"),
    Case("method_cumsum", method_cumsum, operands(MAT), "all"),
    Case("method_dot", method_dot, operands(MAT, ("n", "k")), "all"),
    Case("method_clip", method_clip, operands(MAT, elements=Between((-1.0, 1.0))),
         "x at least 0.05 from the bounds"),
    Case("method_copy", method_copy, operands(MAT), "all"),
    Case("method_swapaxes", method_swapaxes, operands(MAT), "all"),
    Case("method_take", method_take, with_index(("M", "n"), (0, 0, 1)), "all", wrt=(0,)),
    Case("attributes", attributes, operands(MAT), "all"),
    # constructors used inside
    Case("zeros_plus", zeros_plus, operands((3,)), "all"),
    Case("ones_times", ones_times, operands((3,)), "all"),
    Case("arange_weights", arange_weights, operands(("m", 3)), "all"),
    Case("arange_runtime", arange_runtime, operands(("n",)), "all"),
    Case("linspace_weights", linspace_weights, operands((4, "n")), "all"),
    Case("eye_matmul", eye_matmul, operands((3, 3)), "all"),
    Case("like_constructors", like_constructors, operands(MAT), "all"),
    Case("full_runtime_shape", full_runtime_shape, operands(MAT), "all"),
    # constructors of differentiated values
    Case("linspace_ends", linspace_ends, operands((), ()), "all"),
    Case("linspace_no_endpoint", linspace_no_endpoint, operands((), ("n", 4)), "all"),
    Case("linspace_vector_start", linspace_vector_start, operands(("n",), ()), "all"),
    Case("full_fill", full_fill, operands(()), "all"),
    Case("full_fill_row", full_fill_row, operands(("n",)), "all"),
    Case("full_like_fill", full_like_fill, operands(MAT, ()), "all"),
    Case("arange_start_step", arange_start_step,
         operands((), (), elements=(Uniform(0.5, 1.0), Uniform(1.2, 1.4))),
         "3 entries: 2.1 < (4 - a) / h < 2.9"),
    Case("arange_stop", arange_stop, operands((), elements=Uniform(3.2, 3.8)),
         "3 entries: the stop sets only the length"),
    # mixes with Python numbers and control flow
    Case("math_times_sum", math_times_sum, operands((), MAT), "all"),
    Case("math_of_reduction", math_of_reduction, operands(MAT, elements=SMALL), "all"),
    Case("array_of_scalars", array_of_scalars, operands((), ()), "all"),
    Case("array_nested", array_nested, operands((), ()), "all"),
    Case("loop_over_array", loop_over_array, operands(N), "all"),
    Case("loop_over_rows", loop_over_rows, operands(MAT), "all"),
    Case("loop_index", loop_index, operands(N, N), "all"),
    Case("loop_carry_array", loop_carry_array,
         operands(SQ, ("k", "n"), elements=(Uniform(-0.5, 0.5), ANY)), "all"),
    Case("branch_on_array", branch_on_array,
         operands(MAT, where=lambda x: abs(np.sum(x)) > 0.1), "|sum(x)| > 0.1"),
    Case("augmented_assignment", augmented_assignment, operands(MAT, ("n",)), "all"),
    # float32
    Case("float32_sin_sum", float32_sin_sum, operands(MAT, dtype=np.float32), "all"),
    Case("float32_broadcast", float32_broadcast, operands((3, 1), (4,), dtype=np.float32),
         "all"),
    Case("float32_matmul", float32_matmul, operands(("m", "k"), ("k", "n"), dtype=np.float32),
         "all"),
    Case("float32_reduce", float32_reduce, distinct(MAT, dtype=np.float32), "no ties"),
    Case("float32_index", float32_index, operands(("M", "n"), dtype=np.float32), "all"),
    Case("float32_exp_norm", float32_exp_norm, operands(N, elements=NONZERO, dtype=np.float32),
         "x != 0"),
]


def by_name(name: str) -> Case:
    return next(case for case in CASES if case.name == name)


def wrt_of(case: Case, nargs: int) -> tuple[int, ...]:
    return tuple(range(nargs)) if case.wrt is None else case.wrt


__all__ = ["CASES", "MARGIN", "Away", "Between", "Case", "Uniform", "by_name", "distinct",
           "operands", "wrt_of"]
