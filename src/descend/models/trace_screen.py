"""What a subclassed model's ``call`` may do for a trace of it to stay true: a static screen.

A trace (:mod:`descend.models.tracing`) runs ``call`` once per ``training``
value on symbolic tensors and keeps the layer calls and ``descend.ops`` it
recorded. Anything else ``call`` does happens only while tracing: a Python
side effect (assigning ``self.steps += 1``, appending to a list, printing,
``add_loss``), a random number drawn outside a layer, a value read from a
weight (``self.w.numpy()``), a global that later changes. This module reads
the source of ``call`` (and of the methods and plain functions it calls) with
:mod:`ast` and refuses every construct whose effect a trace could not repeat;
the values ``call`` reads from Python (``self.flag``, ``self.block.units``, a
module constant) are returned as a :class:`Watch`, which the plan compares
before every step, tracing again when one changed.

The screen is deliberately narrow: what it cannot read (no source, a
decorated ``call``, ``super()``, ``try``/``with``, a call taking more than
``inputs`` and ``training``) is refused, and the model runs its ``call``
eagerly, as before.

Examples
--------
>>> import descend
>>> from descend import layers
>>> class Net(descend.Model):
...     def __init__(self):
...         super().__init__()
...         self.steps = 0
...         self.dense = layers.Dense(2)
...     def call(self, x):
...         self.steps += 1
...         return self.dense(x)
>>> try:
...     screen(Net())
... except Untraceable as refusal:
...     print(refusal)
Net.call assigns to self.steps: a Python side effect a trace would run only once
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import types
from typing import Any

import numpy as np

from descend.autograd import Tensor
from descend.layers.layer import Layer

__all__ = ["Untraceable", "Watch", "screen"]


class Untraceable(Exception):
    """Why a model's ``call`` is not traced (the message says what and where)."""


#: builtins that compute without side effects on the values a call sees
_PURE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int",
    "isinstance", "issubclass", "len", "list", "map", "max", "min", "pow", "range",
    "reversed", "round", "slice", "sorted", "str", "sum", "tuple", "type", "zip",
    "ValueError", "TypeError", "NotImplementedError", "None", "True", "False",
})
#: method names that read a tensor's values or change state, on any receiver
_VALUE_OR_STATE_METHODS = frozenset({
    "numpy", "item", "tolist", "assign", "assign_add", "assign_sub", "add_loss", "add_metric",
    "update_state", "reset_state", "reset_states", "set_weights", "get_weights",
})
#: method names that change the container they are called on
_MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault",
    "add", "discard", "popitem", "sort", "reverse",
})
#: attributes that read a tensor's values
_VALUE_ATTRIBUTES = frozenset({"data", "grad", "value"})
_MAX_DEPTH = 4


class Watch:
    """The Python values a traced ``call`` read: compared before each step.

    Attributes
    ----------
    chains : list of tuple of str
        Attribute chains read from the model (``("block", "units")``).
    names : list of (dict, str)
        Globals read (the function's globals and the name).
    cells : list of cell
        Closure variables read.
    """

    def __init__(self) -> None:
        self.chains: list[tuple[str, ...]] = []
        self.names: list[tuple[dict, str]] = []
        self.cells: list[Any] = []

    def values(self, model: Any) -> tuple:
        """The fingerprint of every watched value now (raises :class:`Untraceable`)."""
        return self._fingerprints(model, self.chains)

    def _fingerprints(self, model: Any, chains: list[tuple[str, ...]]) -> tuple:
        """Fingerprints of the attribute ``chains`` of ``model``, the watched globals and the
        closure variables."""
        out = []
        for chain in chains:
            value = model
            for name in chain:
                value = getattr(value, name, _MISSING)
            out.append(fingerprint(value, ".".join(chain)))
        for namespace, name in self.names:
            out.append(fingerprint(namespace.get(name, _MISSING), name))
        for cell in self.cells:
            out.append(fingerprint(cell.cell_contents, "a closure variable"))
        return tuple(out)

    def snapshot(self, model: Any) -> Any:
        """What :meth:`unchanged` compares: the fingerprints, and for the model's own
        attributes that hold layers, weights or plain values, the objects themselves."""
        fast = tuple((chain[0], model.__dict__.get(chain[0], _MISSING))
                     for chain in self.chains if len(chain) == 1 and
                     isinstance(model.__dict__.get(chain[0]), _BY_IDENTITY))
        self._fast = fast
        self._fast_names = {name for name, _ in fast}
        self._slow = [c for c in self.chains if not (len(c) == 1 and c[0] in self._fast_names)]
        return (fast, self._slow_values(model))

    def _slow_values(self, model: Any) -> tuple:
        return self._fingerprints(model, self._slow)

    def unchanged(self, model: Any, snapshot: Any) -> bool:
        """Whether every watched value is as it was at :meth:`snapshot`."""
        attributes = model.__dict__
        for name, expected in snapshot[0]:
            value = attributes.get(name, _MISSING)
            if value is not expected and not (type(value) is type(expected) and
                                              isinstance(value, _PLAIN) and value == expected):
                return False
        if not snapshot[1]:
            return True
        try:
            return self._slow_values(model) == snapshot[1]
        except Untraceable:
            return False


_MISSING = object()
_PLAIN = (bool, int, float, complex, str, bytes, np.generic, type(None))
_BY_IDENTITY = (*_PLAIN, Layer, Tensor, types.FunctionType, types.BuiltinFunctionType,
                types.ModuleType, type)


def fingerprint(value: Any, what: str) -> Any:
    """A hashable summary that changes when ``value`` changes in a way a trace depends on.

    Plain values by value, layers, variables and functions by identity, lists and
    dicts element by element; anything else (a metric, an arbitrary object, a
    writable array) is refused.
    """
    if value is None or value is _MISSING or isinstance(value, (bool, int, float, complex,
                                                                 str, bytes, np.generic)):
        return (type(value), value)
    if isinstance(value, (Layer, Tensor, types.FunctionType, types.BuiltinFunctionType,
                          types.ModuleType, type, np.ufunc, np.dtype)):
        return id(value)
    if isinstance(value, np.ndarray):
        if value.flags.writeable:
            raise Untraceable(
                f"call reads the writable array {what}: a trace would keep the values it had "
                "then. Hold it as a non-trainable weight (add_weight) or make it read-only "
                "(array.flags.writeable = False)")
        return id(value)
    if isinstance(value, (list, tuple)):
        return (type(value), id(value) if isinstance(value, list) else 0,
                tuple(fingerprint(v, what) for v in value))
    if isinstance(value, dict):
        return (id(value), tuple((k, fingerprint(v, what)) for k, v in value.items()))
    if callable(getattr(value, "__func__", None)):  # a bound method
        return (id(value.__func__), id(value.__self__))
    raise Untraceable(f"call reads {what}, a {type(value).__name__}: a trace cannot tell "
                      "whether it changes")


def screen(model: Any) -> Watch:
    """Check ``type(model).call`` (and what it calls); return what to watch.

    Raises
    ------
    Untraceable
        With the reason, if ``call`` does something a trace cannot repeat.
    """
    call = type(model).call
    _check_signature(call)
    watch = Watch()
    _Reader(model, watch).read(call, method=True, depth=0)
    return watch


def _check_signature(call: Any) -> None:
    try:
        params = list(inspect.signature(call).parameters.values())[1:]
    except (TypeError, ValueError):
        raise Untraceable("the signature of call cannot be read") from None
    if not params or params[0].kind not in (params[0].POSITIONAL_ONLY,
                                            params[0].POSITIONAL_OR_KEYWORD):
        raise Untraceable("call takes no positional inputs argument")
    for param in params[1:]:
        if param.name != "training" or param.kind in (param.VAR_POSITIONAL,
                                                      param.VAR_KEYWORD):
            raise Untraceable(f"call takes `{param.name}` besides inputs and training (masks, "
                              "extra arguments): the plan passes only those two")


def _source_tree(fn: Any, what: str) -> ast.FunctionDef:
    if getattr(fn, "__wrapped__", None) is not None:
        raise Untraceable(f"{what} is wrapped by a decorator")
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        raise Untraceable(f"the source of {what} is not available") from None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        raise Untraceable(f"the source of {what} cannot be parsed") from None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise Untraceable(f"{what} is not a plain function")
    code = fn.__code__
    params = [a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)]
    if node.name != fn.__name__ or params != list(code.co_varnames[:len(params)]) or \
            len(params) != code.co_argcount + code.co_kwonlyargcount:
        raise Untraceable(f"the source of {what} on disk is not the code that runs (was the "
                          "file edited after it was imported?)")
    return node


def _chain(node: ast.AST) -> tuple[ast.AST, list[str]]:
    """``a.b.c`` -> (the Name ``a``, ["b", "c"]); other roots as they are."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return node, names[::-1]


def _local_names(fn: ast.AST) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
    return out


class _Reader:
    """Walks the source of ``call`` and of the functions it calls."""

    def __init__(self, model: Any, watch: Watch) -> None:
        self.model, self.watch = model, watch
        self.seen: set[int] = set()

    def read(self, fn: Any, method: bool, depth: int) -> None:
        if id(fn) in self.seen:
            return
        self.seen.add(id(fn))
        what = getattr(fn, "__qualname__", "call")
        if depth > _MAX_DEPTH:
            raise Untraceable(f"{what} is too deeply nested to be read")
        tree = _source_tree(fn, what)
        args = tree.args
        params = [a.arg for a in (*args.posonlyargs, *args.args)]
        me = params[0] if method and params else None
        local = _local_names(tree)
        parents = {child: parent for parent in ast.walk(tree)
                   for child in ast.iter_child_nodes(parent)}
        for node in ast.walk(tree):
            self._statement(node, what, me, local)
            if isinstance(node, ast.Call):
                self._call(node, what, me, local, depth)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                parent = parents.get(node)
                if node.id == me:
                    self._self_use(node, parent, parents, what, depth)
                elif node.id not in local:
                    self._free_name(fn, node, parent, parents, what, depth)
            if isinstance(node, ast.Attribute) and node.attr in _VALUE_ATTRIBUTES and \
                    isinstance(node.ctx, ast.Load):
                root, _ = _chain(node)
                if not (isinstance(root, ast.Name) and root.id in local and root.id != me):
                    raise Untraceable(f"{what} reads .{node.attr} (a tensor's values): a "
                                      "trace would keep the value it had then")

    def _statement(self, node: ast.AST, what: str, me: str | None, local: set[str]) -> None:
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            raise Untraceable(f"{what} declares {type(node).__name__.lower()} names: it "
                              "writes Python state a trace would write only once")
        if isinstance(node, (ast.Try, ast.With, ast.AsyncWith, ast.Yield, ast.YieldFrom,
                             ast.Await, ast.Import, ast.ImportFrom)) or \
                type(node).__name__ == "TryStar":
            raise Untraceable(f"{what} uses {type(node).__name__.lower()}, which a trace "
                              "cannot follow")
        if isinstance(node, (ast.Attribute, ast.Subscript)) and \
                isinstance(node.ctx, (ast.Store, ast.Del)):
            root, names = _chain(node.value if isinstance(node, ast.Subscript) else node)
            owned = isinstance(root, ast.Name) and root.id in local and root.id != me
            if isinstance(node, ast.Attribute) or not owned:
                target = ".".join([getattr(root, "id", "?"), *names])
                raise Untraceable(f"{what} assigns to {target}: a Python side effect a "
                                  "trace would run only once")

    def _call(self, node: ast.Call, what: str, me: str | None, local: set[str],
              depth: int) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            root, names = _chain(func)
            if func.attr in _VALUE_OR_STATE_METHODS:
                raise Untraceable(f"{what} calls .{func.attr}(): it reads values or changes "
                                  "state, which a trace would do only once")
            if func.attr in _MUTATING_METHODS and not (
                    isinstance(root, ast.Name) and root.id in local and root.id != me):
                raise Untraceable(f"{what} calls .{func.attr}() on something it does not own "
                                  "(a Python side effect a trace would run only once)")
        elif isinstance(func, ast.Name) and func.id == "super":
            raise Untraceable(f"{what} calls super(): the inherited code is not read")

    def _self_use(self, node: ast.Name, parent: Any, parents: dict, what: str,
                  depth: int) -> None:
        if not isinstance(parent, ast.Attribute):
            raise Untraceable(f"{what} uses the model itself as a value (self(...), passing "
                              "self): a trace would call it recursively or lose the call")
        top = parent
        while isinstance(parents.get(top), ast.Attribute):
            top = parents[top]
        _, names = _chain(top)
        first = names[0]
        static = inspect.getattr_static(self.model, first, _MISSING)
        if first in self.model.__dict__:
            value = self.model
            for name in names:
                value = getattr(value, name, _MISSING)
                if callable(getattr(value, "__func__", None)) and not isinstance(value, Layer):
                    raise Untraceable(f"{what} calls the method {'.'.join(names)} of a "
                                      "sublayer: only calling layers is traced")
            if not isinstance(top.ctx, ast.Load):
                return  # refused by _statement
            fingerprint(value, "self." + ".".join(names))
            self.watch.chains.append(tuple(names))
            return
        owner = next((k for k in type(self.model).__mro__ if first in vars(k)), None)
        user = owner is not None and not owner.__module__.startswith("descend.")
        if isinstance(static, (types.FunctionType, property)) and user:
            if len(names) > 1 and isinstance(static, types.FunctionType):
                raise Untraceable(f"{what} reads attributes of the method {first}")
            target = static.fget if isinstance(static, property) else static
            self.read(target, method=True, depth=depth + 1)
            return
        if static is not _MISSING and user and not callable(static):
            fingerprint(getattr(self.model, first), "self." + first)
            self.watch.chains.append(tuple(names[:1]))
            return
        raise Untraceable(f"{what} uses self.{first}, which descend defines (or which is "
                          "not set): only the model's own attributes and methods are traced")

    def _free_name(self, fn: Any, node: ast.Name, parent: Any, parents: dict, what: str,
                   depth: int) -> None:
        name = node.id
        code = fn.__code__
        if name in code.co_freevars:
            cell = fn.__closure__[code.co_freevars.index(name)]
            try:
                value = cell.cell_contents
            except ValueError:
                raise Untraceable(f"{what} reads the unset closure variable {name}") from None
            where: Any = ("cell", cell)
        elif name in fn.__globals__:
            value, where = fn.__globals__[name], ("global", name)
        elif hasattr(builtins, name):
            if name not in _PURE_BUILTINS:
                raise Untraceable(f"{what} calls the builtin {name}(), which has side effects "
                                  "or reads state a trace would see only once")
            return
        else:
            raise Untraceable(f"{what} reads the undefined name {name}")
        if isinstance(value, types.ModuleType):
            names, top, reached = [], parent, value  # the attributes read off the module
            while isinstance(top, ast.Attribute):
                names.append(top.attr)
                reached = getattr(reached, top.attr, None)
                top = parents.get(top)
            if "random" in [*value.__name__.split("."), *names] or \
                    "random" in str(getattr(reached, "__module__", "")).split("."):
                raise Untraceable(f"{what} draws random numbers outside a layer "
                                  f"({'.'.join([name, *names])}): a trace would draw them once")
            if value.__name__.split(".")[0] not in ("descend", "numpy", "math"):
                raise Untraceable(f"{what} uses the module {value.__name__}, whose effects a "
                                  "trace cannot see")
            return
        if isinstance(value, types.FunctionType):
            module = getattr(value, "__module__", "") or ""
            if module.startswith(("descend.", "numpy")):
                if "random" in module.split("."):
                    raise Untraceable(f"{what} draws random numbers outside a layer ({name})")
                return
            self.read(value, method=False, depth=depth + 1)
            return
        if isinstance(value, (type, types.BuiltinFunctionType, np.ufunc)):
            module = getattr(value, "__module__", "") or ""
            if "random" in module.split("."):
                raise Untraceable(f"{what} draws random numbers outside a layer ({name})")
            return
        fingerprint(value, name)
        if where[0] == "cell":
            self.watch.cells.append(where[1])
        else:
            self.watch.names.append((fn.__globals__, name))
