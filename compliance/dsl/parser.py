"""Text -> parse tree -> AST. The only module that imports Lark.

Syntax errors become ``InputError`` diagnostics with the file, line, column, the offending line and
a caret, and a message that names what was expected in words a rule author knows.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from typing import Any

from compliance.dsl import ast
from compliance.dsl import units
from compliance.errors import Diagnostic, InputError

# Hostile input limits (documented in docs/dsl.md).
MAX_SOURCE_BYTES = 1_000_000      # a ruleset file larger than this is refused
MAX_NESTING = 64                  # brackets and parentheses nested deeper than this are refused
MAX_EXPRESSION_DEPTH = 100        # parse-tree levels (a.b.c chains, a and b and c...); rulesets use ~12
# The depth cap keeps every later tree walk (AST building, checker, evaluators, formatter) far from
# Python's recursion limit; a RecursionError that still happens becomes an InputError regardless.

_TOKEN_WORDS = {
    "NAME": "a name", "RULE_ID": "a rule id such as ESMA-LEV-1", "STRING": "a quoted string",
    "NUMBER": "a number", "PERCENT": "a percentage such as 50%", "LEVERAGE": "a ratio such as 30:1",
    "DATE": "a date such as 2026-01-31", "COMPARE": "a comparison", "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'", "COMMA": "','", "COLON": "':'",
    "EQUAL": "'='", "DOT": "'.'", "MINUS": "'-'", "QUANT": "any/all/count/sum/min/max",
    "CURRENCY": "a currency code", "SIGNED_AMOUNT": "an amount", "$END": "the end of the file",
}


@lru_cache(maxsize=1)
def _lark() -> Any:
    from lark import Lark

    grammar = files("compliance.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    options = dict(parser="lalr", start=["start", "expr"], propagate_positions=True,
                   maybe_placeholders=True)
    # Building the LALR tables costs ~100 ms; Lark can keep them in a cache file. The file lives in
    # the user's own cache folder (not a shared temp folder, where another user could plant one).
    cache_file = _cache_file(grammar)
    if cache_file is not None:
        try:
            return Lark(grammar, cache=cache_file, **options)
        except Exception:  # noqa: BLE001 - an unusable cache only costs time
            pass
    return Lark(grammar, **options)


def _cache_file(grammar: str) -> str | None:
    import hashlib
    import os
    from pathlib import Path

    if os.environ.get("COMPLIANCE_NO_CACHE"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "compliance"
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    if not os.access(base, os.W_OK):
        return None
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    return str(base / f"grammar-{digest}.lark-cache")


def _span(path: str, meta: Any) -> ast.Span:
    return ast.Span(path, getattr(meta, "line", 1) or 1, getattr(meta, "column", 1) or 1,
                    getattr(meta, "end_line", 0) or 0, getattr(meta, "end_column", 0) or 0)


def _token_span(path: str, token: Any) -> ast.Span:
    return ast.Span(path, token.line, token.column, token.end_line or token.line,
                    token.end_column or token.column)


def unescape(raw: str) -> str:
    body = raw[1:-1]
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
    """Turns Lark's tree into AST nodes, dispatching on the rule name (``build_<rule>``)."""

    def __init__(self, path: str, source_lines: list[str]):
        self.path = path
        self.lines = source_lines

    def error(self, span: ast.Span, message: str) -> InputError:
        line_text = self.lines[span.line - 1] if 0 < span.line <= len(self.lines) else None
        return InputError(Diagnostic(span.path, span.line, span.column, message, line_text))

    # -- dispatch ------------------------------------------------------------------------------
    def build(self, tree: Any) -> Any:
        from lark import Token

        if isinstance(tree, Token):
            return tree
        method = getattr(self, f"build_{tree.data}", None)
        if method is None:  # pragma: no cover - a grammar rule without a builder is a bug
            raise NotImplementedError(f"no AST builder for grammar rule {tree.data!r}")
        return method(tree, _span(self.path, tree.meta))

    def expr(self, tree: Any) -> ast.Expr:
        from lark import Token

        if isinstance(tree, Token):  # a single token may stand for a whole expression
            return self.build_token_expr(tree)
        if tree.data == "string":  # a string in expression position is a literal
            span = self.fixed_or(_span(self.path, tree.meta))
            return ast.Literal(self.build_string(tree, span), " ".join(map(str, tree.children)), span)
        return self.build(tree)

    def fixed_or(self, span: ast.Span) -> ast.Span:
        return span

    def build_token_expr(self, token: Any) -> ast.Expr:  # pragma: no cover - grammar wraps tokens
        raise self.error(_token_span(self.path, token), f"unexpected {token!r}")

    # -- file structure --------------------------------------------------------------------------
    def build_start(self, tree: Any, span: ast.Span) -> ast.RulesetFile:
        header_tree, *items = tree.children
        name = str(header_tree.children[0])
        header = tuple(self.build(child) for child in header_tree.children[1:])
        return ast.RulesetFile(name=name, path=self.path, source="\n".join(self.lines),
                               header=header, items=tuple(self.build(item) for item in items),
                               span=_span(self.path, header_tree.meta))

    def _header(self, keyword: str, tree: Any, span: ast.Span) -> tuple[str, str, ast.Span]:
        child = tree.children[0]
        value = self.build(child) if not isinstance(child, str) else str(child)
        return keyword, value, span

    def build_version(self, tree: Any, span: ast.Span) -> tuple[str, str, ast.Span]:
        return self._header("version", tree, span)

    def build_title(self, tree: Any, span: ast.Span) -> tuple[str, str, ast.Span]:
        return self._header("title", tree, span)

    def build_jurisdiction(self, tree: Any, span: ast.Span) -> tuple[str, str, ast.Span]:
        return self._header("jurisdiction", tree, span)

    def build_source(self, tree: Any, span: ast.Span) -> tuple[str, str, ast.Span]:
        return self._header("source", tree, span)

    def build_extends(self, tree: Any, span: ast.Span) -> tuple[str, str, ast.Span]:
        return "extends", str(tree.children[0]), span

    def build_string(self, tree: Any, span: ast.Span) -> str:
        return "".join(unescape(str(token)) for token in tree.children)

    # -- parameters --------------------------------------------------------------------------
    def build_param(self, tree: Any, span: ast.Span) -> ast.Param:
        children = list(tree.children)
        override = children[0] is not None
        name = str(children[1])
        values = tuple(self.build(child) for child in children[2:])
        return ast.Param(name, values, override, span)

    def build_dated_value(self, tree: Any, span: ast.Span) -> ast.DatedValue:
        value_tree, _from, date_token = (list(tree.children) + [None, None])[:3]
        effective = None
        if date_token is not None:
            effective = self._date(date_token)
        return ast.DatedValue(self.expr(value_tree), effective, span)

    def _date(self, token: Any) -> _dt.date:
        try:
            return units.parse_date(str(token))
        except units.UnitError as exc:
            raise self.error(_token_span(self.path, token), str(exc)) from None

    # -- rules -------------------------------------------------------------------------------
    def build_rule(self, tree: Any, span: ast.Span) -> ast.Rule:
        override, rule_id, title, *clauses = tree.children
        return ast.Rule(str(rule_id), self.build(title), tuple(self.build(c) for c in clauses),
                        override is not None, span)

    def build_exception(self, tree: Any, span: ast.Span) -> ast.Exception_:
        rule_id, base_id, title, *clauses = tree.children
        return ast.Exception_(str(rule_id), str(base_id), self.build(title),
                              tuple(self.build(c) for c in clauses), span)

    def build_disable(self, tree: Any, span: ast.Span) -> ast.Disable:
        rule_id, reason = tree.children
        return ast.Disable(str(rule_id), self.build(reason), span)

    def _word(self, keyword: str, tree: Any, span: ast.Span) -> ast.Clause:
        child = tree.children[0]
        value = self.build(child) if not isinstance(child, str) else str(child)
        return ast.Clause(keyword, value, span)

    def build_topic(self, tree: Any, span: ast.Span) -> ast.Clause:
        return self._word("topic", tree, span)

    def build_severity(self, tree: Any, span: ast.Span) -> ast.Clause:
        return self._word("severity", tree, span)

    def build_citation(self, tree: Any, span: ast.Span) -> ast.Clause:
        return self._word("citation", tree, span)

    def build_applies_to(self, tree: Any, span: ast.Span) -> ast.Clause:
        return self._word("applies_to", tree, span)

    def build_for_each(self, tree: Any, span: ast.Span) -> ast.Clause:
        first, second, collection = tree.children
        loop = ast.ForEach(str(first), str(second) if second is not None else None,
                           self.expr(collection), span)
        return ast.Clause("for_each", loop, span)

    def build_when(self, tree: Any, span: ast.Span) -> ast.Clause:
        return ast.Clause("when", self.expr(tree.children[0]), span)

    def build_require(self, tree: Any, span: ast.Span) -> ast.Clause:
        return ast.Clause("require", self.expr(tree.children[0]), span)

    def build_subject(self, tree: Any, span: ast.Span) -> ast.Clause:
        return ast.Clause("subject", self.expr(tree.children[0]), span)

    def build_message(self, tree: Any, span: ast.Span) -> ast.Clause:
        return ast.Clause("message", self._template(tree.children[0]), span)

    def build_fix(self, tree: Any, span: ast.Span) -> ast.Clause:
        return ast.Clause("fix", self._template(tree.children[0]), span)

    def _template(self, string_tree: Any) -> ast.Template:
        """Split ``"x = {expr}"`` into text and parsed expressions; ``{{``/``}}`` are braces."""
        span = _span(self.path, string_tree.meta)
        text = self.build(string_tree)
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
        from lark.exceptions import LarkError

        if not source.strip():
            raise self.error(span, "empty '{}' in a message")
        try:
            tree = _lark().parse(source, start="expr")
        except LarkError:
            raise self.error(span, f"cannot read the expression {{{_cut(source)}}} in a message") from None
        except RecursionError:
            raise self.error(span, "an expression in a message nests too deeply to read") from None
        if _tree_depth(tree) > MAX_EXPRESSION_DEPTH:
            raise self.error(span, "an expression in a message nests too deeply: more than "
                                   f"{MAX_EXPRESSION_DEPTH} levels")
        # Positions inside a message point at the message string itself.
        return _Builder(self.path, self.lines).with_fixed_span(span).expr(tree)

    def with_fixed_span(self, span: ast.Span) -> "_Builder":
        fixed = _FixedSpanBuilder(self.path, self.lines)
        fixed.fixed = span
        return fixed

    # -- tests -------------------------------------------------------------------------------
    def build_test(self, tree: Any, span: ast.Span) -> ast.TestCase:
        name_tree, *clauses = tree.children
        target = document = as_of = None
        expectations: list[ast.Expect] = []
        clause_spans: list[tuple[str, ast.Span]] = []
        for clause in clauses:
            clause_span = _span(self.path, clause.meta)
            clause_spans.append((clause.data, clause_span))
            if clause.data == "given":
                target = str(clause.children[0])
                document = self.expr(clause.children[1])
            elif clause.data == "test_as_of":
                as_of = self._date(clause.children[0])
            else:
                rule_id, outcome = clause.children
                expectations.append(ast.Expect(str(rule_id), str(outcome), clause_span))
        return ast.TestCase(self.build(name_tree), target, document, as_of, tuple(expectations),
                            span, tuple(clause_spans))

    # -- expressions -------------------------------------------------------------------------
    def build_or_op(self, tree: Any, span: ast.Span) -> ast.BoolOp:
        return ast.BoolOp("or", self.expr(tree.children[0]), self.expr(tree.children[1]), span)

    def build_and_op(self, tree: Any, span: ast.Span) -> ast.BoolOp:
        return ast.BoolOp("and", self.expr(tree.children[0]), self.expr(tree.children[1]), span)

    def build_not_op(self, tree: Any, span: ast.Span) -> ast.Not:
        return ast.Not(self.expr(tree.children[0]), span)

    def build_compare(self, tree: Any, span: ast.Span) -> ast.Compare:
        left, op, right = tree.children
        return ast.Compare(str(op), self.expr(left), self.expr(right), span)

    def build_is_in(self, tree: Any, span: ast.Span) -> ast.Compare:
        return ast.Compare("in", self.expr(tree.children[0]), self.expr(tree.children[1]), span)

    def build_not_in(self, tree: Any, span: ast.Span) -> ast.Compare:
        return ast.Compare("not in", self.expr(tree.children[0]), self.expr(tree.children[1]), span)

    def build_arith(self, tree: Any, span: ast.Span) -> ast.Arith:
        left, op, right = tree.children
        return ast.Arith(str(op), self.expr(left), self.expr(right), span)

    def build_neg(self, tree: Any, span: ast.Span) -> ast.Negate:
        return ast.Negate(self.expr(tree.children[0]), span)

    def build_attr(self, tree: Any, span: ast.Span) -> ast.Attr:
        target, name = tree.children
        return ast.Attr(self.expr(target), str(name), span)

    def build_index(self, tree: Any, span: ast.Span) -> ast.Index:
        target, index = tree.children
        return ast.Index(self.expr(target), self.expr(index), span)

    def build_name(self, tree: Any, span: ast.Span) -> ast.Name:
        return ast.Name(str(tree.children[0]), span)

    def build_call(self, tree: Any, span: ast.Span) -> ast.Call:
        name, *args = tree.children
        return ast.Call(str(name), tuple(self.expr(a) for a in args if a is not None), span)

    def build_quantifier(self, tree: Any, span: ast.Span) -> ast.Quantifier:
        kind, var, collection, body = tree.children
        return ast.Quantifier(str(kind), str(var), self.expr(collection), self.expr(body), span)

    def build_exists(self, tree: Any, span: ast.Span) -> ast.Exists:
        return ast.Exists(self.expr(tree.children[0]), False, span)

    def build_missing(self, tree: Any, span: ast.Span) -> ast.Exists:
        return ast.Exists(self.expr(tree.children[0]), True, span)

    def build_list_expr(self, tree: Any, span: ast.Span) -> ast.ListExpr:
        return ast.ListExpr(tuple(self.expr(c) for c in tree.children if c is not None), span)

    def build_map_expr(self, tree: Any, span: ast.Span) -> ast.MapExpr:
        entries: list[tuple[str, ast.Expr]] = []
        seen: set[str] = set()
        for entry in tree.children:
            if entry is None:
                continue
            key_node, value = entry.children
            key = self.build(key_node) if not isinstance(key_node, str) else str(key_node)
            if key in seen:
                raise self.error(_span(self.path, entry.meta), f"key {key!r} appears twice")
            seen.add(key)
            entries.append((key, self.expr(value)))
        return ast.MapExpr(tuple(entries), span)

    # -- literals ----------------------------------------------------------------------------
    def _literal(self, tree: Any, span: ast.Span, parse: Any) -> ast.Literal:
        text = " ".join(str(token) for token in tree.children)
        try:
            value = parse(text)
        except units.UnitError as exc:
            raise self.error(span, str(exc)) from None
        return ast.Literal(value, text, span)

    def build_percent(self, tree: Any, span: ast.Span) -> ast.Literal:
        return self._literal(tree, span, units.parse_percent)

    def build_leverage(self, tree: Any, span: ast.Span) -> ast.Literal:
        return self._literal(tree, span, units.parse_leverage)

    def build_money(self, tree: Any, span: ast.Span) -> ast.Literal:
        return self._literal(tree, span, units.parse_money)

    def build_date(self, tree: Any, span: ast.Span) -> ast.Literal:
        return self._literal(tree, span, units.parse_date)

    def build_duration(self, tree: Any, span: ast.Span) -> ast.Literal:
        return self._literal(tree, span, units.parse_duration)

    def build_number(self, tree: Any, span: ast.Span) -> ast.Literal:
        return self._literal(tree, span, units.parse_decimal)

    def build_true(self, tree: Any, span: ast.Span) -> ast.Literal:
        return ast.Literal(True, "true", span)

    def build_false(self, tree: Any, span: ast.Span) -> ast.Literal:
        return ast.Literal(False, "false", span)

    def build_string_literal(self, tree: Any, span: ast.Span) -> ast.Literal:  # pragma: no cover
        raise NotImplementedError


class _FixedSpanBuilder(_Builder):
    """Builds expressions found inside message templates: every node points at the message."""

    fixed: ast.Span

    def fixed_or(self, span: ast.Span) -> ast.Span:
        return self.fixed

    def build(self, tree: Any) -> Any:
        from lark import Token

        if isinstance(tree, Token):
            return tree
        if tree.data == "string":
            return self.build_string(tree, self.fixed)
        method = getattr(self, f"build_{tree.data}")
        return method(tree, self.fixed)


def _cut(text: str) -> str:
    """``text`` for a one-line message: newlines shown as spaces, cut to a bounded length."""
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:50] + "..."


def _tree_depth(tree: Any) -> int:
    """The depth of a Lark tree, counted without recursion."""
    from lark import Tree

    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return deepest


def _check_depth(tree: Any, path: str, lines: list[str]) -> None:
    """Refuse a parse tree deeper than :data:`MAX_EXPRESSION_DEPTH`, at the first node too deep."""
    from lark import Tree

    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_EXPRESSION_DEPTH:
            line = getattr(node.meta, "line", None) or 1
            column = getattr(node.meta, "column", None) or 1
            source = lines[line - 1] if 0 < line <= len(lines) else None
            raise InputError(Diagnostic(path, line, column, "the expression nests too deeply: more "
                                        f"than {MAX_EXPRESSION_DEPTH} levels (a chain of . or [ ], "
                                        "or of operators, that long); split it with let", source))
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _check_nesting(text: str, path: str, lines: list[str]) -> None:
    depth = 0
    line, column = 1, 0
    in_string = in_comment = False
    escaped = False
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
            in_string = in_comment = False
            continue
        if in_comment:
            continue
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char == "#":
            in_comment = True
        elif char in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise InputError(Diagnostic(path, line, column,
                                            f"expressions nest deeper than {MAX_NESTING} levels",
                                            lines[line - 1]))
        elif char in ")]}":
            depth = max(0, depth - 1)


def _syntax_error(error: Any, path: str, lines: list[str]) -> InputError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    line = getattr(error, "line", None)
    column = getattr(error, "column", None)
    if isinstance(error, UnexpectedToken) and error.token.type == "$END":
        line, column = len(lines) or 1, (len(lines[-1]) + 1 if lines else 1)
    if not isinstance(line, int) or line < 1:
        line, column = len(lines) or 1, 1
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    if isinstance(error, UnexpectedCharacters):
        bad = source_line[column - 1:column] if column else "?"
        message = f"unexpected character {bad!r}"
    elif isinstance(error, (UnexpectedToken, UnexpectedEOF)):
        token = getattr(error, "token", None)
        found = "the end of the file" if token is None or token.type == "$END" else repr(str(token))
        expected = sorted({_TOKEN_WORDS.get(name, _keyword(name)) for name in error.expected})
        shown = ", ".join(expected[:8]) + (", ..." if len(expected) > 8 else "")
        message = f"unexpected {found}; expected {shown}"
    else:  # pragma: no cover - other Lark errors
        message = str(error).splitlines()[0]
    return InputError(Diagnostic(path, line, column, message, source_line))


def _keyword(terminal: str) -> str:
    for definition in _lark().terminals:
        if definition.name == terminal:
            pattern = definition.pattern
            if pattern.type == "str":
                return f"'{pattern.value}'"
            return terminal.lower()
    return terminal.lower()


def parse_ruleset(text: str, path: str) -> ast.RulesetFile:
    """Parse ruleset source text into its AST (no name resolution or type checking yet).

    Lark parses about 3 ms per KB in pure Python, so the AST of a file already parsed (same
    text, same grammar, same version) is read back from the user's private cache folder.
    """
    cached = _cache_get(text, path)
    if cached is not None:
        return cached
    result = _parse_ruleset(text, path)
    _cache_put(text, path, result)
    return result


def _ast_cache_file(text: str, path: str) -> Any:
    import hashlib
    from pathlib import Path

    from compliance import __version__

    grammar = files("compliance.dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    base = _cache_file(grammar)
    if base is None:
        return None
    key = hashlib.sha256("\0".join((__version__, grammar, path, text)).encode("utf-8")).hexdigest()
    return Path(base).parent / "ast" / f"{key[:32]}.pickle"


def _cache_get(text: str, path: str) -> ast.RulesetFile | None:
    import os
    import pickle

    try:
        cache = _ast_cache_file(text, path)
        if cache is None or not cache.is_file():
            return None
        # Only a file this user wrote, in a folder only this user can write, is trusted.
        info = cache.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o022:
            return None
        found = pickle.loads(cache.read_bytes())
    except Exception:  # noqa: BLE001 - a broken cache entry only costs time
        return None
    return found if isinstance(found, ast.RulesetFile) and found.source == text else None


def _cache_put(text: str, path: str, result: ast.RulesetFile) -> None:
    import os
    import pickle
    import tempfile

    try:
        cache = _ast_cache_file(text, path)
        if cache is None:
            return
        cache.parent.mkdir(mode=0o700, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=cache.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(temp, cache)
    except Exception:  # noqa: BLE001 - a read-only home folder only costs time
        return


def _parse_ruleset(text: str, path: str) -> ast.RulesetFile:
    from lark.exceptions import LarkError, UnexpectedInput

    if len(text.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise InputError.at(path, 1, 1, f"ruleset file is larger than {MAX_SOURCE_BYTES} bytes")
    lines = text.split("\n")
    _check_nesting(text, path, lines)
    try:
        tree = _lark().parse(text, start="start", on_error=None)
    except UnexpectedInput as error:
        raise _syntax_error(error, path, lines) from None
    except LarkError as error:  # pragma: no cover - defensive
        raise InputError.at(path, 1, 1, f"cannot parse: {error}") from None
    except RecursionError:
        raise InputError.at(path, 1, 1, "the ruleset nests too deeply to read") from None
    _check_depth(tree, path, lines)
    builder = _Builder(path, lines)
    try:
        result = builder.build(tree)
    except RecursionError:
        raise InputError.at(path, 1, 1, "the ruleset nests too deeply to read") from None
    return ast.RulesetFile(result.name, result.path, text, result.header, result.items,
                           tuple(_comments(text)), result.span)


def parse_expression(text: str, path: str = "<expression>") -> ast.Expr:
    """Parse one expression (used by tests and by ``compliance rules`` tooling); the same limits
    as :func:`parse_ruleset` apply."""
    from lark.exceptions import LarkError, UnexpectedInput

    if len(text.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise InputError.at(path, 1, 1, f"expression is larger than {MAX_SOURCE_BYTES} bytes")
    lines = text.split("\n")
    _check_nesting(text, path, lines)
    try:
        tree = _lark().parse(text, start="expr")
    except UnexpectedInput as error:
        raise _syntax_error(error, path, lines) from None
    except LarkError as error:  # pragma: no cover - defensive
        raise InputError.at(path, 1, 1, f"cannot parse: {_cut(str(error))}") from None
    except RecursionError:
        raise InputError.at(path, 1, 1, "the expression nests too deeply to read") from None
    _check_depth(tree, path, lines)
    try:
        return _Builder(path, lines).expr(tree)
    except RecursionError:
        raise InputError.at(path, 1, 1, "the expression nests too deeply to read") from None


def _comments(text: str) -> list[ast.Comment]:
    """Comments, found by a scan that skips string contents (the grammar ignores comments)."""
    found: list[ast.Comment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        in_string = escaped = False
        for index, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                found.append(ast.Comment(line[index:].rstrip(), number, index + 1))
                break
    return found


def decimal_text(value: Decimal) -> str:
    return units.format_value(value)
