"""The command line: arguments, exit codes and error printing. No domain logic lives here.

Exit codes (the spec): 0 no finding at or above --fail-on; 1 at least one; 2 the run could not be
done (bad flags or input); 3 an internal error.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from compliance import DISTRIBUTION, __version__
from compliance.errors import DomainError, InputError

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143   # 128 + SIGINT, 128 + SIGTERM, as shells report


# Whether the KeyboardInterrupt being handled came from SIGTERM (exit 143) rather than Ctrl-C.
_TERMINATED = {"now": False}


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM is raised as KeyboardInterrupt where the program is, so that every clean-up
    (temporary files, worker processes) runs as it does for Ctrl-C; the exit code tells them
    apart. KeyboardInterrupt, not an exception of the tool's own: ``except Exception`` must not
    swallow it."""
    _TERMINATED["now"] = True
    raise KeyboardInterrupt("terminated")


def _install_sigterm_handler() -> object:
    """Turn SIGTERM into KeyboardInterrupt while a command runs; returns what to restore."""
    import signal

    try:
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            return signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (an embedding program): its own handling applies
        pass
    return None


def _restore_sigterm_handler(previous: object) -> None:
    import signal

    if previous is not None:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]


# command name -> (module under compliance.commands, one-line help)
COMMANDS = {
    "check": ("check", "review contract files against rulesets"),
    "audit": ("audit", "audit an account snapshot against the account rules of a ruleset"),
    "disclose": ("disclose", "write the risk-disclosure statement computed from a contract"),
    "diligence": ("diligence", "the due-diligence report of a platform profile (verdict, evidence, risk)"),
    "rules": ("rules", "list, show, test, format and analyse rulesets"),
    "impact": ("impact", "which contracts and accounts change verdict when the rules change"),
    "schema": ("schema", "print the JSON Schema of contracts, snapshots or findings"),
    "risk": ("risk", "liquidation, return and Monte Carlo figures for a contract or given terms"),
    "lsp": ("lsp", "the language server for .rules files, on standard input and output"),
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad flags as ``compliance: error: ...`` with exit 2, no usage dump."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.stderr.write(f"(see '{self.prog} --help')\n")
        raise SystemExit(EXIT_INPUT)


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The argument parser. Only the chosen command's module is imported (start-up time)."""
    parser = _Parser(prog="compliance", description="Check leveraged-trading contracts and account "
                     "snapshots against regulatory and house rules.")
    parser.add_argument("--version", action="version", version=f"compliance {__version__} ({DISTRIBUTION})")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--no-cache", action="store_true",
                        help="build every ruleset from its files; neither read nor write the ruleset cache")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        command_parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                                    help=argparse.SUPPRESS)
        command_parser.add_argument("--no-cache", action="store_true", default=argparse.SUPPRESS,
                                    help="build rulesets from their files; neither read nor write the cache")
        if name == chosen:
            module = importlib.import_module(f"compliance.commands.{module_name}")
            module.add_arguments(command_parser)
            command_parser.set_defaults(_module=module)
    return parser


def _chosen_command(argv: Sequence[str]) -> str | None:
    for token in argv:
        if not token.startswith("-"):
            return token if token in COMMANDS else None
    return None


# Options whose values may start with '-' (price falls: --stress -5%,-10%). argparse would take
# such a value for an option of its own, so ``--stress -5%`` is joined into ``--stress=-5%``.
_NEGATIVE_VALUE_OPTIONS = ("--stress",)


def _join_negative_values(argv: list[str]) -> list[str]:
    joined: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        if token in _NEGATIVE_VALUE_OPTIONS and index + 1 < len(argv) and argv[index + 1].startswith("-") \
                and argv[index + 1][1:2].isdigit():
            joined.append(f"{token}={argv[index + 1]}")
            index += 2
            continue
        joined.append(token)
        index += 1
    return joined


def _report_failed_run(args: argparse.Namespace, error: InputError) -> None:
    """A run that cannot be done still writes the SARIF it was asked for, marked unsuccessful with
    the input errors as notifications, so a CI upload step shows why instead of failing itself."""
    if getattr(args, "format", None) != "sarif" or getattr(args, "template", None):
        return
    from compliance.report.output import emit
    from compliance.report.sarif import render_failed_run

    try:
        emit(render_failed_run(error.diagnostics, __version__), getattr(args, "output", None))
    except InputError:
        pass  # the output itself cannot be written: its error is already among those printed


def main(argv: Sequence[str] | None = None) -> int:
    argv = _join_negative_values(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser(_chosen_command(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    with _cache_policy(getattr(args, "no_cache", False)):
        return _run(args)


@contextlib.contextmanager
def _cache_policy(no_cache: bool) -> Iterator[None]:
    """--no-cache for this run, and for the worker processes it starts (they read the variable)."""
    if not no_cache:
        yield
        return
    from compliance.dsl.store import NO_CACHE_VARIABLE

    before = os.environ.get(NO_CACHE_VARIABLE)
    os.environ[NO_CACHE_VARIABLE] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(NO_CACHE_VARIABLE, None)
        else:
            os.environ[NO_CACHE_VARIABLE] = before


def _run(args: argparse.Namespace) -> int:
    from compliance.documents.files import forget_inputs

    forget_inputs()   # outputs are checked against the inputs of this run only
    _TERMINATED["now"] = False
    previous = _install_sigterm_handler()
    try:
        return int(args._module.run(args))
    except InputError as error:
        for diagnostic in error.diagnostics:
            sys.stderr.write(diagnostic.render() + "\n")
        _report_failed_run(args, error)
        return EXIT_INPUT
    except DomainError as error:
        # A value outside a formula's domain that no caller placed: still the input, not a bug.
        sys.stderr.write(f"compliance: error: {error}\n")
        return EXIT_INPUT
    except KeyboardInterrupt:
        if _TERMINATED["now"]:
            sys.stderr.write("compliance: terminated\n")
            return EXIT_TERMINATED
        sys.stderr.write("compliance: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:
        if getattr(args, "debug", False):
            raise
        sys.stderr.write(
            f"compliance: internal error ({type(error).__name__}): {error}. This is a bug; please "
            "report it with the command and input that caused it (rerun with --debug for details).\n")
        return EXIT_INTERNAL
    finally:
        _restore_sigterm_handler(previous)
