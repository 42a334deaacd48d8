"""``value_type``: a frozen dataclass that costs next to nothing to define.

Why not plain ``@dataclass(frozen=True)``: on Python 3.11 the decorator writes and compiles six methods
per class when its module is imported (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__``, ``__delattr__``), about 0.12 ms each. Some 90 frozen classes are on the path of
``rumpolicy check``: 50 ms of a 220 ms cold start, mostly for classes a given run never instantiates.

``value_type`` lets ``dataclasses`` do what costs nothing (the fields, ``__slots__``,
``__match_args__``; no method is generated) and adds:

- an ``__init__`` that binds its arguments itself for the first few instances and then compiles the one
  dataclasses would write for a frozen class (fields set through ``object.__setattr__``, defaults,
  ``default_factory``, ``__post_init__``), for the classes that get many: most get a few in a run;
- ``__eq__``, ``__hash__``, ``__repr__``, ordering and the frozen ``__setattr__``/``__delattr__`` from
  one shared implementation (over ``operator.attrgetter``, which is C code);
- ``__getstate__``/``__setstate__`` for slotted classes, so that pickling and ``copy`` keep working.

The result is a real dataclass (``dataclasses.fields`` and ``replace`` work) with the semantics of
``@dataclass(frozen=True, ...)``: equal when of the same class and equal in every field that
``compare``\\ s; the hash of those fields' tuple; the repr of the fields that ``repr``;
``FrozenInstanceError`` on assignment; a method the class body defines is kept. tests/test_records.py
holds it to those of ``dataclasses`` side by side. Not supported (a TypeError at definition):
``field(init=False)``, ``kw_only`` fields, ``InitVar``, a class body defining ``__setattr__`` or
``__delattr__``. ``dataclasses`` records the class as not frozen (``__dataclass_params__``), so a plain
``@dataclass(frozen=True)`` cannot subclass one: subclass it with ``value_type`` too.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, FrozenInstanceError, dataclass
from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, Callable, TypeVar

T = TypeVar("T", bound=type)

_FACTORY = object()          # the default of a parameter whose field has a default_factory


def value_type(cls: T | None = None, /, *, slots: bool = True, order: bool = False) -> Any:
    """``@dataclass(frozen=True, slots=slots, order=order)``, made cheaper to define (see the module)."""

    def wrap(cls: T) -> T:
        own = dict(cls.__dict__)
        for name in ("__setattr__", "__delattr__"):
            if name in own:
                raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}: it is frozen")
        explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
        made = dataclass(cls, init=False, repr=False, eq=False, slots=slots)
        fields = dataclasses.fields(made)
        _check_fields(made, fields)
        names = frozenset(f.name for f in fields)
        key = _key([f.name for f in fields if f.compare])
        methods = _methods(made, key, tuple(f.name for f in fields if f.repr), order)
        methods.update(_frozen(made, names))
        methods["__init__"] = _first_init(made)
        if not explicit_hash:
            hashed = _key([f.name for f in fields if (f.compare if f.hash is None else f.hash)])
            methods["__hash__"] = lambda self: hash(hashed(self))
        if slots:
            methods.update(_slot_state(fields))
        for name, method in methods.items():
            if name not in own or name == "__hash__" and not explicit_hash:
                method.__qualname__ = f"{made.__qualname__}.{name}"
                setattr(made, name, method)
        return made

    return wrap if cls is None else wrap(cls)


def record(cls: T | None = None, /, *, eq: bool = True, repr: bool = True, slots: bool = False) -> Any:
    """``@dataclass(eq=eq, repr=repr, slots=slots)``: a mutable dataclass, made cheap to define as
    ``value_type`` is (``__init__`` at first use, shared ``__eq__``/``__repr__``). With ``eq`` it is
    unhashable, as a dataclass is; without, instances compare and hash by identity."""

    def wrap(cls: T) -> T:
        own = dict(cls.__dict__)
        if "__setattr__" in own:
            raise TypeError(f"record {cls.__name__} defines __setattr__: its __init__ would not call it")
        made = dataclass(cls, init=False, repr=False, eq=False, slots=slots)
        fields = dataclasses.fields(made)
        _check_fields(made, fields)
        shared = _methods(made, _key([f.name for f in fields if f.compare]),
                          tuple(f.name for f in fields if f.repr), order=False)
        methods: dict[str, Callable] = {"__init__": _first_init(made)}
        if eq:
            methods["__eq__"] = shared["__eq__"]
            if "__hash__" not in own or own["__hash__"] is None:
                made.__hash__ = None             # mutable and compared by value: unhashable, as dataclasses does
        if repr:
            methods["__repr__"] = shared["__repr__"]
        for name, method in methods.items():
            if name not in own:
                method.__qualname__ = f"{made.__qualname__}.{name}"
                setattr(made, name, method)
        return made

    return wrap if cls is None else wrap(cls)


def _check_fields(cls: type, fields: tuple[dataclasses.Field, ...]) -> None:
    """What dataclasses would refuse when writing ``__init__``, refused now rather than at first use."""
    seen_default = False
    for f in fields:
        if not f.init or f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: value_type supports neither init=False nor kw_only fields")
        if f.default is not MISSING or f.default_factory is not MISSING:
            seen_default = True
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
    # InitVar pseudo-fields are left out of ``fields()``: dataclasses marks them in ``__dataclass_fields__``.
    initvar = getattr(dataclasses, "_FIELD_INITVAR", None)
    if any(f._field_type is initvar for f in cls.__dataclass_fields__.values()):
        raise TypeError(f"{cls.__name__}: value_type does not support InitVar")


# Instances made through the generic ``__init__`` before the class's own is compiled: most classes get a
# few instances in a run, for which compiling (0.1 ms) costs more than binding the arguments by hand.
COMPILE_AFTER = 16


def _first_init(cls: type) -> Callable:
    """An ``__init__`` that binds the arguments itself for the first instances, then compiles the one
    dataclasses would write, puts it on the class and uses that."""
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    defaults = {f.name: (f.default, f.default_factory) for f in fields
                if f.default is not MISSING or f.default_factory is not MISSING}
    post_init = hasattr(cls, "__post_init__")
    made = 0

    def __init__(self, *args, **kwargs):
        nonlocal made
        made += 1
        if made > COMPILE_AFTER:
            real = _compile_init(cls)
            cls.__init__ = real
            return real(self, *args, **kwargs)
        if len(args) > len(names):
            raise TypeError(f"{cls.__qualname__}.__init__() takes {len(names) + 1} positional arguments but "
                            f"{len(args) + 1} were given")
        for name, value in zip(names, args):
            if name in kwargs:
                raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for argument {name!r}")
            object.__setattr__(self, name, value)
        for name in names[len(args):]:
            if name in kwargs:
                value = kwargs.pop(name)
            elif name in defaults:
                default, factory = defaults[name]
                value = factory() if factory is not MISSING else default
            else:
                raise TypeError(f"{cls.__qualname__}.__init__() missing 1 required positional argument: {name!r}")
            object.__setattr__(self, name, value)
        if kwargs:
            raise TypeError(f"{cls.__qualname__}.__init__() got an unexpected keyword argument {next(iter(kwargs))!r}")
        if post_init:
            self.__post_init__()

    return __init__


def _compile_init(cls: type) -> Callable:
    """The ``__init__`` dataclasses writes for a frozen class."""
    fields = dataclasses.fields(cls)
    this = "__dataclass_self__" if "self" in {f.name for f in fields} else "self"
    namespace: dict[str, Any] = {"__dataclass_builtins_object__": object, "_FACTORY": _FACTORY}
    params, lines = [], []
    for f in fields:
        value = f.name
        if f.default_factory is not MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            value = f"_factory_{f.name}() if {f.name} is _FACTORY else {f.name}"
        elif f.default is not MISSING:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        else:
            params.append(f.name)
        lines.append(f"    __dataclass_builtins_object__.__setattr__({this}, {f.name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        lines.append(f"    {this}.__post_init__()")
    source = f"def __init__({', '.join([this, *params])}):\n" + ("\n".join(lines) or "    pass") + "\n"
    exec(source, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _frozen(cls: type, names: frozenset[str]) -> dict[str, Callable]:
    """The ``__setattr__`` and ``__delattr__`` of a frozen dataclass (a subclass that is not one may add
    attributes of its own, as with dataclasses)."""

    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


def _slot_state(fields: tuple[dataclasses.Field, ...]) -> dict[str, Callable]:
    """Pickling and copying a slotted frozen class: its fields' values, set back around ``__setattr__``."""
    names = tuple(f.name for f in fields)

    def __getstate__(self):
        return [getattr(self, name) for name in names]

    def __setstate__(self, state):
        for name, value in zip(names, state):
            object.__setattr__(self, name, value)

    return {"__getstate__": __getstate__, "__setstate__": __setstate__}


def _key(names: list[str]) -> Callable[[Any], tuple]:
    """The tuple of these attributes of an object (``attrgetter`` returns a bare value for one name)."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        get = attrgetter(names[0])
        return lambda obj: (get(obj),)
    return attrgetter(*names)


def _methods(cls: type, key: Callable[[Any], tuple], shown: tuple[str, ...], order: bool) -> dict[str, Callable]:
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    @recursive_repr()
    def __repr__(self):
        return f"{self.__class__.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in shown)})"

    methods: dict[str, Callable] = {"__eq__": __eq__, "__repr__": __repr__}
    if order:
        def __lt__(self, other):
            return key(self) < key(other) if other.__class__ is self.__class__ else NotImplemented

        def __le__(self, other):
            return key(self) <= key(other) if other.__class__ is self.__class__ else NotImplemented

        def __gt__(self, other):
            return key(self) > key(other) if other.__class__ is self.__class__ else NotImplemented

        def __ge__(self, other):
            return key(self) >= key(other) if other.__class__ is self.__class__ else NotImplemented

        methods.update(__lt__=__lt__, __le__=__le__, __gt__=__gt__, __ge__=__ge__)
    return methods
