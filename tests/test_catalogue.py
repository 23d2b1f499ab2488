"""The rule catalogue generator: the committed pages are what it generates from the rulesets, they
cover every rule of every built-in ruleset, and the site's navigation lists each of them."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from compliance import catalogue
from compliance.dsl.loader import builtin_names, load_ruleset
from compliance.dsl.parser import parse_expression
from compliance.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    return catalogue.pages(DOCS)


def test_the_committed_pages_are_what_the_generator_writes(generated: dict[Path, str]) -> None:
    stale = [str(path.relative_to(ROOT)) for path, text in generated.items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    assert stale == [], "regenerate with: python -m compliance.catalogue"
    on_disk = {path.name for path in (DOCS / catalogue.CATALOGUE).glob("*.md")}
    assert on_disk == {path.name for path in generated if path.parent.name == catalogue.CATALOGUE}


@pytest.mark.parametrize("name", builtin_names())
def test_every_rule_has_its_section_or_a_link_to_it(name: str, generated: dict[Path, str]) -> None:
    page = generated[DOCS / catalogue.CATALOGUE / f"{name}.md"]
    ruleset = load_ruleset(name)
    for rule in ruleset.rules:
        if rule.ruleset == name:
            assert f"### {rule.rule_id}: " in page and catalogue.md(rule.citation) in page
        else:
            assert f"[{rule.rule_id}]({rule.ruleset}.md#{catalogue.anchor(rule.rule_id)})" in page
    for case in ruleset.tests:
        assert catalogue.md(case.name) in page, case.name
    for param in ruleset.params:
        assert f"| `{param}` |" in page


def test_chinese_titles_and_citations_are_shown_as_written(generated: dict[Path, str]) -> None:
    ruleset = load_ruleset("csrc_like")
    page = generated[DOCS / catalogue.CATALOGUE / "csrc_like.md"]
    chinese = [rule.citation for rule in ruleset.rules if any("\u4e00" <= c <= "\u9fff" for c in rule.citation)]
    assert chinese and all(catalogue.md(citation) in page for citation in chinese)
    assert catalogue.md(ruleset.title) in page


def test_the_site_navigation_lists_every_generated_page(generated: dict[Path, str]) -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(node: object) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, dict):
            return [page for value in node.values() for page in pages(value)]
        if isinstance(node, list):
            return [page for value in node for page in pages(value)]
        return []

    listed = set(pages(config["nav"]))
    assert {str(path.relative_to(DOCS)) for path in generated} <= listed
    assert {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")} == listed


def test_a_requirement_reads_as_lists_of_conditions() -> None:
    expr = parse_expression('a == 1 and (b or c.d > 2%) and not e')
    assert catalogue.in_words(expr) == [
        "all of:", "- `a == 1`", "- any of:", "    - `b`", "    - `c.d > 2%`", "- `not e`"]
    assert catalogue.in_words(parse_expression("x <= y")) == ["`x <= y`"]


def test_a_failing_in_file_test_is_shown_as_failing(tmp_path: Path) -> None:
    source = (ROOT / "rulesets" / "esma_like.rules").read_text(encoding="utf-8")
    broken = source.replace("expect ESMA-LEV-1 failed", "expect ESMA-LEV-1 passed", 1)
    path = tmp_path / "esma_like.rules"
    path.write_text(broken, encoding="utf-8")
    page = catalogue.ruleset_page(load_ruleset(str(path)), {})
    assert "**passed** (evaluated: failed)" in page


def test_check_reports_stale_pages_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DOCS / "rulesets.md", docs / "rulesets.md")
    assert catalogue.main(["--docs", str(docs), "--check"]) == 1
    assert not (docs / catalogue.CATALOGUE).exists()
    assert f"stale {docs / catalogue.CATALOGUE / 'index.md'}" in capsys.readouterr().out
    assert catalogue.main(["--docs", str(docs)]) == 0
    assert catalogue.main(["--docs", str(docs), "--check"]) == 0


def test_a_summary_page_without_markers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        catalogue.splice("# no markers\n", "generated", "docs/rulesets.md")
    assert raised.value.diagnostics[0].path == "docs/rulesets.md"
