"""--template FILE: the user's Jinja2 template runs sandboxed; its errors are exit-2 input errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import InputError
from compliance.findings import Report
from compliance.report.templating import render_with_template


def _template(tmp_path: Path, text: str, name: str = "mine.md.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_template_sees_the_report(tmp_path: Path, check_report: Report) -> None:
    path = _template(tmp_path, "{{ verdict }} {{ summary.errors }}\n"
                               "{% for g in groups %}{{ g.topic }};{% endfor %}\n"
                               "{{ report.tool_version }} {{ plural(2, 'rule') }}\n")
    assert render_with_template(check_report, path) == (
        "FAIL 2\nleverage_cap;margin_close_out;risk_warning;fees_disclosure;\n0.1.0 2 rules\n")


def test_user_template_can_use_the_shared_macros(tmp_path: Path, check_report: Report) -> None:
    path = _template(tmp_path, '{% import "_macros.j2" as m %}{{ m.summary_sentence(summary, kind) }}')
    assert render_with_template(check_report, path).startswith("2 errors, 2 warnings, 1 info")


def test_values_are_autoescaped(tmp_path: Path, check_report: Report) -> None:
    path = _template(tmp_path, "{{ '<b>' }}")
    assert render_with_template(check_report, path) == "&lt;b&gt;"


def test_sandbox_blocks_python_internals(tmp_path: Path, check_report: Report) -> None:
    path = _template(tmp_path, "line one\n{{ ''.__class__.__mro__ }}\n")
    with pytest.raises(InputError) as caught:
        render_with_template(check_report, path)
    diagnostic = caught.value.diagnostics[0]
    assert (diagnostic.path, diagnostic.line) == (str(path), 2)
    assert "security" in diagnostic.message and "unsafe" in diagnostic.message


def test_sandbox_is_immutable(tmp_path: Path, check_report: Report) -> None:
    path = _template(tmp_path, "{% set x = groups.append(1) %}")
    with pytest.raises(InputError, match="security"):
        render_with_template(check_report, path)


def test_syntax_error_has_the_line(tmp_path: Path, check_report: Report) -> None:
    path = _template(tmp_path, "ok\nok\n{% for x in groups %}\n")
    with pytest.raises(InputError) as caught:
        render_with_template(check_report, path)
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.path == str(path) and diagnostic.line == 3  # the unclosed block ends the file
    assert diagnostic.render().startswith(f"{path}:3: error: template syntax error: ")


def test_undefined_variable_has_the_line(tmp_path: Path, check_report: Report) -> None:
    path = _template(tmp_path, "{{ verdict }}\n\n{{ no_such_thing }}\n")
    with pytest.raises(InputError) as caught:
        render_with_template(check_report, path)
    diagnostic = caught.value.diagnostics[0]
    assert (diagnostic.line, diagnostic.message) == (3, "template error: 'no_such_thing' is undefined")


def test_runtime_error_in_template(tmp_path: Path, check_report: Report) -> None:
    path = _template(tmp_path, "{{ 1 / 0 }}")
    with pytest.raises(InputError, match="ZeroDivisionError") as caught:
        render_with_template(check_report, path)
    assert caught.value.diagnostics[0].line == 1


def test_missing_and_non_utf8_templates(tmp_path: Path, check_report: Report) -> None:
    with pytest.raises(InputError, match="template not found"):
        render_with_template(check_report, tmp_path / "absent.j2")
    binary = tmp_path / "binary.j2"
    binary.write_bytes(b"\xff\xfe{{ x }}")
    with pytest.raises(InputError, match="not UTF-8"):
        render_with_template(check_report, binary)
