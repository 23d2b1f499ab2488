"""Contract files: finding them, loading them with positions, and their type for the DSL checker.

``load_contract`` reads a file with the safe YAML reader, checks it against the pydantic models of
:mod:`compliance.documents.models` and returns a :class:`Document` whose data holds the exact value
types of :mod:`compliance.dsl.units`. Every validation problem is reported, each at the position of
its key. pydantic is imported only for the JSON Schema, never on the way of ``compliance check``.
"""
from __future__ import annotations

import functools
import os
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from compliance.documents.files import (name_problem, os_reason, read_head, remember_input,
                                        shown_path)
from compliance.documents.model import Document, FieldPath, Position
from compliance.documents.yaml_loader import LoadedYaml, load_yaml
from compliance.dsl import types as T
from compliance.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from compliance.documents.declarations import Problem

CONTRACT_SUFFIXES = (".yaml", ".yml")
# How much of a file in a searched directory is read to see whether it is a contract.
_SNIFF_BYTES = 64 * 1024
# The kinds `compliance check` reviews: contracts, and platform profiles (which reference contracts).
CHECKED_KINDS = ("contract", "platform")
_KIND_NOUNS = {"contract": "contract", "platform": "platform profile"}


@functools.lru_cache(maxsize=4)
def _kind_line(kinds: tuple[str, ...]) -> "re.Pattern[bytes]":
    names = b"|".join(re.escape(kind.encode()) for kind in kinds)
    return re.compile(rb"^kind[ \t]*:[ \t]*[\"']?(?:" + names + rb")[\"']?[ \t]*(#.*)?$", re.MULTILINE)


def load_contract(path: str) -> Document:
    """Read, validate and type one contract file. Raises InputError listing every problem."""
    loaded = load_yaml(path)
    require_kind(loaded, path)
    data = validate_contract(loaded, path)
    return Document(kind="contract", path=path, data=data, positions=loaded.positions,
                    sha256=loaded.sha256, lines=tuple(loaded.lines))


def validate_contract(loaded: LoadedYaml, path: str) -> dict[str, Any]:
    """The contract's data as plain dicts and lists of typed values, absent fields omitted."""
    from compliance.documents.models import validate_contract_data

    data, problems = validate_contract_data(loaded.data)
    raise_problems(loaded, path, problems)
    return data


def raise_problems(loaded: LoadedYaml, path: str, problems: "Sequence[Problem]") -> None:
    """Every validation problem as ``PATH:LINE:COL: error:``, each at its key (a missing key at
    the mapping that lacks it); nothing when there is none."""
    if not problems:
        return
    diagnostics = []
    for problem in problems:
        place = _position(loaded.positions, problem.loc[:-1] if problem.missing else problem.loc)
        diagnostics.append(Diagnostic(path, place.line, place.column, problem.message,
                                      loaded.source_line(place.line)))
    diagnostics.sort(key=lambda d: (d.line or 0, d.column or 0, d.message))
    raise InputError(diagnostics)


def find_contracts(paths: list[str], kinds: tuple[str, ...] = ("contract",)) -> list[str]:
    """The contract files named by ``paths``: files as given, directories searched recursively for
    ``*.yaml``/``*.yml`` whose top-level ``kind`` is ``contract`` (or one of ``kinds``). Sorted,
    without duplicates."""
    found: set[str] = set()
    problems: list[Diagnostic] = []
    for path in paths:
        problem = name_problem(path)
        if problem:
            problems.append(Diagnostic(shown_path(path), None, None, problem))
        elif os.path.isdir(path):
            found.update(_search_directory(path, kinds))
        elif os.path.exists(path):
            try:
                require_kind(load_yaml(path), path, kinds)
            except InputError as error:
                problems.extend(error.diagnostics)
                continue
            found.add(path)
        else:
            problems.append(Diagnostic(shown_path(path), None, None, _missing_reason(path)))
    if problems:
        raise InputError(problems)
    return sorted(found)


def _missing_reason(path: str) -> str:
    """Why ``path`` cannot be found: absent, or a name the system refuses (too long, a loop)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return "no such file or directory"
    except OSError as error:
        return os_reason(error)
    return "no such file or directory"


def split_contracts(paths: list[str], kinds: tuple[str, ...] = ("contract",)
                    ) -> tuple[list[str], list[tuple[str, str]]]:
    """For hooks handed every changed YAML file (pre-commit): the paths that are contracts, or
    directories to search, and ``(path, why)`` for each named file that is not a contract (a CI
    workflow, a Kubernetes manifest, the pre-commit config itself), which is to be skipped.

    A file is taken for a contract when it declares ``kind: contract`` at the margin or, failing
    that, parses with ``kind: contract``; so a contract with a YAML error is still checked."""
    kept: list[str] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if os.path.isdir(path) or not os.path.exists(path) or looks_like(path, kinds):
            kept.append(path)  # directories are searched; a missing file stays an error
        else:
            skipped.append((path, f"not a contract (no top-level {_expected(kinds)})"))
    return kept, skipped


def _search_directory(root: str, kinds: tuple[str, ...]) -> Iterable[str]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(CONTRACT_SUFFIXES) and not name.startswith("."):
                candidate = os.path.join(directory, name)
                if looks_like(candidate, kinds):
                    # An input of the run even when a worker process reads it: never an output.
                    remember_input(os.stat(candidate))
                    yield candidate


def looks_like(path: str, kinds: tuple[str, ...] = ("contract",)) -> bool:
    """Whether a file in a searched directory declares ``kind: contract`` (or one of ``kinds``)
    at the top level.

    A line ``kind: contract`` at the margin is enough, so that a contract with a YAML error is still
    found (and its error reported) rather than silently skipped; otherwise the file is parsed."""
    head = read_head(path, _SNIFF_BYTES)  # None for a FIFO, a device or a folder: skipped
    if head is None:
        return False
    if _kind_line(kinds).search(head):
        return True
    if not any(kind.encode() in head for kind in kinds):
        return False
    try:
        loaded = load_yaml(path)
    except InputError:
        return False
    return isinstance(loaded.data, dict) and loaded.data.get("kind") in kinds


_looks_like_contract = looks_like  # the name compliance.analysis.impact imports


def _expected(kinds: tuple[str, ...]) -> str:
    return " or ".join(f"'kind: {kind}'" for kind in kinds)


def require_kind(loaded: LoadedYaml, path: str, kinds: tuple[str, ...] = ("contract",)) -> str:
    """The file's ``kind``, one of ``kinds``; anything else is an error at the ``kind`` key."""
    data = loaded.data
    noun = " or ".join(_KIND_NOUNS.get(kind, kind) for kind in kinds)
    if not isinstance(data, dict):
        shown = "a list" if isinstance(data, list) else f"the value {data!r}"
        raise InputError(Diagnostic(path, 1, 1, f"not a {noun}: the file holds {shown}, "
                                                f"expected a mapping with {_expected(kinds)}",
                                    loaded.source_line(1)))
    kind = data.get("kind")
    if kind in kinds:
        return str(kind)
    place = loaded.positions.get(("kind",), Position(1, 1))
    shown = "missing" if "kind" not in data else repr(kind)
    raise InputError(Diagnostic(path, place.line, place.column,
                                f"not a {noun} (kind is {shown}); expected {_expected(kinds)}",
                                loaded.source_line(place.line)))


def _position(positions: Mapping[FieldPath, Position], where: FieldPath) -> Position:
    while where:
        if where in positions:
            return positions[where]
        where = where[:-1]
    return positions.get((), Position(1, 1))


# ---------------------------------------------------------------------------------------------
# The DSL's view of a contract, and the JSON Schema
# ---------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def contract_type() -> T.Type:
    """The record type of a contract, derived from the declarations in
    :mod:`compliance.documents.models` (the one source of truth), so that the DSL checker can
    reject a rule reading a key that no contract can have."""
    from compliance.documents.models import Contract

    return section_type(Contract, optional=False)


def section_type(section: Any, optional: bool) -> T.Type:
    """The DSL record type of a declared section (of any document kind)."""
    fields = {name: _type_of(spec.annotation, optional=not spec.required)
              for name, spec in section.fields().items()}
    return T.record(fields, optional=optional)


def _type_of(annotation: Any, optional: bool) -> T.Type:
    import datetime as dt
    from decimal import Decimal

    from compliance.documents.declarations import Section, strip_optional
    from compliance.dsl.units import Duration, Leverage, Money, Percent

    annotation = strip_optional(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    scalar: dict[Any, T.Type] = {
        Percent: T.PERCENT, Leverage: T.LEVERAGE, Money: T.money(None), dt.date: T.DATE,
        Duration: T.DURATION, str: T.STRING, bool: T.BOOL, int: T.NUMBER, float: T.NUMBER,
        Decimal: T.NUMBER,
    }
    if origin is typing.Literal:
        result = T.STRING
    elif origin is list:
        result = T.list_of(_type_of(typing.get_args(annotation)[0], optional=False))
    elif origin is dict:
        result = T.map_of(_type_of(typing.get_args(annotation)[1], optional=False))
    elif isinstance(annotation, type) and issubclass(annotation, Section):
        return section_type(annotation, optional)
    elif annotation in scalar:
        result = scalar[annotation]
    else:
        raise TypeError(f"no DSL type for {annotation!r}")
    return T.optional(result) if optional else result


def contract_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a contract file, with descriptions for editor hover help."""
    from compliance.documents.declarations import pydantic_model
    from compliance.documents.models import Contract

    schema = pydantic_model(Contract).model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    schema["description"] = " ".join((Contract.__doc__ or "").split())
    return schema
