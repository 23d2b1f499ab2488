"""One error root: every exception class the package defines derives from ComplianceError, so
the command line can tell an input error (exit 2) from a bug (exit 3) by class alone."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import compliance
from compliance.errors import ComplianceError, DomainError, InputError, InternalError


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(compliance.__path__, "compliance."):
        if info.name.endswith(("grammar_tables", "__main__")) or ".lsp" in info.name:
            continue   # generated data; the language server needs pygls at import
        names.append(info.name)
    return names


def test_every_exception_of_the_package_is_a_compliance_error() -> None:
    strays = []
    for name in _modules():
        module = importlib.import_module(name)
        for _attr, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) \
                    and value.__module__ == name and not issubclass(value, ComplianceError):
                strays.append(f"{name}.{value.__name__}")
    assert strays == []


def test_the_three_kinds_under_the_root() -> None:
    assert issubclass(InputError, ComplianceError) and issubclass(InternalError, ComplianceError)
    assert issubclass(DomainError, ComplianceError) and issubclass(DomainError, ValueError)


def test_a_domain_error_no_caller_placed_is_still_exit_2(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from compliance import cli
    from compliance.commands import schema

    def raising(args):  # type: ignore[no-untyped-def]
        raise DomainError("maintenance must be in [0%, 100%), got 1.2")

    monkeypatch.setattr(schema, "run", raising)
    assert cli.main(["schema", "contract"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("compliance: error: maintenance must be") and "Traceback" not in err
