"""Records: the tool's data classes (frozen by default), declared like dataclasses but made
without generating code at import.

``dataclasses`` compiles an ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and (frozen)
``__setattr__`` for every class with ``exec``; over the ~60 classes a ``check`` imports that was a
fifth of a cold run. A record's methods are shared functions that read the class's field table, so
declaring one costs a dictionary. The semantics are the dataclass ones the code relies on:
positional and keyword construction in field order, defaults and ``field(default_factory=...)``,
``init``/``repr``/``compare`` per field, value equality and hashing of the compared fields (or
identity with ``eq=False``), ``order=True`` comparisons, ``__post_init__``, frozen attributes,
``replace`` and ``fields``. Records pickle and copy like any plain object (their ``__dict__``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")

_MISSING: Any = type("_MissingType", (), {"__repr__": lambda self: "MISSING"})()


class Field:
    """One declared field of a record."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

    def __init__(self, default: Any = _MISSING, default_factory: Any = _MISSING, init: bool = True,
                 repr: bool = True, compare: bool = True):  # noqa: A002 - the dataclasses name
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | Any = _MISSING, init: bool = True,
          repr: bool = True, compare: bool = True) -> Any:  # noqa: A002
    """A field's options, as ``dataclasses.field``."""
    if default is not _MISSING and default_factory is not _MISSING:
        raise ValueError("cannot give both default and default_factory")
    return Field(default, default_factory, init, repr, compare)


class _Spec:
    """What the shared methods need of a record class, computed once when it is declared."""

    __slots__ = ("compared", "defaults", "factories", "fields", "init_names", "late", "plain", "post_init",
                 "shown")

    def __init__(self, fields: tuple[Field, ...], post_init: bool):
        self.fields = fields
        self.init_names = tuple(f.name for f in fields if f.init)
        self.defaults = {f.name: f.default for f in fields if f.default is not _MISSING}
        self.factories = {f.name: f.default_factory for f in fields if f.default_factory is not _MISSING}
        self.late = tuple((f.name, f) for f in fields if not f.init)
        self.shown = tuple(f.name for f in fields if f.repr)
        self.compared = tuple(f.name for f in fields if f.compare)
        self.post_init = post_init
        self.plain = not self.late and not post_init   # construction is only filling the fields


# ---- the shared methods -------------------------------------------------------------------------

def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec: _Spec = type(self).__record__
    names = spec.init_names
    if not kwargs and len(args) == len(names) and spec.plain:  # most constructions: every field in order
        self.__dict__.update(zip(names, args))
        return
    if len(args) > len(names):
        raise TypeError(f"{type(self).__name__}() takes {len(names)} arguments but {len(args)} were given")
    values = self.__dict__
    for name, value in zip(names, args):
        values[name] = value
    if kwargs or len(args) < len(names):
        for name in names[:len(args)]:
            if name in kwargs:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")
        for name in names[len(args):]:
            if name in kwargs:
                values[name] = kwargs.pop(name)
            elif name in spec.defaults:
                values[name] = spec.defaults[name]
            elif name in spec.factories:
                values[name] = spec.factories[name]()
            else:
                raise TypeError(f"{type(self).__name__}() missing required argument {name!r}")
        if kwargs:
            raise TypeError(f"{type(self).__name__}() got an unexpected argument {next(iter(kwargs))!r}")
    for name, late in spec.late:
        if late.default_factory is not _MISSING:
            values[name] = late.default_factory()
        elif late.default is not _MISSING:
            values[name] = late.default
    if spec.post_init:
        self.__post_init__()


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={self.__dict__.get(name, _MISSING)!r}" for name in type(self).__record__.shown)
    return f"{type(self).__qualname__}({shown})"


def _key(self: Any) -> tuple[Any, ...]:
    values = self.__dict__
    return tuple(values[name] for name in type(self).__record__.compared)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self is other or _key(self) == _key(other)


def _hash(self: Any) -> int:
    return hash(_key(self))


def _ordering(compare: Callable[[tuple[Any, ...], tuple[Any, ...]], bool]) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return compare(_key(self), _key(other))
    return method


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    from compliance.errors import FrozenRecordError  # errors.py declares records itself

    raise FrozenRecordError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")


def _frozen_delattr(self: Any, name: str) -> None:
    from compliance.errors import FrozenRecordError

    raise FrozenRecordError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")


_ORDER = {"__lt__": _ordering(lambda a, b: a < b), "__le__": _ordering(lambda a, b: a <= b),
          "__gt__": _ordering(lambda a, b: a > b), "__ge__": _ordering(lambda a, b: a >= b)}


# ---- declaring ----------------------------------------------------------------------------------

def _is_class_variable(annotation: Any) -> bool:
    """``ClassVar[...]``, written as text (postponed annotations) or as the typing object."""
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.split("[", 1)[0].strip() in ("ClassVar", "typing.ClassVar")


def _declare(cls: type[T], eq: bool, order: bool, frozen: bool) -> type[T]:
    fields: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for inherited in getattr(base, "__record__", _Spec((), False)).fields:
            fields[inherited.name] = inherited
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if _is_class_variable(annotation):
            continue
        declared = cls.__dict__.get(name, _MISSING)
        spec = declared if isinstance(declared, Field) else Field(default=declared)
        spec.name = name
        if isinstance(declared, Field):
            if spec.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        fields[name] = spec
    seen_default = False
    for spec in fields.values():
        has_default = spec.default is not _MISSING or spec.default_factory is not _MISSING
        if spec.init and seen_default and not has_default:
            raise TypeError(f"{cls.__name__}: field {spec.name!r} without a default follows one with a default")
        seen_default = seen_default or (spec.init and has_default)
    cls.__record__ = _Spec(tuple(fields.values()), hasattr(cls, "__post_init__"))  # type: ignore[attr-defined]
    methods: dict[str, Any] = {"__init__": _init, "__repr__": _repr,
                               "__match_args__": tuple(name for name, spec in fields.items() if spec.init)}
    if eq:
        methods["__eq__"] = _eq
        methods["__hash__"] = _hash if frozen else None
    if order:
        methods.update(_ORDER)
    if frozen:
        methods["__setattr__"] = _frozen_setattr
        methods["__delattr__"] = _frozen_delattr
    own = cls.__dict__
    for name, method in methods.items():
        # as dataclasses do: what the class writes itself is kept (a __hash__ of some fields)
        if name not in own or (name == "__hash__" and own[name] is None and "__eq__" not in own):
            setattr(cls, name, method)
    return cls


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, eq: bool = True, order: bool = False, frozen: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: type[T] | None = None, /, *, eq: bool = True, order: bool = False,
           frozen: bool = True) -> Any:
    """Declare a record: ``@record`` (frozen, value equality), ``@record(eq=False)`` (compared
    by identity: AST nodes), ``@record(order=True)``, ``@record(frozen=False)`` (a builder)."""
    if cls is None:
        return lambda declared: _declare(declared, eq, order, frozen)
    return _declare(cls, eq, order, frozen)


# ---- using ----------------------------------------------------------------------------------------

def is_record(item: Any) -> bool:
    """A record class or instance (as ``dataclasses.is_dataclass``)."""
    owner = item if isinstance(item, type) else type(item)
    return hasattr(owner, "__record__")


def fields(item: Any) -> tuple[Field, ...]:
    """The fields of a record or record class, in declaration order."""
    owner = item if isinstance(item, type) else type(item)
    try:
        return owner.__record__.fields  # type: ignore[no-any-return]
    except AttributeError:
        raise TypeError(f"{owner.__name__} is not a record") from None


def replace(item: T, /, **changes: Any) -> T:
    """A copy of ``item`` with some fields changed, made through its constructor."""
    spec: _Spec = type(item).__record__  # type: ignore[attr-defined]
    for name in changes:
        if name not in spec.init_names:
            raise TypeError(f"{type(item).__name__} has no field {name!r} to replace")
    values = item.__dict__
    arguments = {name: changes[name] if name in changes else values[name] for name in spec.init_names}
    return type(item)(**arguments)
