"""Ruleset text -> parse tree -> AST. The grammar's LALR parser, fed by the contextual lexer,
hands each parse-tree node to the AST builder as it completes it (one builder method per grammar
rule), so the tree is transformed as it is built and never kept: Lark's "transformer during
parsing", with the result of building the tree and transforming it afterwards.

Syntax errors become ``InputError`` diagnostics with the file, line, column, the offending line and
a caret, and a message that names what was expected in words a rule author knows.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from compliance.dsl import ast, units
from compliance.dsl.grammar import LalrParser, Rejected
from compliance.dsl.lexer import Lexer, LexError, Token, TooDeeplyNested
from compliance.dsl.loader import MAX_SOURCE_BYTES
from compliance.errors import ComplianceError, Diagnostic, InputError

# Hostile input limits (documented in docs/dsl.md).
MAX_NESTING = 64                  # brackets and parentheses nested deeper than this are refused
MAX_EXPRESSION_DEPTH = 100        # levels of one expression (a.b.c chains, a and b and c...); rulesets use ~12
# The depth cap keeps every later tree walk (checker, evaluators, formatter) far from Python's
# recursion limit; building the AST itself never recurses (it happens at the parser's reductions).

_TOKEN_WORDS = {
    "NAME": "a name", "RULE_ID": "a rule id such as ESMA-LEV-1", "STRING": "a quoted string",
    "NUMBER": "a number", "PERCENT": "a percentage such as 50%", "LEVERAGE": "a ratio such as 30:1",
    "DATE": "a date such as 2026-01-31", "COMPARE": "a comparison", "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "COMMA": "','", "COLON": "':'",
    "EQUAL": "'='", "DOT": "'.'", "MINUS": "'-'", "QUANT": "any/all/count/sum/min/max",
    "CURRENCY": "a currency code", "SIGNED_AMOUNT": "an amount", "$END": "the end of the file",
}


class _TooDeep(ComplianceError):
    """An expression deeper than MAX_EXPRESSION_DEPTH, or brackets deeper than MAX_NESTING."""

    def __init__(self, span: ast.Span, brackets: bool):
        super().__init__(span)
        self.span = span
        self.brackets = brackets


class _Read:
    """What one parse is reading: the file, its lines (for messages), the message span that every
    node gets while an expression inside a message is read, and each expression node's height."""

    __slots__ = ("path", "lines", "fixed", "heights", "brackets")

    def __init__(self, path: str, lines: list[str], fixed: ast.Span | None):
        self.path, self.lines, self.fixed = path, lines, fixed
        self.heights: dict[int, int] = {}
        # A parenthesised expression keeps its own span; what contains it spans the brackets too.
        self.brackets: dict[int, tuple[Token, Token]] = {}


def _place(item: Any) -> Any:
    """Where a child starts and ends: a token, a node's span, or the span ending a tuple."""
    if isinstance(item, tuple):
        return item[-1]
    return getattr(item, "span", item)  # a token (ours, or Lark's in tests) is its own place


def _span(read: _Read, first: Any, last: Any) -> ast.Span:
    """The span from the start of ``first`` to the end of ``last`` (tokens, nodes or tuples)."""
    if read.fixed is not None:
        return read.fixed
    brackets = read.brackets
    start = brackets[id(first)][0] if id(first) in brackets else _place(first)
    end = brackets[id(last)][1] if id(last) in brackets else _place(last)
    return ast.Span(read.path, start.line, start.column, end.end_line, end.end_column)


def _around(read: _Read, children: list[Any]) -> ast.Span:
    present = [child for child in children if child is not None]
    return _span(read, present[0], present[-1])


def unescape(raw: str) -> str:
    body = raw[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


class _Builder:
    """Builds AST nodes at the parser's reductions: one method per grammar rule, called with the
    rule's children (tokens, None for an absent optional part, and what earlier methods built).
    One builder per parse: it holds what that parse reads."""

    def __init__(self, read: _Read | None = None) -> None:
        self.read = read if read is not None else _Read("", [], None)

    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:  # pragma: no cover
        raise NotImplementedError(f"no AST builder for grammar rule {data!r}")

    def error(self, span: ast.Span, message: str) -> InputError:
        lines = self.read.lines
        line_text = lines[span.line - 1] if 0 < span.line <= len(lines) else None
        return InputError(Diagnostic(span.path, span.line, span.column, message, line_text))

    def _nested(self, node: Any, *parts: Any) -> Any:
        """Record ``node``'s height above the leaves; refuse it beyond MAX_EXPRESSION_DEPTH."""
        heights = self.read.heights
        height = 1 + max(heights.get(id(part), 1) for part in parts)
        if height > MAX_EXPRESSION_DEPTH:
            raise _TooDeep(node.span, brackets=False)
        heights[id(node)] = height
        return node

    # -- file structure --------------------------------------------------------------------------
    def start(self, children: list[Any]) -> tuple[Any, list[ast.Item]]:
        header, *items = children
        return header, items

    def header(self, children: list[Any]) -> tuple[str, tuple[tuple[str, str, ast.Span], ...], ast.Span]:
        _ruleset, name, *clauses = children
        return name.value, tuple(clauses), _span(self.read, children[0], children[-1])

    def _header_clause(self, keyword: str, children: list[Any]) -> tuple[str, str, ast.Span]:
        value = children[-1]
        text = value.value if isinstance(value, (Token, ast.Literal)) else str(value)
        return keyword, text, _span(self.read, children[0], value)

    def version(self, children: list[Any]) -> tuple[str, str, ast.Span]:
        return self._header_clause("version", children)

    def title(self, children: list[Any]) -> tuple[str, str, ast.Span]:
        return self._header_clause("title", children)

    def jurisdiction(self, children: list[Any]) -> tuple[str, str, ast.Span]:
        return self._header_clause("jurisdiction", children)

    def extends(self, children: list[Any]) -> tuple[str, str, ast.Span]:
        return self._header_clause("extends", children)

    def source(self, children: list[Any]) -> tuple[str, str, ast.Span]:
        return self._header_clause("source", children)

    def string(self, children: list[Token]) -> ast.Literal:
        value = "".join(unescape(token.value) for token in children)
        text = " ".join(token.value for token in children)
        return ast.Literal(value, text, _span(self.read, children[0], children[-1]))

    # -- parameters --------------------------------------------------------------------------
    def param(self, children: list[Any]) -> ast.Param:
        override, _let, name = children[:3]
        values = tuple(child for child in children[3:] if isinstance(child, ast.DatedValue))
        return ast.Param(name.value, values, override is not None, _around(self.read, children))

    def dated_value(self, children: list[Any]) -> ast.DatedValue:
        value, date = children[0], children[-1]
        effective = self._date(date) if date is not None else None
        return ast.DatedValue(value, effective, _around(self.read, children))

    def _date(self, token: Token) -> Any:
        try:
            return units.parse_date(token.value)
        except units.UnitError as exc:
            raise self.error(_span(self.read, token, token), str(exc)) from None

    # -- rules -------------------------------------------------------------------------------
    def rule(self, children: list[Any]) -> ast.Rule:
        override, _rule, rule_id, title, *clauses = children
        return ast.Rule(rule_id.value, title.value, tuple(clauses), override is not None,
                        _around(self.read, children))

    def exception(self, children: list[Any]) -> ast.Exception_:
        _exception, rule_id, _to, base_id, title, *clauses = children
        return ast.Exception_(rule_id.value, base_id.value, title.value, tuple(clauses),
                              _span(self.read, children[0], children[-1]))

    def section_exception(self, children: list[Any]) -> ast.Exception_:
        _exception, rule_id, _to, _section, name, title, *clauses = children
        return ast.Exception_(rule_id.value, "", title.value, tuple(clauses),
                              _span(self.read, children[0], children[-1]), section=name.value)

    def section(self, children: list[Any]) -> ast.Section:
        _section, name, title, *clauses = children
        return ast.Section(name.value, title.value, tuple(clauses), _around(self.read, children))

    def assume(self, children: list[Any]) -> ast.Assumption:
        _assume, rule_id, title, *clauses = children
        return ast.Assumption(rule_id.value, title.value, tuple(clauses), _around(self.read, children))

    def disable(self, children: list[Any]) -> ast.Disable:
        _disable, rule_id, _because, reason = children
        return ast.Disable(rule_id.value, reason.value, _span(self.read, children[0], reason))

    def _clause(self, keyword: str, value: Any, children: list[Any]) -> ast.Clause:
        return ast.Clause(keyword, value, _span(self.read, children[0], children[-1]))

    def topic(self, children: list[Any]) -> ast.Clause:
        return self._clause("topic", children[-1].value, children)

    def severity(self, children: list[Any]) -> ast.Clause:
        return self._clause("severity", children[-1].value, children)

    def citation(self, children: list[Any]) -> ast.Clause:
        cited = []
        for dated in children[1:]:
            if not isinstance(dated, ast.DatedValue):
                continue  # a comma
            if not (isinstance(dated.value, ast.Literal) and isinstance(dated.value.value, str)):
                raise self.error(dated.value.span, "a citation is a quoted text (optionally 'from DATE')")
            cited.append(ast.DatedCitation(dated.value.value, dated.effective, dated.span))
        return self._clause("citation", tuple(cited), children)

    def rule_source(self, children: list[Any]) -> ast.Clause:
        return self._clause("source", children[-1].value, children)

    def confidence(self, children: list[Any]) -> ast.Clause:
        return self._clause("confidence", children[-1].value, children)

    def silence(self, children: list[Any]) -> ast.Clause:
        _silence, severity, reason = children
        value = ast.Silence(severity.value, reason.value if reason is not None else "",
                            _around(self.read, children))
        return self._clause("silence", value, [child for child in children if child is not None])

    def set_default(self, children: list[Any]) -> ast.Clause:
        _set, target, _equal, value = children
        span = _span(self.read, children[0], value)
        return ast.Clause("set", ast.SetDefault(target, value, span), span)

    def applies_to(self, children: list[Any]) -> ast.Clause:
        return self._clause("applies_to", children[-1].value, children)

    def for_each(self, children: list[Any]) -> ast.Clause:
        names = [child.value for child in children if getattr(child, "type", None) == "NAME"]
        span = _span(self.read, children[0], children[-1])
        loop = ast.ForEach(names[0], names[1] if len(names) > 1 else None, children[-1], span)
        return ast.Clause("for_each", loop, span)

    def when(self, children: list[Any]) -> ast.Clause:
        return self._clause("when", children[-1], children)

    def require(self, children: list[Any]) -> ast.Clause:
        return self._clause("require", children[-1], children)

    def subject(self, children: list[Any]) -> ast.Clause:
        return self._clause("subject", children[-1], children)

    def message(self, children: list[Any]) -> ast.Clause:
        return self._clause("message", self._template(children[-1]), children)

    def fix(self, children: list[Any]) -> ast.Clause:
        return self._clause("fix", self._template(children[-1]), children)

    def _template(self, string: ast.Literal) -> ast.Template:
        """Split ``"x = {expr}"`` into text and parsed expressions; ``{{``/``}}`` are braces."""
        span, text = string.span, string.value
        parts: list[str | ast.Expr] = []
        literal = ""
        i = 0
        while i < len(text):
            char = text[i]
            if text.startswith("{{", i) or text.startswith("}}", i):
                literal += char
                i += 2
                continue
            if char == "}":
                raise self.error(span, "unmatched '}' in a message (write '}}' for a brace)")
            if char == "{":
                end = text.find("}", i)
                if end < 0:
                    raise self.error(span, "unclosed '{' in a message (write '{{' for a brace)")
                if literal:
                    parts.append(literal)
                    literal = ""
                parts.append(self._hole(text[i + 1:end], span))
                i = end + 1
                continue
            literal += char
            i += 1
        if literal:
            parts.append(literal)
        return ast.Template(text, tuple(parts), span)

    def _hole(self, source: str, span: ast.Span) -> ast.Expr:
        """An expression inside a message; every node of it points at the message."""
        if not source.strip():
            raise self.error(span, "empty '{}' in a message")
        try:
            return _parse(source, "expr", _Read(self.read.path, self.read.lines, span))  # type: ignore[no-any-return]
        except (LexError, Rejected):
            raise self.error(span, f"cannot read the expression {{{_cut(source)}}} in a message") from None
        except _TooDeep as too_deep:
            limit = f"{MAX_NESTING} brackets" if too_deep.brackets else f"{MAX_EXPRESSION_DEPTH} levels"
            raise self.error(span, f"an expression in a message nests too deeply: more than {limit}") from None

    # -- tests -------------------------------------------------------------------------------
    def test(self, children: list[Any]) -> ast.TestCase:
        _test, name, *clauses = children
        target = document = as_of = None
        expectations: list[ast.Expect] = []
        for clause in clauses:
            if clause[0] == "given":
                _kind, target, document, _span_ = clause
            elif clause[0] == "test_as_of":
                as_of = clause[1]
            else:
                expectations.append(clause[1])
        return ast.TestCase(name.value, target, document, as_of, tuple(expectations),
                            _span(self.read, children[0], children[-1]),
                            tuple((clause[0], clause[-1]) for clause in clauses))

    def given(self, children: list[Any]) -> tuple[str, str, ast.MapExpr, ast.Span]:
        _given, target, document = children
        return "given", target.value, document, _span(self.read, children[0], document)

    def test_as_of(self, children: list[Any]) -> tuple[str, Any, ast.Span]:
        return "test_as_of", self._date(children[-1]), _span(self.read, children[0], children[-1])

    def expect(self, children: list[Any]) -> tuple[str, ast.Expect, ast.Span]:
        _expect, rule_id, outcome = children
        span = _span(self.read, children[0], outcome)
        return "expect", ast.Expect(rule_id.value, outcome.value, span), span

    # -- expressions -------------------------------------------------------------------------
    def or_op(self, children: list[Any]) -> ast.BoolOp:
        left, _or, right = children
        return self._nested(ast.BoolOp("or", left, right, _span(self.read, left, right)), left, right)

    def and_op(self, children: list[Any]) -> ast.BoolOp:
        left, _and, right = children
        return self._nested(ast.BoolOp("and", left, right, _span(self.read, left, right)), left, right)

    def not_op(self, children: list[Any]) -> ast.Not:
        keyword, operand = children
        return self._nested(ast.Not(operand, _span(self.read, keyword, operand)), operand)

    def compare(self, children: list[Any]) -> ast.Compare:
        left, op, right = children
        return self._nested(ast.Compare(op.value, left, right, _span(self.read, left, right)), left, right)

    def is_in(self, children: list[Any]) -> ast.Compare:
        left, right = children[0], children[-1]
        return self._nested(ast.Compare("in", left, right, _span(self.read, left, right)), left, right)

    def not_in(self, children: list[Any]) -> ast.Compare:
        left, right = children[0], children[-1]
        return self._nested(ast.Compare("not in", left, right, _span(self.read, left, right)), left, right)

    def arith(self, children: list[Any]) -> ast.Arith:
        left, op, right = children
        return self._nested(ast.Arith(op.value, left, right, _span(self.read, left, right)), left, right)

    def neg(self, children: list[Any]) -> ast.Negate:
        minus, operand = children
        return self._nested(ast.Negate(operand, _span(self.read, minus, operand)), operand)

    def attr(self, children: list[Any]) -> ast.Attr:
        target, _dot, name = children
        return self._nested(ast.Attr(target, name.value, _span(self.read, target, name)), target)

    def index(self, children: list[Any]) -> ast.Index:
        target, _open, index, close = children
        return self._nested(ast.Index(target, index, _span(self.read, target, close)), target, index)

    def atom(self, children: list[Any]) -> ast.Expr:  # ( expr )
        opening, inner, closing = children
        self.read.brackets[id(inner)] = (opening, closing)
        return inner  # type: ignore[no-any-return]

    def name(self, children: list[Token]) -> ast.Name:
        return ast.Name(children[0].value, _span(self.read, children[0], children[0]))

    def call(self, children: list[Any]) -> ast.Call:
        args = tuple(child for child in children[2:-1] if hasattr(child, "span"))  # not commas
        node = ast.Call(children[0].value, args, _span(self.read, children[0], children[-1]))
        return self._nested(node, *args) if args else node

    def quantifier(self, children: list[Any]) -> ast.Quantifier:
        kind, _open, var, _in, collection, _colon, body, close = children
        node = ast.Quantifier(kind.value, var.value, collection, body, _span(self.read, kind, close))
        return self._nested(node, collection, body)

    def exists(self, children: list[Any]) -> ast.Exists:
        keyword, target = children
        return self._nested(ast.Exists(target, False, _span(self.read, keyword, target)), target)

    def missing(self, children: list[Any]) -> ast.Exists:
        keyword, target = children
        return self._nested(ast.Exists(target, True, _span(self.read, keyword, target)), target)

    def list_expr(self, children: list[Any]) -> ast.ListExpr:
        items = tuple(child for child in children[1:-1] if hasattr(child, "span"))  # not commas
        node = ast.ListExpr(items, _span(self.read, children[0], children[-1]))
        return self._nested(node, *items) if items else node

    def map_expr(self, children: list[Any]) -> ast.MapExpr:
        entries: list[tuple[str, ast.Expr]] = []
        seen: set[str] = set()
        for entry in children[1:-1]:
            if not isinstance(entry, tuple):
                continue
            key, value, span = entry
            if key in seen:
                raise self.error(span, f"key {key!r} appears twice")
            seen.add(key)
            entries.append((key, value))
        node = ast.MapExpr(tuple(entries), _span(self.read, children[0], children[-1]))
        return self._nested(node, *(value for _key, value in entries)) if entries else node

    def map_entry(self, children: list[Any]) -> tuple[str, ast.Expr, ast.Span]:
        key, _colon, value = children
        return key.value, value, _span(self.read, key, value)

    # -- literals ----------------------------------------------------------------------------
    def _literal(self, children: list[Token], parse: Callable[[str], Any]) -> ast.Literal:
        text = " ".join(token.value for token in children)
        span = _span(self.read, children[0], children[-1])
        try:
            value = parse(text)
        except units.UnitError as exc:
            raise self.error(span, str(exc)) from None
        return ast.Literal(value, text, span)

    def percent(self, children: list[Token]) -> ast.Literal:
        return self._literal(children, units.parse_percent)

    def leverage(self, children: list[Token]) -> ast.Literal:
        return self._literal(children, units.parse_leverage)

    def money(self, children: list[Token]) -> ast.Literal:
        return self._literal(children, units.parse_money)

    def date(self, children: list[Token]) -> ast.Literal:
        return self._literal(children, units.parse_date)

    def duration(self, children: list[Token]) -> ast.Literal:
        return self._literal(children, units.parse_duration)

    def number(self, children: list[Token]) -> ast.Literal:
        return self._literal(children, units.parse_decimal)

    def true(self, children: list[Token]) -> ast.Literal:
        return ast.Literal(True, "true", _span(self.read, children[0], children[0]))

    def false(self, children: list[Token]) -> ast.Literal:
        return ast.Literal(False, "false", _span(self.read, children[0], children[0]))


# ---- the driver: lexer -> LALR parser -> builder -------------------------------------------------

@lru_cache(maxsize=1)
def _machinery() -> tuple[LalrParser, Lexer]:
    parser = LalrParser(_Builder)
    return parser, Lexer(parser.terminals, parser.ignore, comment="COMMENT")


def _parse(text: str, start: str, read: _Read, comments: list[Token] | None = None) -> Any:
    """Parse ``text`` from grammar symbol ``start``; raises LexError, Rejected or _TooDeep. Each
    parse (a message's expressions too, read in the middle of their file's) has its own builder,
    so parses share no state."""
    parser, lexer = _machinery()
    try:
        session = parser.session(start, _Builder(read))
        tokens = lexer.tokens(text, session.accepts, comments, MAX_NESTING)
        return session.run(tokens, lambda: _end_of(text))
    except TooDeeplyNested as nested:
        raise _TooDeep(_span(read, nested.token, nested.token), brackets=True) from None


def _end_of(text: str) -> Token:
    line = text.count("\n") + 1
    column = len(text) - (text.rfind("\n") + 1) + 1
    return Token("$END", "", line, column, line, column)


def _read_source(text: str, path: str, start: str, comments: list[Token] | None) -> Any:
    """:func:`_parse` with every problem turned into an InputError at its place."""
    if len(text.encode("utf-8")) > MAX_SOURCE_BYTES:
        what = "ruleset file" if start == "start" else "expression"
        raise InputError.at(path, 1, 1, f"{what} is larger than {MAX_SOURCE_BYTES} bytes")
    lines = text.split("\n")
    try:
        return _parse(text, start, _Read(path, lines, None), comments)
    except (LexError, Rejected) as problem:
        raise _syntax_error(problem, path, lines) from None
    except _TooDeep as too_deep:
        span = too_deep.span
        source = lines[span.line - 1] if 0 < span.line <= len(lines) else None
        if too_deep.brackets:
            message = f"expressions nest deeper than {MAX_NESTING} levels"
        else:
            message = (f"the expression nests too deeply: more than {MAX_EXPRESSION_DEPTH} levels (a "
                       "chain of . or [ ], or of operators, that long); split it with let")
        raise InputError(Diagnostic(path, span.line, span.column, message, source)) from None


def _syntax_error(problem: LexError | Rejected, path: str, lines: list[str]) -> InputError:
    if isinstance(problem, LexError):
        line, column, found = problem.line, problem.column, problem.found
    else:
        found = problem.token
        line, column = found.line, found.column
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    if found is None:
        message = f"unexpected character {source_line[column - 1:column]!r}"
    else:
        shown_found = "the end of the file" if found.type == "$END" else repr(found.value)
        expected = sorted({_TOKEN_WORDS.get(name, _keyword(name)) for name in problem.expected})
        shown = ", ".join(expected[:8]) + (", ..." if len(expected) > 8 else "")
        message = f"unexpected {shown_found}; expected {shown}"
    return InputError(Diagnostic(path, line, column, message, source_line))


def _keyword(terminal: str) -> str:
    for spec in _machinery()[0].terminals:
        if spec.name == terminal:
            return f"'{spec.literal}'" if spec.literal is not None else terminal.lower()
    return terminal.lower()


def _cut(text: str) -> str:
    """``text`` for a one-line message: newlines shown as spaces, cut to a bounded length."""
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:50] + "..."


# ---- the public entry points ------------------------------------------------------------------

def parse_ruleset(text: str, path: str) -> ast.RulesetFile:
    """Parse ruleset source text into its AST (no name resolution or type checking yet)."""
    comments: list[Token] = []
    (name, header, header_span), items = _read_source(text, path, "start", comments)
    found = tuple(ast.Comment(c.value, c.line, c.column) for c in comments)
    return ast.RulesetFile(name, path, text, header, tuple(items), found, header_span)


def parse_expression(text: str, path: str = "<expression>") -> ast.Expr:
    """Parse one expression (used by tests and by ``compliance rules`` tooling); the same limits
    as :func:`parse_ruleset` apply."""
    return _read_source(text, path, "expr", None)  # type: ignore[no-any-return]
