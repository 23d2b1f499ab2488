"""The regular expressions of `matches()`: RE2 syntax, run on Google's RE2 engine (google-re2).

RE2 runs in time linear in the text whatever the pattern (no backtracking), so a hostile pattern
such as ``(a+)+$`` cannot hang a check; its syntax is documented at
https://github.com/google/re2/wiki/Syntax (Unicode classes such as ``\\p{Han}`` and ``\\p{Nd}``
included; back-references and look-around are not part of it). Patterns are matched ignoring
case, on the text normalised as `mentions()` normalises it. The engine is imported the first time
a pattern is compiled, so a check that uses none does not pay for it.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from compliance.errors import DomainError

MAX_PATTERN_LENGTH = 1000        # characters of one pattern
MAX_PATTERN_MEMORY = 8 << 20     # bytes RE2 may use to compile one pattern (its automata)


class PatternError(DomainError):
    """A pattern RE2 refuses, or one beyond the limits; the message says why."""


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 pattern, ignoring case; raises PatternError."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern is {len(pattern)} characters long; the limit is "
                           f"{MAX_PATTERN_LENGTH}")
    import re2

    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False        # the error is reported to the rule author, not logged
    options.max_mem = MAX_PATTERN_MEMORY
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None
