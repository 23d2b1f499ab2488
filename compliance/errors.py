"""The tool's errors, under one root: input errors a user can act on (exit 2, each with its place,
printed as ``PATH:LINE:COL: error: MESSAGE``), domain errors (a value outside where a rule or a
formula means anything, translated into an input error at its place, or a failed check), and
internal errors (a bug: exit 3). Every module raises one of these, or translates what a library
raises into one, so that no library exception reaches the user."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int | None
    column: int | None
    message: str
    source_line: str | None = None  # the offending line, shown with a caret under the column

    def render(self) -> str:
        place = self.path
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        text = f"{place}: error: {self.message}"
        if self.source_line is not None and self.column is not None:
            shown = self.source_line.rstrip("\n")
            if len(shown) > 200:  # a hostile one-line file must not flood the terminal
                start = max(0, self.column - 100)
                shown = shown[start:start + 200]
                caret_at = self.column - start
            else:
                caret_at = self.column
            text += f"\n    {shown}\n    {' ' * (caret_at - 1)}^"
        return text


class ComplianceError(Exception):
    """The root of every error the tool raises on purpose."""


class DomainError(ComplianceError, ValueError):
    """A value outside the domain where a unit, a builtin or a formula means anything (a leverage
    of -2, a maintenance of 120%, a date beyond the calendar). Callers that know the place
    translate it into an InputError there; one that escapes is still the user's input (exit 2)."""


class InternalError(ComplianceError):
    """The tool's own fault, not the input's (exit code 3): a bug to report."""


class InputError(ComplianceError):
    """The run cannot be done because an input is invalid (exit code 2). Holds every problem found."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    @classmethod
    def at(cls, path: str, line: int | None, column: int | None, message: str,
           source_line: str | None = None) -> "InputError":
        return cls(Diagnostic(path, line, column, message, source_line))
