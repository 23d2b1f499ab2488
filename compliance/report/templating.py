"""Jinja2 for the Markdown and HTML reports, and for users' own templates (``--template FILE``).

Jinja2 is imported inside the functions: the other formats must not pay for it at start-up.
Built-in templates escape every value: HTML-escaped for HTML, Markdown-escaped for Markdown (see
``common.markdown_escape``). A user's template runs in Jinja's immutable sandbox, autoescaped, with
strict undefined variables; any error in it is reported as ``TEMPLATE:LINE: error: ...`` (exit 2).
"""
from __future__ import annotations

import functools
import os
import traceback
from compliance.records import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from compliance.errors import InputError
from compliance.findings import Report
from compliance.report.common import markdown_escape
from compliance.report.context import TEMPLATE_FILTERS, TEMPLATE_HELPERS, report_context

if TYPE_CHECKING:
    import jinja2

TEMPLATES_DIR = Path(__file__).parent / "templates"


# What a report shows for a figure that has no value: a total over several currencies (the JSON
# report has them per currency), a warning level the ruleset does not set.
NOT_AVAILABLE = "n/a"


def _html_finalize(value: Any) -> Any:
    return NOT_AVAILABLE if value is None else value


def _markdown_finalize(value: Any) -> Any:
    """Every ``{{ value }}`` in a Markdown template is escaped, unless it is already markup (the
    output of a macro, or a value a template marked ``|safe`` on purpose)."""
    if isinstance(value, Markup):
        return value
    return Markup(markdown_escape(NOT_AVAILABLE if value is None else value))


def _configure(env: "jinja2.Environment") -> "jinja2.Environment":
    env.filters.update(TEMPLATE_FILTERS)
    env.globals.update(TEMPLATE_HELPERS)
    return env


@functools.cache
def builtin_environment(flavour: str) -> "jinja2.Environment":
    """The environment for the package's own templates: ``flavour`` is "html" or "markdown"."""
    import jinja2

    options: dict[str, Any] = {
        "loader": jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
    }
    if flavour == "markdown":
        # autoescape on so that macro output is Markup and is not escaped twice by finalize.
        env = jinja2.Environment(autoescape=True, finalize=_markdown_finalize, **options)
    else:
        env = jinja2.Environment(
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "xml"),
                                                default_for_string=True, default=True),
            finalize=_html_finalize, **options)
    return _configure(env)


def render_builtin(template_name: str, flavour: str, report: Report, fail_on: str) -> str:
    template = builtin_environment(flavour).get_template(template_name)
    return template.render(report_context(report, fail_on=fail_on))


def _template_line(error: BaseException, files: set[str]) -> tuple[str | None, int | None]:
    """The user's template file and line an error came from, read off the traceback that Jinja
    rewrites to point into templates."""
    lineno = getattr(error, "lineno", None)
    filename = getattr(error, "filename", None)
    if lineno is not None:
        return filename, lineno
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename in files or (frame.filename and not frame.filename.endswith(".py")
                                       and os.path.isfile(frame.filename)
                                       and not frame.filename.startswith(str(TEMPLATES_DIR))):
            return frame.filename, frame.lineno
    return None, None


def _render_bounded(template: "jinja2.Template", context: dict[str, Any]) -> str:
    """The template's output, refused past ``MAX_OUTPUT_CHARS`` at the line that wrote it."""
    from compliance.report.sandbox import MAX_OUTPUT_CHARS, TemplateLimit

    pieces: list[str] = []
    total = 0
    generator = template.generate(**context)
    for piece in generator:
        total += len(piece)
        if total > MAX_OUTPUT_CHARS:
            raise TemplateLimit(f"the template wrote more than {MAX_OUTPUT_CHARS:,} characters",
                                _suspended_line(generator, template))
        pieces.append(piece)
    return "".join(pieces)


def _suspended_line(generator: Any, template: "jinja2.Template") -> int | None:
    """The template line at which a rendering generator is suspended (it just wrote output)."""
    frame = None
    while generator is not None and getattr(generator, "gi_frame", None) is not None:
        frame = generator.gi_frame
        generator = generator.gi_yieldfrom
    if frame is None or frame.f_code.co_filename != template.filename:
        return None
    return template.get_corresponding_lineno(frame.f_lineno)


def render_with_template(report: Report, template_path: str | os.PathLike[str], *,
                         fail_on: str = "error") -> str:
    """Render ``report`` with the user's Jinja2 template, in the immutable sandbox.

    The template sees the same variables as the built-in ones (``verdict``, ``summary``,
    ``groups``, ``waived``, ``notices``, ``disabled``, ``documents``, ``provenance``, ``audit``)
    plus ``report`` itself, and may include templates beside it or import the built-in macros."""
    return render_user_template(template_path, {"report": report, **report_context(report, fail_on=fail_on)},
                                configure=True)


def render_user_template(template_path: str | os.PathLike[str], context: dict[str, Any], *,
                         configure: bool = False) -> str:
    """Render a user's template with ``context`` in Jinja2's immutable sandbox, autoescaped and
    strict about undefined names. Every failure inside the template is the user's input error:
    ``TEMPLATE:LINE: error: ...`` (exit 2), never a traceback."""
    import jinja2

    from compliance.documents.files import check_input, read_input, shown_path
    from compliance.report.sandbox import MAX_TEMPLATE_BYTES, BoundedSandbox, bounded_loader

    shown = shown_path(str(template_path))
    path = Path(template_path)
    try:
        os.lstat(template_path)
    except FileNotFoundError:
        raise InputError.at(shown, None, None, "template not found") from None
    except (OSError, ValueError):
        pass  # a name no system call takes: check_input says why
    check_input(str(template_path), what="a template", limit=MAX_TEMPLATE_BYTES)
    absolute = str(path.resolve())

    def read(name: str) -> str:
        return read_input(name, MAX_TEMPLATE_BYTES, what="a template").data.decode("utf-8")

    env = BoundedSandbox(
        loader=bounded_loader([str(path.resolve().parent), str(TEMPLATES_DIR)], read),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    if configure:
        _configure(env)
    env.finish_filters()
    env.start()

    def place(filename: str | None) -> str:
        return shown if filename in (None, absolute, path.name) else filename  # type: ignore[return-value]

    from compliance.report.sandbox import TemplateLimit

    try:
        return _render_bounded(env.get_template(path.name), context)
    except InputError as error:  # an included file that is not a regular file, or too large
        raise InputError([replace(d, path=place(d.path)) for d in error.diagnostics]) from None
    except TemplateLimit as error:
        filename, line = _template_line(error, {absolute})
        if line is None and len(error.args) > 1:  # the output limit, found outside the template
            filename, line = absolute, error.args[1]
        raise InputError.at(place(filename), line, None, f"template limit: {error}") from None
    except RecursionError as error:
        filename, line = _template_line(error, {absolute})
        raise InputError.at(place(filename), line, None,
                            "template limit: calls nest too deeply") from None
    except MemoryError as error:
        filename, line = _template_line(error, {absolute})
        raise InputError.at(place(filename), line, None,
                            "template limit: the template ran out of memory") from None
    except UnicodeDecodeError as error:
        raise InputError.at(shown, None, None, f"the template is not UTF-8 text ({error.reason})")
    except jinja2.TemplateSyntaxError as error:
        raise InputError.at(place(error.filename), error.lineno, None,
                            f"template syntax error: {error.message}") from None
    except jinja2.exceptions.SecurityError as error:
        filename, line = _template_line(error, {absolute})
        raise InputError.at(place(filename), line, None,
                            f"template security error: {error}") from None
    except jinja2.UndefinedError as error:
        filename, line = _template_line(error, {absolute})
        raise InputError.at(place(filename), line, None,
                            f"template error: {error.message}") from None
    except Exception as error:  # noqa: BLE001 - any failure inside a user's template is theirs
        filename, line = _template_line(error, {absolute})
        raise InputError.at(place(filename), line, None,
                            f"template error ({type(error).__name__}): {error}") from None
