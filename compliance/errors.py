"""Errors a user can act on. Each carries a place, and prints as ``PATH:LINE:COL: error: MESSAGE``."""
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


class InputError(Exception):
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
