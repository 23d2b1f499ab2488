"""Offsets inside a YAML string value mapped to the file's line and column, for every scalar style:
the character found there in the file is the value's own character."""
from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.documents.scalar_offsets import scalar_position
from compliance.documents.yaml_loader import parse_yaml
from compliance.text.claims import claims

CONTRACT = """\
id: DEMO-1
marketing:
  - id: m1
    text: Trade gold. Guaranteed monthly returns for all!
  - id: m2
    text: |
      Line one of the banner.
      专业团队带单，保证收益，欢迎咨询。
  - id: m3
    text: >
      A folded text that goes on
      and on, with zero risk
      at the end.
  - id: m4
    text: "Escapes \\"quoted\\" and \\u4e2d\\u6587 here: guaranteed income"
  - id: m5
    text: 'It''s risk-free,
      they said'
clauses:
  - {id: c1, title: Returns, text: "Plain flow: we refund your losses."}
"""


def _position_of_claim(path: tuple, lines: list[str], value: str) -> tuple[int, int]:
    [claim] = claims(value)
    position = scalar_position(lines, path, claim.start)
    assert position is not None
    return position.line, position.column


def test_a_claim_points_at_its_own_line_and_column_in_every_style() -> None:
    loaded = parse_yaml(CONTRACT, "demo.yaml")
    lines = loaded.lines
    marketing = loaded.data["marketing"]
    expected = {
        0: ("Guaranteed", 4), 1: ("保证收益", 8), 2: ("zero risk", 12), 3: ("guaranteed income", 15),
        4: ("risk-free", 17),
    }
    for index, (word, line) in expected.items():
        got_line, column = _position_of_claim(("marketing", index, "text"), lines, marketing[index]["text"])
        assert got_line == line, (index, got_line)
        assert lines[got_line - 1][column - 1:].startswith(word), (index, lines[got_line - 1][column - 1:])
    clause = loaded.data["clauses"][0]["text"]
    line, column = _position_of_claim(("clauses", 0, "text"), lines, clause)
    assert (line, lines[line - 1][column - 1:].startswith("refund")) == (20, True)


def test_no_position_for_a_missing_path_or_offset() -> None:
    lines = parse_yaml(CONTRACT, "demo.yaml").lines
    assert scalar_position(lines, ("marketing", 9, "text"), 0) is None
    assert scalar_position(lines, ("marketing", 0, "text"), 10_000) is None
    assert scalar_position(lines, ("marketing",), 0) is None


_TEXT = st.text(alphabet=st.sampled_from(list("abc xyz'\"\\保证收益\n\t:#-")), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.sampled_from([None, "|", ">", '"', "'"]))
def test_every_visible_character_maps_to_itself(value: str, style: str | None) -> None:
    source = yaml.safe_dump({"doc": {"items": [{"text": value}]}}, default_style=style,
                            allow_unicode=True, width=20)
    loaded = parse_yaml(source, "gen.yaml")
    read = loaded.data["doc"]["items"][0]["text"]
    for offset, char in enumerate(read):
        if char.isspace():
            continue
        position = scalar_position(loaded.lines, ("doc", "items", 0, "text"), offset)
        assert position is not None, (source, offset)
        found = loaded.lines[position.line - 1][position.column - 1]
        assert found == char or found in "\\'", (source, offset, char, found)
