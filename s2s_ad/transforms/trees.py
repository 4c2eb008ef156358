"""Helpers for ``out_tree`` structures and for stacking several functions into one."""

from __future__ import annotations

import inspect
from typing import Any

from ..errors import DifferentiationError
from ..ir.clone import clone_ops
from ..ir.core import Function, RecordTree, Region, Value, like_tree, tree_leaves

_P = inspect.Parameter


def trailing_kind(fn: Function, added: str) -> inspect._ParameterKind:
    """The kind of the parameters a transform adds after ``fn``'s (``added``: cotangents,
    tangents): keyword-only where ``fn`` has defaults, keyword-only parameters or ``*args``.
    None can follow ``**kwargs``: a located refusal names it."""
    for p, kind in zip(fn.params, fn.kinds):
        if kind is _P.VAR_KEYWORD:
            raise DifferentiationError(
                f"{fn.name} takes **{p.hint}, and no {added} can follow it",
                hint="use grad, value_and_grad or jacobian, or name its keyword parameters")
    if fn.defaults or any(k in (_P.KEYWORD_ONLY, _P.VAR_POSITIONAL) for k in fn.kinds):
        return _P.KEYWORD_ONLY
    return _P.POSITIONAL_OR_KEYWORD


def shift_tree(tree: Any, offset: int) -> Any:
    """``tree`` with every leaf index moved by ``offset``."""
    if isinstance(tree, int):
        return tree + offset
    if isinstance(tree, dict):
        return like_tree(tree, {k: shift_tree(v, offset) for k, v in tree.items()})
    return type(tree)(shift_tree(t, offset) for t in tree)


def stack(fns: list[Function], template: Function, tree_of: Any, name: str) -> Function:
    """One function computing every ``fns[i]`` over ``template``'s parameters.

    All ``fns`` must share ``template``'s parameter list (by position). Their results are
    concatenated; ``tree_of(trees_shifted)`` builds the returned structure from their
    ``out_tree``s (each already shifted to the concatenated leaf positions). Repeated work
    (each function's copy of the forward sweep) is left for CSE to merge.
    """
    params = [Value(p.hint) for p in template.params]
    ops = []
    leaves: list[Value] = []
    trees = []
    for fn in fns:
        mapping = dict(zip(fn.params, params))
        ops.extend(clone_ops(fn.body.ops, mapping))
        trees.append(shift_tree(fn.out_tree, len(leaves)))
        leaves.extend(mapping.get(v, v) for v in fn.body.results)
    return Function(name, params, list(template.kinds), Region(list(params), ops, leaves),
                    tree_of(trees), template.defaults, template.kwdefaults, template.file,
                    template.globals_ns)


def project(fn: Function, tree: Any) -> Function:
    """``fn`` returning only ``tree`` (a part of its ``out_tree``), leaves renumbered."""
    used = tree_leaves(tree)
    renumber = {old: new for new, old in enumerate(dict.fromkeys(used))}
    results = [fn.body.results[old] for old in renumber]

    def remap(node: Any) -> Any:
        if isinstance(node, int):
            return renumber[node]
        if isinstance(node, dict):
            return like_tree(node, {k: remap(v) for k, v in node.items()})
        return type(node)(remap(t) for t in node)

    body = Region(fn.body.params, fn.body.ops, results)
    return Function(fn.name, fn.params, fn.kinds, body, remap(tree), fn.defaults,
                    fn.kwdefaults, fn.file, fn.globals_ns)


def tree_paths(tree: Any, path: tuple = ()) -> list[tuple[tuple, int]]:
    """``(keys, i)`` for each leaf ``i`` of ``tree``: ``value[keys[0]][keys[1]]...`` is it
    (a key of a record is a :class:`FieldKey`: ``value.name``)."""
    if isinstance(tree, int):
        return [(path, tree)]
    items = tree.items() if isinstance(tree, dict) else enumerate(tree)
    record = isinstance(tree, RecordTree)
    return [found for key, node in items
            for found in tree_paths(node, (*path, FieldKey(key) if record else key))]


class FieldKey(str):
    """A key of a :class:`RecordTree` in a path: read as an attribute."""

    __slots__ = ()


def map_leaves(tree: Any, leaf: Any) -> Any:
    """``tree`` with each leaf index ``i`` replaced by ``leaf(i)``."""
    if isinstance(tree, int):
        return leaf(tree)
    if isinstance(tree, dict):
        return like_tree(tree, {k: map_leaves(v, leaf) for k, v in tree.items()})
    return type(tree)(map_leaves(t, leaf) for t in tree)
