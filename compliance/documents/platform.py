"""Platform profiles: loading with positions, the contracts they reference, and their DSL type.

``load_platform`` reads a ``kind: platform`` file with the safe YAML reader, validates it against
:mod:`compliance.documents.platform_models` (every problem at its key, exit 2), then loads each
contract the profile lists under ``references.contracts``, resolved relative to the profile, and
adds them to the document as a derived field ``contracts``: a list of contract maps, each with
the key ``file`` (the path it was read from), which rules read like any other field
(``for each c in contracts``). A finding about ``contracts[i]...`` points at the profile line that
references contract ``i``.

A reference that names no file, a file that is not a contract, or a contract with input errors is
an input error: the first two at the reference in the profile, the last at its own place in the
contract file. References are limited to ``.yaml``/``.yml`` files that declare ``kind: contract``
before any of their content is shown in a message, so a profile cannot make the tool print lines
of an arbitrary file.
"""
from __future__ import annotations

import functools
import os
from typing import Any

from compliance.documents.contract import (
    CONTRACT_SUFFIXES, load_contract, looks_like, raise_problems, require_kind, section_type,
)
from compliance.documents.model import Document, FieldPath, Position
from compliance.documents.yaml_loader import LoadedYaml, load_yaml
from compliance.dsl import types as T
from compliance.errors import Diagnostic, InputError

PLATFORM_KIND = "platform"
# A profile references a platform's client agreements: a handful, never thousands.
MAX_REFERENCED_CONTRACTS = 100
REFERENCES: FieldPath = ("references", "contracts")
DERIVED: FieldPath = ("contracts",)


def load_platform(path: str) -> Document:
    """Read, validate and type one platform profile with the contracts it references. Raises
    InputError listing every problem."""
    loaded = load_yaml(path)
    require_kind(loaded, path, (PLATFORM_KIND,))
    return platform_document(loaded, path)


def platform_document(loaded: LoadedYaml, path: str) -> Document:
    """The profile of an already read file: validated, with its referenced contracts."""
    from compliance.documents.models import validate_section_data
    from compliance.documents.platform_models import Platform

    data, problems = validate_section_data(Platform, loaded.data)
    raise_problems(loaded, path, problems)
    references = (data.get("references") or {}).get("contracts") or []
    contracts = referenced_contracts(references, loaded, path)
    positions = dict(loaded.positions)
    positions.update(_derived_positions(loaded.positions, len(contracts)))
    return Document(kind=PLATFORM_KIND, path=path, data={**data, "contracts": contracts},
                    positions=positions, sha256=loaded.sha256)


def referenced_contracts(references: list[str], loaded: LoadedYaml, path: str) -> list[dict[str, Any]]:
    """Each referenced contract's data with its ``file``, in the order listed. Every problem with
    every reference is collected before failing."""
    problems: list[Diagnostic] = []
    if len(references) > MAX_REFERENCED_CONTRACTS:
        problems.append(_at(loaded, path, REFERENCES, f"references {len(references)} contracts; at "
                                                      f"most {MAX_REFERENCED_CONTRACTS} are read"))
        raise InputError(problems)
    contracts: list[dict[str, Any]] = []
    for index, reference in enumerate(references):
        where = (*REFERENCES, index)
        target = resolve_reference(reference, path)
        why = _unusable(target)
        if why:
            problems.append(_at(loaded, path, where, f"references.contracts[{index}]: {reference!r} "
                                                     f"{why}"))
            continue
        try:
            contract = load_contract(target)
        except InputError as error:
            problems.extend(error.diagnostics)
            continue
        contracts.append({**contract.data, "file": target})
    if problems:
        raise InputError(problems)
    return contracts


def resolve_reference(reference: str, profile: str) -> str:
    """A reference relative to the profile's folder (an absolute one as written), normalised."""
    if os.path.isabs(reference):
        return os.path.normpath(reference)
    return os.path.normpath(os.path.join(os.path.dirname(profile), reference))


def _unusable(target: str) -> str:
    """Why a referenced file cannot be read as a contract ("" when it can)."""
    if "\x00" in target:
        return "contains a NUL character"
    if not target.endswith(CONTRACT_SUFFIXES):
        return "is not a contract file (*.yaml or *.yml)"
    if not os.path.isfile(target):
        return f"names no file ({target})"
    if not looks_like(target):
        return f"is not a contract: {target} has no top-level 'kind: contract'"
    return ""


def _at(loaded: LoadedYaml, path: str, where: FieldPath, message: str) -> Diagnostic:
    place = _nearest(loaded.positions, where)
    return Diagnostic(path, place.line, place.column, message, loaded.source_line(place.line))


def _nearest(positions: dict[FieldPath, Position], where: FieldPath) -> Position:
    while where:
        if where in positions:
            return positions[where]
        where = where[:-1]
    return positions.get((), Position(1, 1))


def _derived_positions(positions: dict[FieldPath, Position], count: int) -> dict[FieldPath, Position]:
    """``contracts`` and ``contracts[i]`` sit where the profile references them, so a finding on
    any field of a referenced contract points at its reference."""
    derived = {DERIVED: _nearest(positions, REFERENCES)}
    for index in range(count):
        derived[(*DERIVED, index)] = _nearest(positions, (*REFERENCES, index))
    return derived


# ---------------------------------------------------------------------------------------------
# The DSL's view of a profile, and the JSON Schema
# ---------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def platform_type() -> T.Type:
    """The record type of a profile (derived from its declarations), with the derived
    ``contracts``: a list of contract records, each with its ``file``."""
    from compliance.documents.contract import contract_type
    from compliance.documents.platform_models import Platform

    profile = section_type(Platform, optional=False)
    contract = T.record({**contract_type().fields, "file": T.STRING})
    return T.record({**profile.fields, "contracts": T.list_of(contract)})


def platform_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a profile file, with descriptions for editor hover help."""
    from compliance.documents.models import pydantic_model
    from compliance.documents.platform_models import SCHEMA_ID, Platform

    schema = pydantic_model(Platform).model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
    schema["description"] = " ".join((Platform.__doc__ or "").split())
    return schema


def load_document(path: str) -> Document:
    """What ``compliance check`` reads: a contract or a platform profile, by its ``kind``."""
    from compliance.documents.contract import CHECKED_KINDS, validate_contract

    loaded = load_yaml(path)
    kind = require_kind(loaded, path, CHECKED_KINDS)
    if kind == PLATFORM_KIND:
        return platform_document(loaded, path)
    return Document(kind=kind, path=path, data=validate_contract(loaded, path),
                    positions=loaded.positions, sha256=loaded.sha256)
