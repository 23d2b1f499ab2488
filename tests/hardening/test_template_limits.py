"""Users' templates run with bounded time, memory and output: each resource bomb is an exit-2
error naming the template line, within seconds, and nothing is written. Ordinary templates still
render."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from tree_support import BROKEN, copy_contract, picture, run_cli

from compliance.report import sandbox

BOMBS = {
    "string-repeat": "{{ 'x' * 10**10 }}",
    "huge-power": "{{ 10**100000000 }}",
    "int-product": "{% set n = 10**300 %}{{ n * n * n * n }}",
    "center": "{{ 'x'|center(10**10) }}",
    "str-method-width": "{{ 'x'.ljust(10**10) }}",
    "format-width": "{{ '{:>1000000000}'.format(1) }}",
    "format-nested-width": "{{ '{:>{w}}'.format(1, w=10**9) }}",
    "percent-star": "{{ '%*d' % (10**9, 1) }}",
    "percent-width": "{{ '%1000000000d' % 1 }}",
    "format-filter": "{{ '%*d'|format(10**9, 1) }}",
    "nested-loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "macro-fan-out": ("{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}"
                      "{{ m(40) }}"),
    "macro-fan-out-shallow": ("{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}"
                              "{% endmacro %}{{ m(25) }}"),
    "join-separator": "{{ range(1000)|join('x' * 1000000) }}",
    "join-method": "{{ ('x' * 1000000).join(['a', 'b', 'c']) }}",
    "replace": "{{ ('x' * 100000)|replace('x', 'y' * 1000) }}",
    "concat-doubling": ("{% set ns = namespace(s='ab') %}{% for i in range(60) %}"
                        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"),
    "list-repeat": "{{ ([1] * 10**9)|length }}",
    "output-size": "{% for i in range(100000) %}{{ 'x' * 1000000 }}{% endfor %}",
    "indent": "{{ ('a\\n' * 100000)|indent('x' * 100000) }}",
    "wordwrap": "{{ ('a ' * 100000)|wordwrap(2, wrapstring='x' * 100000) }}",
    "translate": "{{ ('a' * 100000).translate({97: 'x' * 100000}) }}",
}


# Through the command line in a child process (the in-process test below covers every bomb).
@pytest.mark.parametrize("name", ["string-repeat", "huge-power", "nested-loops", "macro-fan-out",
                                  "output-size", "format-width"])
def test_a_template_bomb_is_an_exit_2_error_at_its_line(tmp_path: Path, name: str) -> None:
    contract = copy_contract(tmp_path, source=BROKEN)
    template = tmp_path / "bomb.j2"
    template.write_text("line one\n" + BOMBS[name] + "\n", encoding="utf-8")
    report = tmp_path / "report.md"
    before = picture(tmp_path)
    result = run_cli("check", str(contract), "--ruleset", "esma_like", "--template", str(template),
                     "--output", str(report), cwd=tmp_path, timeout=2 * sandbox.MAX_TEMPLATE_SECONDS + 30)
    assert result.code == 2, (result.code, result.err)
    assert re.match(rf"^{re.escape(str(template))}:2: error: template limit: ", result.err), result.err
    assert "Traceback" not in result.err
    assert picture(tmp_path) == before


def test_lipsum_is_not_offered(tmp_path: Path) -> None:
    contract = copy_contract(tmp_path)
    template = tmp_path / "lorem.j2"
    template.write_text("x\n{{ lipsum(10**9) }}\n", encoding="utf-8")   # a billion paragraphs
    result = run_cli("check", str(contract), "--ruleset", "esma_like", "--template", str(template),
                     cwd=tmp_path, timeout=60)
    assert result.code == 2 and f"{template}:2: error: " in result.err and "lipsum" in result.err


def test_an_include_of_a_fifo_does_not_hang(tmp_path: Path) -> None:
    import os

    contract = copy_contract(tmp_path)
    os.mkfifo(tmp_path / "part.j2")
    template = tmp_path / "main.j2"
    template.write_text("{% include 'part.j2' %}\n", encoding="utf-8")
    result = run_cli("check", str(contract), "--ruleset", "esma_like", "--template", str(template),
                     cwd=tmp_path, timeout=60)
    assert result.code == 2 and "named pipe" in result.err


def test_ordinary_templates_still_render(tmp_path: Path) -> None:
    contract = copy_contract(tmp_path, source=BROKEN)
    template = tmp_path / "ok.j2"
    template.write_text(
        "{{ verdict }}|{{ '%-5s|%3d'|format('ab', 7) }}|{{ '{:>6}'.format('x') }}|"
        "{{ 'a'.center(5) }}|{{ [1, 2, 3]|join(', ') }}|{{ 2 ** 10 }}|{{ 'ab' * 3 }}|"
        "{% for f in report.findings %}{{ f.rule_id }} {% endfor %}\n",
        encoding="utf-8")
    result = run_cli("check", str(contract), "--ruleset", "esma_like", "--template", str(template),
                     cwd=tmp_path)
    assert result.code == 1, result.err
    assert "|ab   |  7|     x|  a  |1, 2, 3|1024|ababab|" in result.out
    assert "ESMA-LEV-1" in result.out


def test_the_time_limit_ends_a_slow_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance.errors import InputError
    from compliance.report.templating import render_user_template

    monkeypatch.setattr(sandbox, "MAX_TEMPLATE_SECONDS", 0.2)
    template = tmp_path / "slow.j2"
    # Below every count limit, but long: many steps of cheap work.
    template.write_text("x\n{% for i in range(90000) %}{% for j in range(10) %}"
                        "{{ (j ~ i)|length }}{% endfor %}{% endfor %}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        render_user_template(template, {})
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.line == 2 and "seconds" in diagnostic.message


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_template_bomb_in_process(tmp_path: Path, name: str) -> None:
    from compliance.errors import InputError
    from compliance.report.templating import render_user_template

    template = tmp_path / "bomb.j2"
    template.write_text("line one\n" + BOMBS[name] + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        render_user_template(template, {})
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.line == 2 and diagnostic.message.startswith("template limit: ")


@pytest.mark.parametrize("text, shown", [
    ("{{ 2 ** 10 }}|{{ 7 * 6 }}|{{ 'ab' * 2 }}|{{ [0] * 3 }}|{{ -(3) }}", "1024|42|abab|[0, 0, 0]|-3"),
    ("{{ '%5s|%-3d|%.2f' % ('a', 1, 2.5) }}", "    a|1  |2.50"),
    ("{{ '{:>4}{:.1f}'.format('x', 1.25) }}|{{ '{a}'.format_map({'a': 1}) }}", "   x1.2|1"),
    ("{{ 'a-b'.replace('-', '+') }}|{{ ','.join(['a', 'b']) }}|{{ 'x'.rjust(3) }}", "a+b|a,b|  x"),
    ("{{ 'a b'|replace(' ', '_') }}|{{ ['a', 'b']|join('/') }}|{{ 'x'|center(3) }}", "a_b|a/b| x "),
    ("{% set s %}{% for i in range(3) %}{{ i }}{% endfor %}{% endset %}{{ s ~ '!' }}", "012!"),
    ("{% macro m(n) %}{{ n }}{% if n %}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(3) }}", "3210"),
    ("{{ nowhere|default('none') }}|{{ nowhere is defined }}|{{ (nowhere|default([]))|join(',') }}",
     "none|False|"),
])
def test_ordinary_expressions_give_what_jinja_gives(tmp_path: Path, text: str, shown: str) -> None:
    from compliance.report.templating import render_user_template

    template = tmp_path / "ok.j2"
    template.write_text(text, encoding="utf-8")
    assert render_user_template(template, {}) == shown
