"""Rule analysis: an exact SMT encoding of the decidable fragment of the rules language, and the
commands built on it (prove, witness, lint, diff, impact, test coverage). See docs/analysis.md.

z3 is imported only through :func:`z3`, so nothing else of the package pays for it.
"""
from __future__ import annotations

from types import ModuleType

from compliance.errors import InputError


def z3() -> ModuleType:
    """The z3 module, or an input error saying how to install it (exit 2, no traceback)."""
    try:
        import z3 as module
    except ImportError:
        raise InputError.at("compliance", None, None, "rule analysis needs the SMT solver z3: "
                            "pip install 'leverage-compliance[analysis]'") from None
    return module
