"""The IR verifier: is a ``Function`` well formed? Tests run it after every stage.

``verify(fn, "after cse")`` returns quietly or raises ``IRVerificationError`` (an
``AssertionError``: malformed IR is a bug in s2s_ad, never the user's) naming the function,
the stage, the offending op (printed, and marked in the listing of the whole function) and
what is wrong. One walk, linear in the size of the IR, with an explicit stack. It checks:

- SSA: every value is defined once in the whole function, nested regions included: as a
  parameter of the function, a parameter of a region, or a result of one op.
- Scope: what an op reads, what a region yields and what the function returns is defined
  before, in the same region or in an enclosing one. A value defined in a region is not
  seen outside it, nor in its sibling (the other branch; a ``while``'s condition and its
  body): only the op's results carry values out. An op's results are defined after its
  regions, so a region never reads them.
- Structured ops, as frontend/control.py builds them, transforms/tape.py and forward.py
  extend them and codegen/to_ast.py reads them, for ``n = len(op.outs)``:

  - ``if``: operands ``(cond,)``; two regions (then, else) without parameters, each
    yielding ``n`` values.
  - ``for_range``: operands ``(start, stop, step, *inits)`` with ``n`` inits; one region,
    the body, with parameters ``(i, *carried)`` (``n`` carried), yielding the ``n`` next
    carried values and then, when the attribute ``breaks`` is set, the ``broke`` flag.
  - ``while``: operands ``inits`` (``n``); a condition region and a body region, each with
    the ``n`` carried values as parameters; the condition yields one value, the body the
    ``n`` next values (and ``broke`` when ``breaks`` is set).

  Every other op has no regions. Every op's primitive is registered (codegen looks it up);
  a ``const`` reads nothing, has one result and a ``value`` attribute.
- The function: its body's parameters are its parameters (the same values), ``kinds`` has
  one entry per parameter, and ``out_tree`` nests ints in tuples, lists and dicts, each int
  the index of a body result, and every result returned. (That last check found the
  shape-generic ``hessian`` with respect to an indexed argument and others, whose columns
  read the second gradient as the tangent of the first: now refused, as every call was.)

- Abstract values (``ir/avals.py``), where a result's is known: a constant's shape is its
  value's, and another op's is what its primitive's abstract evaluation gives for its
  operands' avals (``registry.abstract_eval``: an elementwise op's operands broadcast to
  it; NumPy's shape functions are run on stand-ins), where that is known.

Off by default (users pay nothing); on with the environment variable ``S2S_AD_VERIFY=1``
or ``verify.ENABLED = True`` (tests/conftest.py turns it on for the test suite). When on,
``lift`` checks what it lowered, ``vjp``/``jvp`` what they built, the optimizer what it is
given and what each pass returns, and codegen what it is about to write.

>>> import inspect
>>> from s2s_ad.ir.core import Function, Op, Region, Value
>>> x, y = Value("x"), Value("y")
>>> ops = [Op("sin", (x,), (y,)), Op("cos", (x,), (y,))]
>>> f = Function("f", [x], [inspect.Parameter.POSITIONAL_ONLY], Region([x], ops, [y]), 0)
>>> try:
...     verify(f, "after cse")
... except IRVerificationError as error:
...     print(error)
malformed IR of 'f' after cse: y is defined twice (first as a result of `y = sin x`)
    y = cos x
fn f(x):
  y = sin x
  y = cos x    # <-- here
  return y
"""

from __future__ import annotations

import os
from typing import Any, NoReturn

import numpy as np

from ..primitives.registry import NOT_CONSTANT, PRIMITIVES, abstract_eval
from .avals import Unknown, shape_of
from .core import LOOPS, Function, Op, Value, const_value
from .printer import _format_tree, _Printer

ENABLED: bool = os.environ.get("S2S_AD_VERIFY", "") not in ("", "0")

_Said = tuple[str | Value | Op, ...]  # a message's parts: values and ops shown as printed


class IRVerificationError(AssertionError):
    """The IR a stage of s2s_ad produced is malformed: a bug in s2s_ad, not in user code."""


def verify(fn: Function, stage: str = "") -> None:
    """Raise ``IRVerificationError`` unless ``fn`` is well formed (see the module doc).

    ``stage`` says where ``fn`` comes from, for the message: ``"after cse"``.
    """
    _Check(fn, stage).run()


class _Check:
    def __init__(self, fn: Function, stage: str) -> None:
        self.fn = fn
        self.stage = stage
        # value -> the scope (index into ``alive``) it is defined in; a scope is a region
        # being walked (0: the function's body), dead once its walk ends
        self.scope: dict[Value, int] = {}
        self.alive: list[bool] = [True]
        self.owners: list[tuple[Op | None, int]] = [(None, 0)]  # scope -> (op, region index)
        self.consts: dict[Value, Op] = {}  # the const ops seen so far (abstract evaluation)

    def run(self) -> None:
        fn = self.fn
        for p in fn.params:
            self.define(p, 0, None)
        body = fn.body
        if len(body.params) != len(fn.params) or any(
                a is not b for a, b in zip(body.params, fn.params)):
            self.fail("the body's parameters are not the function's parameters", None)
        if len(fn.kinds) != len(fn.params):
            self.fail(f"{len(fn.params)} parameters but {len(fn.kinds)} kinds", None)
        # The walk: a frame per region being walked, ``[region, ops iterator, scope, op]``
        # (iterator None: not entered yet), and under the frames of an op's regions the op
        # itself, whose results are defined once its last region is done.
        stack: list[Any] = [[body, iter(body.ops), 0, None]]
        alive = self.alive
        scope = self.scope
        while stack:
            frame = stack[-1]
            if type(frame) is Op:  # its regions are done: its results are defined now
                stack.pop()
                where = stack[-1][2]
                for v in frame.outs:
                    if v in scope:
                        self.fail(self.twice(v), frame)
                    scope[v] = where
                continue
            ops = frame[1]
            if ops is None:  # enter the region: its parameters are bound
                region, owner = frame[0], frame[3]
                frame[2] = here = len(alive)
                alive.append(True)
                self.owners.append((owner, owner.regions.index(region)))
                for p in region.params:
                    self.define(p, here, owner)
                ops = frame[1] = iter(region.ops)
            op = next(ops, None)
            if op is None:  # the region ends: what it yields must be seen here
                region = frame[0]
                for v in region.results:
                    s = scope.get(v)
                    if s is None or not alive[s]:
                        self.fail_use(v, frame[3], "yielded" if frame[3] else "returned")
                alive[frame[2]] = False
                stack.pop()
                continue
            for v in op.args:
                s = scope.get(v)
                if s is None or not alive[s]:
                    self.fail_use(v, op, "read")
            regions = op.regions
            if regions or op.prim in _STRUCTURED:
                self.structure(op)
                stack.append(op)
                for region in reversed(regions):
                    stack.append([region, None, -1, op])
                continue
            if op.prim not in PRIMITIVES:
                self.fail(f"no primitive {op.prim!r} is registered", op)
            if op.prim == "const" and (op.args or len(op.outs) != 1 or not op.attrs
                                       or op.attrs[0][0] != "value"):
                self.fail("a const reads nothing and has one result and a value attribute",
                          op)
            if op.prim == "const":
                self.consts[op.out] = op
            if len(op.outs) == 1 and type(op.outs[0].aval) is not Unknown:
                self.aval(op)
            here = frame[2]
            for v in op.outs:
                if v in scope:
                    self.fail(self.twice(v), op)
                scope[v] = here
        self.out_tree()

    def define(self, v: Value, here: int, owner: Op | None) -> None:
        if v in self.scope:
            self.fail(self.twice(v), owner)
        self.scope[v] = here

    def aval(self, op: Op) -> None:
        """A result's known shape is the one its op gives: a constant's value's, or what
        the primitive's abstract evaluation (``registry.abstract_eval``) gives for its
        operands' avals, where that is known."""
        out = op.out.aval
        if op.prim == "const":
            value = const_value(op)
            if not isinstance(value, (bool, int, float, complex, np.generic, np.ndarray)):
                return
            expected, what = np.shape(value), "its value gives"
        else:
            operands = [a.aval for a in op.args]
            if PRIMITIVES[op.prim].broadcasts or PRIMITIVES[op.prim].kind == "elementwise":
                shapes = [shape_of(a) for a in operands]
                if None not in shapes:
                    try:
                        np.broadcast_shapes(*shapes)
                    except ValueError:
                        self.fail(f"its operands' shapes {shapes} do not broadcast", op)
            constants = [const_value(self.consts[a]) if a in self.consts else NOT_CONSTANT
                         for a in op.args]
            expected = shape_of(abstract_eval(op.prim, operands, dict(op.attrs), constants))
            if expected is None:
                return
            what = "its operands' shapes give"
        if shape_of(out) != expected:
            self.fail((op.out, f" is said to be {out!r}, but {what} shape {expected}"), op)

    # --- structured ops ---------------------------------------------------------------------
    def structure(self, op: Op) -> None:
        """The counts of ``op``'s operands, regions, region parameters and yields agree."""
        n = len(op.outs)
        regions = op.regions
        if op.prim == "if":
            expected = [(0, n)] * 2
            if len(op.args) != 1:
                self.fail(f"an if reads one condition, not {len(op.args)} values", op)
        elif op.prim in LOOPS:
            flag = 1 if op.attr("breaks") else 0
            fixed = 3 if op.prim == "for_range" else 0
            if len(op.args) != fixed + n:
                what = "start, stop, step and " if fixed else ""
                self.fail(f"a {op.prim} with {n} results reads {what}{n} initial values, "
                          f"but it has {len(op.args)} operands", op)
            if op.prim == "for_range":
                expected = [(1 + n, n + flag)]
            else:
                expected = [(n, 1), (n, n + flag)]
        else:
            self.fail(f"{op.prim!r} is not a structured op, but it has regions", op)
        if len(regions) != len(expected):
            self.fail(f"{op.prim} has {len(regions)} regions, not {len(expected)}", op)
        for k, (region, (params, results)) in enumerate(zip(regions, expected)):
            if len(region.params) != params:
                self.fail(f"region{k} has {len(region.params)} parameters, not {params} "
                          f"({_CONVENTIONS[op.prim]})", op)
            if len(region.results) != results:
                self.fail(f"region{k} yields {len(region.results)} values, not {results} "
                          f"({_CONVENTIONS[op.prim]})", op)

    # --- the returned structure -------------------------------------------------------------
    def out_tree(self) -> None:
        n = len(self.fn.body.results)
        seen = [False] * n
        stack = [self.fn.out_tree]
        while stack:
            node = stack.pop()
            if type(node) is int:
                if not 0 <= node < n:
                    self.fail(f"out_tree has leaf {node}, but the function returns {n} values",
                              None)
                seen[node] = True
            elif isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, (tuple, list)):
                stack.extend(node)
            else:
                self.fail(f"out_tree holds {node!r}: only ints, tuples, lists and dicts",
                          None)
        if not all(seen):
            self.fail(f"out_tree never returns result {seen.index(False)} of {n}", None)

    # --- messages -----------------------------------------------------------------------------
    def twice(self, v: Value) -> _Said:
        return (v, " is defined twice (first ", *_definitions(self.fn, v)[0], ")")

    def fail_use(self, v: Value, op: Op | None, how: str) -> NoReturn:
        if not isinstance(v, Value):
            self.fail((f"{how} {v!r}, which is not a Value",), op)
        s = self.scope.get(v)
        if s is not None:  # defined, in a region whose walk has ended
            owner, k = self.owners[s]
            assert owner is not None  # (the body's scope ends last)
            self.fail((v, f" is {how} outside region{k} of `", owner, "`, which defines it "
                       "(only the op's results carry values out of its regions)"), op)
        sites = _definitions(self.fn, v)
        if sites:
            self.fail((v, f" is {how} before it is defined (", *sites[0], ")"), op)
        self.fail((v, f" is {how} but never defined"), op)

    def fail(self, what: str | _Said, op: Op | None) -> NoReturn:
        raise IRVerificationError(_message(self.fn, self.stage,
                                           (what,) if isinstance(what, str) else what, op))


_STRUCTURED = frozenset({"if", *LOOPS})
_CONVENTIONS = {
    "if": "an if's branches have no parameters and yield its results",
    "for_range": "the body's parameters are (i, *carried), it yields the next carried "
                 "values, then the broke flag when the loop breaks",
    "while": "both regions' parameters are the carried values; the condition yields one "
             "value, the body the next carried values, then the broke flag when the loop "
             "breaks",
}


def _definitions(fn: Function, v: Value) -> list[_Said]:
    """Where ``v`` is defined, in program order (for messages: runs only on failure)."""
    sites: list[_Said] = [("as a parameter of the function",) for p in fn.params if p is v]
    stack: list[Any] = [fn.body]
    while stack:
        item = stack.pop()
        if isinstance(item, Op):
            sites.extend(("as a result of `", item, "`") for o in item.outs if o is v)
            continue
        region, owner = item if isinstance(item, tuple) else (item, None)
        if owner is not None:
            k = owner.regions.index(region)
            sites.extend((f"as a parameter of region{k} of `", owner, "`")
                         for p in region.params if p is v)
        pending: list[Any] = []
        for op in region.ops:
            pending.extend((r, op) for r in op.regions)
            pending.append(op)
        stack.extend(reversed(pending))
    return sites


class _Marking(_Printer):
    """The printer, marking the line of one op."""

    def __init__(self, fn: Function, mark: Op | None) -> None:
        super().__init__(fn)
        self.mark = mark
        self.marked = ""

    def op_line(self, op: Op) -> str:
        line = _Printer.op_line(self, op)
        if op is self.mark and not self.marked:
            self.marked = line
            return line + "    # <-- here"
        return line


def _message(fn: Function, stage: str, what: _Said, op: Op | None) -> str:
    """``what`` (text, values and ops, each shown as the printer shows it), the op's line
    and the listing of ``fn`` with that line marked."""
    p = _Marking(fn, op)
    try:
        p.region(fn.body, 1)
        listing = "\n".join(
            [f"fn {fn.name}({', '.join(p.name(v) for v in fn.params)}):", *p.lines])
        leaves = [p.name(v) for v in fn.body.results]
        try:
            listing += f"\n  return {_format_tree(fn.out_tree, leaves)}"
        except Exception:  # noqa: BLE001 -- a broken out_tree: what the message says
            listing += f"\n  return {', '.join(leaves)}  # out_tree {fn.out_tree!r}"
        line = p.marked or (_Printer.op_line(p, op) if op is not None else "")
        told = "".join(part if isinstance(part, str) else p.name(part)
                       if isinstance(part, Value) else _Printer.op_line(p, part)
                       for part in what)
    except Exception as error:  # noqa: BLE001 -- too broken to print: say so, and why
        listing, line = f"(cannot print the IR: {error!r})", repr(op) if op else ""
        told = "".join(part if isinstance(part, str) else repr(part) for part in what)
    head = f"malformed IR of {fn.name!r}" + (f" {stage}" if stage else "")
    text = f"{head}: {told}"
    if line:
        text += f"\n    {line}"
    return f"{text}\n{listing}"
