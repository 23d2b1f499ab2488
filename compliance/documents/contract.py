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
from collections.abc import Iterable, Mapping
from typing import Any

from compliance.documents.files import (name_problem, os_reason, read_head, remember_input,
                                        shown_path)
from compliance.documents.model import Document, FieldPath, Position
from compliance.documents.yaml_loader import LoadedYaml, load_yaml
from compliance.dsl import types as T
from compliance.errors import Diagnostic, InputError

CONTRACT_SUFFIXES = (".yaml", ".yml")
# How much of a file in a searched directory is read to see whether it is a contract.
_SNIFF_BYTES = 64 * 1024
_KIND_LINE = re.compile(rb"^kind[ \t]*:[ \t]*[\"']?contract[\"']?[ \t]*(#.*)?$", re.MULTILINE)


def load_contract(path: str) -> Document:
    """Read, validate and type one contract file. Raises InputError listing every problem."""
    loaded = load_yaml(path)
    _require_contract(loaded, path)
    data = validate_contract(loaded, path)
    return Document(kind="contract", path=path, data=data, positions=loaded.positions,
                    sha256=loaded.sha256)


def validate_contract(loaded: LoadedYaml, path: str) -> dict[str, Any]:
    """The contract's data as plain dicts and lists of typed values, absent fields omitted."""
    from compliance.documents.models import validate_contract_data

    data, problems = validate_contract_data(loaded.data)
    if problems:
        diagnostics = []
        for problem in problems:
            place = _position(loaded.positions, problem.loc[:-1] if problem.missing else problem.loc)
            diagnostics.append(Diagnostic(path, place.line, place.column, problem.message,
                                          loaded.source_line(place.line)))
        diagnostics.sort(key=lambda d: (d.line or 0, d.column or 0, d.message))
        raise InputError(diagnostics)
    return data


def find_contracts(paths: list[str]) -> list[str]:
    """The contract files named by ``paths``: files as given, directories searched recursively for
    ``*.yaml``/``*.yml`` whose top-level ``kind`` is ``contract``. Sorted, without duplicates."""
    found: set[str] = set()
    problems: list[Diagnostic] = []
    for path in paths:
        problem = name_problem(path)
        if problem:
            problems.append(Diagnostic(shown_path(path), None, None, problem))
        elif os.path.isdir(path):
            found.update(_search_directory(path))
        elif os.path.exists(path):
            try:
                _require_contract(load_yaml(path), path)
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


def split_contracts(paths: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """For hooks handed every changed YAML file (pre-commit): the paths that are contracts, or
    directories to search, and ``(path, why)`` for each named file that is not a contract (a CI
    workflow, a Kubernetes manifest, the pre-commit config itself), which is to be skipped.

    A file is taken for a contract when it declares ``kind: contract`` at the margin or, failing
    that, parses with ``kind: contract``; so a contract with a YAML error is still checked."""
    kept: list[str] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        if os.path.isdir(path) or not os.path.exists(path) or _looks_like_contract(path):
            kept.append(path)  # directories are searched; a missing file stays an error
        else:
            skipped.append((path, "not a contract (no top-level 'kind: contract')"))
    return kept, skipped


def _search_directory(root: str) -> Iterable[str]:
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(CONTRACT_SUFFIXES) and not name.startswith("."):
                candidate = os.path.join(directory, name)
                if _looks_like_contract(candidate):
                    # An input of the run even when a worker process reads it: never an output.
                    remember_input(os.stat(candidate))
                    yield candidate


def _looks_like_contract(path: str) -> bool:
    """Whether a file in a searched directory declares ``kind: contract`` at the top level.

    A line ``kind: contract`` at the margin is enough, so that a contract with a YAML error is still
    found (and its error reported) rather than silently skipped; otherwise the file is parsed."""
    head = read_head(path, _SNIFF_BYTES)  # None for a FIFO, a device or a folder: skipped
    if head is None:
        return False
    if _KIND_LINE.search(head):
        return True
    if b"contract" not in head:
        return False
    try:
        loaded = load_yaml(path)
    except InputError:
        return False
    return isinstance(loaded.data, dict) and loaded.data.get("kind") == "contract"


def _require_contract(loaded: LoadedYaml, path: str) -> None:
    data = loaded.data
    if not isinstance(data, dict):
        shown = "a list" if isinstance(data, list) else f"the value {data!r}"
        raise InputError(Diagnostic(path, 1, 1, f"not a contract: the file holds {shown}, "
                                                "expected a mapping with 'kind: contract'",
                                    loaded.source_line(1)))
    kind = data.get("kind")
    if kind == "contract":
        return
    place = loaded.positions.get(("kind",), Position(1, 1))
    shown = "missing" if "kind" not in data else repr(kind)
    raise InputError(Diagnostic(path, place.line, place.column,
                                f"not a contract (kind is {shown}); expected 'kind: contract'",
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

    return _type_of_section(Contract, optional=False)


def _type_of_section(section: Any, optional: bool) -> T.Type:
    fields = {name: _type_of(spec.annotation, optional=not spec.required)
              for name, spec in section.fields().items()}
    return T.record(fields, optional=optional)


def _type_of(annotation: Any, optional: bool) -> T.Type:
    import datetime as dt
    from decimal import Decimal

    from compliance.documents.models import Section, strip_optional
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
        return _type_of_section(annotation, optional)
    elif annotation in scalar:
        result = scalar[annotation]
    else:
        raise TypeError(f"no DSL type for {annotation!r}")
    return T.optional(result) if optional else result


def contract_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a contract file, with descriptions for editor hover help."""
    from compliance.documents.models import Contract, pydantic_model

    schema = pydantic_model(Contract).model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    schema["description"] = " ".join((Contract.__doc__ or "").split())
    return schema
