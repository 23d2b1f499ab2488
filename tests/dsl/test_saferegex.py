"""Tests of the backtracking-free regular-expression engine used by ``matches(text, "pattern")``."""
from __future__ import annotations

import re
import threading
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from compliance.dsl import saferegex
from compliance.dsl.saferegex import (
    MAX_NFA_STATES,
    MAX_PATTERN_LENGTH,
    RegexError,
    SafePattern,
    compile_safe,
)

# --------------------------------------------------------------------------------------------
# Table of patterns and texts
# --------------------------------------------------------------------------------------------

CASES = [
    # pattern, text, expected search result
    ("abc", "xxabcxx", True),
    ("abc", "ab c", False),
    ("", "", True),
    ("", "anything", True),
    ("a.c", "abc", True),
    ("a.c", "a\nc", False),
    (r"a\.c", "abc", False),
    (r"a\.c", "a.c", True),
    (r"\(x\)", "f(x)", True),
    (r"\\", "a\\b", True),
    (r"\[\]\{\}\*\+\?\|\^\$", "[]{}*+?|^$", True),
    ("a}b]", "a}b]", True),
    (r"\d+", "price 42", True),
    (r"\d", "abc", False),
    (r"\d", "٣", True),                 # Arabic-Indic digit, as in re
    (r"\D", "123", False),
    (r"\w+", "中文", True),
    (r"\W", "abc_1", False),
    (r"\s", "a\u3000b", True),          # ideographic space
    (r"\S", " \t\n", False),
    ("[abc]", "xbz", True),
    ("[abc]", "xyz", False),
    ("[a-f]+", "zzdeadzz", True),
    ("[^a-z]", "abc", False),
    ("[^a-z]", "ab1", True),
    ("[]a]", "]", True),
    ("[a-]", "-", True),
    ("[-a]", "-", True),
    (r"[\d.]+%", "3.5%", True),
    (r"[\]]", "]", True),
    (r"[\w]", "_", True),
    (r"[^\W]", "x", True),
    ("[一-龥]+", "保本", True),
    ("[一-龥]", "abc", False),
    ("gr(a|e)y", "grey", True),
    ("gr(?:a|e)y", "gruy", False),
    ("a|b|c", "c", True),
    ("(a|)b", "b", True),
    ("ab*c", "ac", True),
    ("ab+c", "ac", False),
    ("ab?c", "abbc", False),
    ("a{3}", "aa", False),
    ("a{3}", "aaa", True),
    ("a{2,}", "aab", True),
    ("^a{2,3}$", "aaaa", False),
    ("^a{,2}$", "aa", True),
    ("^a{0}$", "", True),
    ("^(ab){2}$", "abab", True),
    ("a*?b", "aab", True),
    ("a+?b", "b", False),
    ("a??b", "ab", True),
    ("a{1,2}?b", "aab", True),
    ("^abc", "abcd", True),
    ("^abc", "xabc", False),
    ("abc$", "xabc", True),
    ("abc$", "abc\n", False),           # $ is the end of the text only
    (r"\Aab\Z", "ab", True),
    (r"\bfoo\b", "a foo.", True),
    (r"\bfoo\b", "food", False),
    (r"\Boo\B", "food", True),
    (r"\b保本\b", "保本", True),
    ("(a*)*b", "aaab", True),
    ("(a|a)*b", "aaa", False),
    (r"\x41\u4e2d", "A中", True),
    (r"\n", "a\nb", True),
    (r"\t", "a b", False),
    (r"\中", "中", True),
    # Prohibited claims in marketing text
    ("保本", "本产品保本保息，欢迎咨询", True),
    ("稳赚不赔", "投资本产品稳赚不赔！", True),
    ("稳赚不赔", "稳赚，但可能赔", False),
    ("保本|稳赚不赔|零风险", "这是零风险的产品", True),
    (r"guaranteed\s+(returns?|profits?)", "Our GUARANTEED  Returns!", True),
    (r"risk[- ]free", "a Risk-Free strategy", True),
    (r"no\s+risk", "know risk", False),
    (r"\d+\s*%\s*(保证|保障)收益", "年化 12% 保证收益", True),
]


@pytest.mark.parametrize("pattern, text, expected", CASES)
def test_table(pattern: str, text: str, expected: bool) -> None:
    compiled = compile_safe(pattern)
    assert compiled.search(text) is expected
    found = compiled.find(text)
    assert (found is not None) is expected
    # The table only uses constructs where Python's re agrees on the leftmost start.
    python = re.search(pattern, text, re.IGNORECASE)
    if pattern.endswith("$") and text.endswith("\n"):
        return  # Python's $ also matches before a final newline
    assert (python is not None) is expected
    if found is not None:
        assert found[0] == python.start()
        assert found[1] >= python.end()


FIND_CASES = [
    ("a|ab", "ab", (0, 2)),              # leftmost-longest, not leftmost-first
    ("ab|a", "ab", (0, 2)),
    ("b|abc", "abc", (0, 3)),            # the leftmost start wins even though "b" ends first
    ("a*", "baaa", (0, 0)),
    ("a+", "baaa", (1, 4)),
    ("a*?", "aaa", (0, 3)),              # lazy quantifiers are treated as greedy
    ("x", "abc", None),
    ("", "abc", (0, 0)),
    ("c$", "abc", (2, 3)),
    ("$", "abc", (3, 3)),
    (r"\b", "  ab", (2, 2)),
    (r"\B", "", (0, 0)),                # as in Python 3.14; older re never matches \B on ""
    ("保本", "本产品保本保息", (3, 5)),
    ("GUARANTEED", "it is guaranteed.", (6, 16)),
]


@pytest.mark.parametrize("pattern, text, expected", FIND_CASES)
def test_find(pattern: str, text: str, expected) -> None:
    assert compile_safe(pattern).find(text) == expected


def test_attributes_and_cache() -> None:
    compiled = compile_safe("a+b")
    assert isinstance(compiled, SafePattern)
    assert compiled.pattern == "a+b"
    assert compiled.ignore_case is True
    assert compile_safe("a+b", ignore_case=False).ignore_case is False
    assert "a+b" in repr(compiled)
    with pytest.raises(TypeError):
        compile_safe(b"abc")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Case-insensitivity
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, text", [
    ("Guaranteed", "GUARANTEED"),
    ("GUARANTEED", "guaranteed"),
    ("guaranteed", "GuArAnTeEd"),
    ("[a-z]+teed", "GUARANTEED"),
    ("[A-Z]", "q"),
    ("straße", "STRAẞE"),                # capital sharp s folds to ß, one character to one
    ("σ", "Σ"),
    ("σ", "ς"),
    ("k", "\u212a"),                     # Kelvin sign
])
def test_ignore_case(pattern: str, text: str) -> None:
    assert compile_safe(pattern).search(text)
    assert compile_safe(pattern, ignore_case=False).search(text) is (pattern == text)


def test_ignore_case_negated_set() -> None:
    assert not compile_safe("[^a-z]").search("ABC")
    assert compile_safe("[^a-z]", ignore_case=False).search("ABC")
    assert not compile_safe("straße").search("STRASSE")   # no multi-character folding


# --------------------------------------------------------------------------------------------
# Agreement with Python's re on random patterns of the supported subset
# --------------------------------------------------------------------------------------------

_LEAVES = ["a", "b", "中", "A", ".", "[ab]", "[^a]", "[a-b]", "[A中]", r"\w", r"\W", r"\s"]
_ANCHORS = ["^", "$", r"\b", r"\B"]
_QUANTIFIERS = ["*", "+", "?", "{2}", "{0,2}", "{1,3}", "{2,}", "{,2}", "*?", "+?", "??", "{1,2}?"]


def _pattern_strategy(anchors: bool = True):
    leaf = st.sampled_from(_LEAVES).map(lambda s: (s, True))
    if anchors:
        leaf = leaf | st.sampled_from(_ANCHORS).map(lambda s: (s, False))

    def extend(children):
        concat = st.lists(children, min_size=2, max_size=4).map(
            lambda xs: ("".join(x[0] for x in xs), xs[-1][1]))
        alt = st.lists(children, min_size=2, max_size=3).map(
            lambda xs: ("|".join(x[0] for x in xs), False))
        group = st.tuples(children, st.sampled_from(["(", "(?:"])).map(
            lambda x: (f"{x[1]}{x[0][0]})", True))
        quantified = st.tuples(children.filter(lambda x: x[1]), st.sampled_from(_QUANTIFIERS)).map(
            lambda x: (x[0][0] + x[1], False))
        return concat | alt | group | quantified

    # Each node carries whether a quantifier may follow it (not after an anchor, an alternation
    # or another quantifier), so every generated pattern is valid for both engines.
    tree = st.recursive(leaf, extend, max_leaves=10)
    return tree.map(lambda x: x[0])


_TEXTS = st.text(alphabet="abA中 _", max_size=12)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_pattern_strategy(), text=_TEXTS, ignore_case=st.booleans())
def test_search_agrees_with_re(pattern: str, text: str, ignore_case: bool) -> None:
    assume(not (text == "" and r"\B" in pattern))  # re before 3.14 never matches \B on ""
    try:
        expected = re.search(pattern, text, re.IGNORECASE if ignore_case else 0)
    except re.error:
        assume(False)
    compiled = compile_safe(pattern, ignore_case=ignore_case)
    assert compiled.search(text) is (expected is not None)
    found = compiled.find(text)
    assert (found is None) is (expected is None)
    if expected is not None:
        assert found[0] == expected.start()   # leftmost start is the same in both semantics
        assert found[1] >= expected.end()     # ours is the longest match from that start


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pattern=_pattern_strategy(anchors=False), text=_TEXTS)
def test_find_is_leftmost_longest(pattern: str, text: str) -> None:
    """Without $ and word boundaries, re.fullmatch(text, pos, endpos) decides whether a span is a
    match, so the span we return can be checked exactly."""
    python = re.compile(pattern, re.IGNORECASE)
    found = compile_safe(pattern).find(text)
    spans = [(s, e) for s in range(len(text) + 1) for e in range(s, len(text) + 1)
             if python.fullmatch(text, s, e)]
    if not spans:
        assert found is None
        return
    start = min(s for s, _ in spans)
    assert found == (start, max(e for s, e in spans if s == start))


def test_generator_produces_valid_patterns() -> None:
    # The strategy only builds patterns both engines accept; spot-check a few by hand.
    for pattern in ["(a|b)*", "(?:^|a)+", r"\b(中|A)?", "[ab]{1,3}?$"]:
        re.compile(pattern)
        compile_safe(pattern)


# --------------------------------------------------------------------------------------------
# Adversarial patterns: no catastrophic backtracking
# --------------------------------------------------------------------------------------------

N = 20_000


@pytest.mark.parametrize("pattern, text, expected", [
    ("(a+)+$", "a" * N + "b", False),
    ("(a+)+$", "a" * N, True),
    ("(a|a)*b", "a" * N, False),
    ("(a|aa)*c", "a" * N, False),
    ("(a*)*b", "a" * N, False),
    ("(a*)*b", "a" * N + "b", True),
    ("(.*a){20}", "a" * N, True),
    ("(.*a){20}", "a" * 19 + "b" * N, False),
    ("(x+x+)+y", "x" * N, False),
    (r"^(\w+\s?)*$", "word " * (N // 5) + "!", False),
    ("(a|b)*a(a|b){15}", "ab" * (N // 2), True),   # exponential DFA: exercises cache flushes
    ("(a|b)*a(a|b){15}", "b" * N, False),
    ("(.*){1,100}x", "y" * N, False),
    ("保本(.*)*稳赚", "保本" + "啊" * N, False),
], ids=lambda v: (v if len(v) < 40 else f"<{len(v)} chars>") if isinstance(v, str) else str(v))
def test_adversarial(pattern: str, text: str, expected: bool) -> None:
    compiled = compile_safe(pattern)
    started = time.perf_counter()
    assert compiled.search(text) is expected
    assert (compiled.find(text) is not None) is expected
    assert time.perf_counter() - started < 5.0   # generous guard; backtracking would never finish


def test_scans_100kb_quickly() -> None:
    text = ("本产品收益稳定，风险可控。Our products carry risk. " * 3000)[:100_000]
    pattern = compile_safe(r"(guaranteed|risk[- ]free|保本|稳赚不赔)\s*(returns?|收益)?")
    started = time.perf_counter()
    assert not pattern.search(text)
    assert pattern.find(text + "保本") == (len(text), len(text) + 2)
    assert time.perf_counter() - started < 2.0


def test_dfa_cache_flush_keeps_results_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(saferegex, "_MAX_DFA_STATES", 4)
    pattern = r"(a|b)*a(a|b){5}c?"
    compiled = saferegex.SafePattern(pattern, True, saferegex._Parser(pattern, True).parse())
    text = "abbabaabbbababbbaabab" * 20
    python = re.compile(pattern, re.IGNORECASE)
    for end in range(0, len(text), 7):
        assert compiled.search(text[:end]) is (python.search(text[:end]) is not None)


def test_shared_between_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(saferegex, "_MAX_DFA_STATES", 16)
    pattern = r"(a|b)*a(a|b){6}$"
    compiled = saferegex.SafePattern(pattern, True, saferegex._Parser(pattern, True).parse())
    python = re.compile(pattern)
    texts = [format(i, "b").replace("0", "a").replace("1", "b") * 3 for i in range(1, 400)]
    expected = [python.search(t) is not None for t in texts]
    errors: list[object] = []

    def work() -> None:
        try:
            for _ in range(5):
                if [compiled.search(t) for t in texts] != expected:
                    errors.append("mismatch")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --------------------------------------------------------------------------------------------
# Rejected constructs: RegexError with the offset of the problem
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, offset, fragment", [
    (r"(a)\1", 3, "backreference"),
    ("(?P<x>a)(?P=x)", 0, "named group"),
    ("a(?P=x)", 1, "backreference"),
    ("a(?=b)", 1, "lookahead"),
    ("a(?!b)", 1, "lookahead"),
    ("(?<=a)b", 0, "lookbehind"),
    ("(?<!a)b", 0, "lookbehind"),
    ("x(?<name>a)", 1, "named group"),
    ("(?i)abc", 0, "inline flag"),
    ("a(?#note)", 1, "comment"),
    ("(?>a)", 0, "atomic"),
    ("(?x", 0, "inline flag"),
    ("a*+", 2, "possessive"),
    ("a++", 2, "possessive"),
    ("a{2}+", 4, "possessive"),
    ("a**", 2, "multiple repeat"),
    ("a*?*", 3, "multiple repeat"),
    ("a{2}{3}", 4, "multiple repeat"),
    ("*a", 0, "nothing to repeat"),
    ("a|+", 2, "nothing to repeat"),
    ("(?)", 0, "unknown group extension"),
    ("(*)", 1, "nothing to repeat"),
    ("{2}", 0, "nothing to repeat"),
    ("^*", 1, "nothing to repeat"),
    (r"\b+", 2, "nothing to repeat"),
    ("(ab", 0, "missing ')'"),
    ("((a)", 0, "missing ')'"),
    ("ab)", 2, "unbalanced parenthesis"),
    ("a)(", 1, "unbalanced parenthesis"),
    ("[ab", 0, "unterminated character set"),
    ("x[]", 1, "unterminated character set"),
    ("[^]", 0, "unterminated character set"),
    ("ab[\\", 2, "unterminated character set"),
    ("[z-a]", 1, "bad character range"),
    ("x[ab9-0]", 4, "bad character range"),
    (r"[a-\d]", 1, "bad character range"),
    (r"[\w-z]", 1, "bad character range"),
    ("a{3,2}", 1, "minimum greater than maximum"),
    ("a{1,101}", 4, "above the limit"),
    ("a{101}", 2, "above the limit"),
    ("a{101,}", 2, "above the limit"),
    ("a{", 1, "literal brace"),
    ("a{x}", 1, "literal brace"),
    ("a{,}", 1, "literal brace"),
    ("ab\\", 2, "lone backslash"),
    (r"\q", 0, "unknown escape"),
    (r"a\0", 1, "octal"),
    (r"[\b]", 1, "inside a character set"),
    (r"\x4", 0, "hexadecimal"),
    (r"x\uzzzz", 1, "hexadecimal"),
    (r"\U00110000", 0, "not a Unicode code point"),
    ("(?:a{100}){100}", 10, "too complex"),          # 10,000 states + the final match state
    ("x(((a{10}){10}){10}){10}", 20, "too complex"),
    ("x(.*a){100}(.*a){100}" * 20, 64, "too complex"),  # the group where the total crosses
], ids=lambda v: (v if len(v) < 40 else f"<{len(v)} chars>") if isinstance(v, str) else str(v))
def test_rejected(pattern: str, offset: int, fragment: str) -> None:
    with pytest.raises(RegexError) as info:
        compile_safe(pattern)
    err = info.value
    assert isinstance(err, ValueError)
    assert fragment in err.message
    assert err.offset == offset, err.message
    assert str(offset) in str(err)


def test_too_complex_concatenation_offset() -> None:
    # No single repetition is too big, but together they are: the offset is where the total crosses.
    pattern = "(.*a){100}" * 40
    with pytest.raises(RegexError) as info:
        compile_safe(pattern)
    assert "too complex" in info.value.message
    assert 0 < info.value.offset < len(pattern)
    assert pattern[info.value.offset] == "("


def test_pattern_length_limit() -> None:
    compile_safe("a" * MAX_PATTERN_LENGTH)
    with pytest.raises(RegexError) as info:
        compile_safe("a" * (MAX_PATTERN_LENGTH + 1))
    assert info.value.offset == MAX_PATTERN_LENGTH
    assert "longer than" in info.value.message


def test_nesting_limit() -> None:
    compile_safe("(" * 100 + "a" + ")" * 100)
    with pytest.raises(RegexError) as info:
        compile_safe("(" * 101 + "a" + ")" * 101)
    assert info.value.offset == 100
    assert "nested" in info.value.message


def test_state_limit_is_exact() -> None:
    # a{m} is m states, plus one final match state.
    compile_safe("(?:a{99}){20}b")      # 1,980 + 1 + 1
    ok = "(?:a{99}){20}" + "b" * 19      # 1,980 + 19 + 1 = 2,000
    big = compile_safe(ok)
    # (Kept short: each character can cost O(2,000) here, the worst case the limit allows.)
    assert big.search("x" * 1000 + "a" * 50) is False
    with pytest.raises(RegexError):
        compile_safe(ok + "b")           # 2,001
    assert MAX_NFA_STATES == 2_000
    # The compiled program has exactly the counted number of states.
    for pattern in ["a{2,5}", "(ab|c)*d", "(a*)*b", "x{3,}", "(?:a|b){0,3}c", "(.*a){20}", ok]:
        ast = saferegex._Parser(pattern, True).parse()
        assert len(saferegex._build(ast).op) == ast.size + 1
