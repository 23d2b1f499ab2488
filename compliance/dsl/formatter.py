"""Canonical formatting of ruleset files (``compliance rules fmt``), printed from the AST.

The layout is fixed so that reviews see only what changed in meaning: header clauses indented two
spaces under ``ruleset NAME``, one blank line between items, each clause on its own line in the
canonical order, expressions with only the parentheses precedence needs, literals in one
spelling. Comments survive: the parser keeps them with their line and column, and each is attached
to the header clause, item, clause or map entry it precedes (a full-line comment) or ends the line
of (a trailing comment), then printed with it.

Formatting is idempotent and keeps the meaning: :func:`structure` of the formatted text equals that
of the original (``compliance rules fmt`` checks this before writing a file).
"""
from __future__ import annotations

import datetime as _dt
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from compliance.dsl import ast, units

MAX_WIDTH = 100
INDENT = "  "
CONTINUATION = "    "   # continuation lines of a broken expression: 4 more than the clause

HEADER_ORDER = ("version", "title", "jurisdiction", "extends", "source")
CLAUSE_ORDER = ("topic", "severity", "citation", "source", "confidence", "applies_to", "set",
                "for_each", "when", "require", "silence", "subject", "message", "fix")

# Precedence levels, loosest first (the grammar's expr -> or_expr -> ... -> atom chain).
OR, AND, NOT, COMPARISON, SUM, PRODUCT, UNARY, POSTFIX, ATOM = range(1, 10)

_NAME_RE = re.compile(r"[a-z_][a-z0-9_]*\Z")
# Words the grammar reserves: a map key spelled like one is printed as a string.
_KEYWORDS = frozenset("""ruleset version title jurisdiction extends source override let from rule
    exception to disable because topic severity citation applies for each in when require message fix
    subject test given as of expect or and not exists missing true false any all count sum min max
    day days week weeks month months year years section assume set silence confidence""".split())


# ---- public entry points ------------------------------------------------------------------------

def format_ruleset(text: str, path: str) -> str:
    """The canonical text of a ruleset file. Raises InputError when the text does not parse."""
    from compliance.dsl.parser import parse_ruleset  # formatting expressions needs no parser

    parsed = parse_ruleset(text, path)
    return _Printer(parsed).run()


def format_expression(expr: ast.Expr) -> str:
    """One expression on one line, with minimal parentheses."""
    return _expr(expr, OR)


def structure(node: Any) -> Any:
    """A comparable form of an AST without positions or spelling: two files with equal structures
    mean the same. Clause and header order are canonicalised (the checker does not depend on them)."""
    if isinstance(node, ast.RulesetFile):
        header = sorted(((k, v) for k, v, _s in node.header), key=lambda kv: HEADER_ORDER.index(kv[0]))
        return ("ruleset", node.name, tuple(header), tuple(structure(item) for item in node.items))
    if isinstance(node, ast.Literal):
        return ("literal", type(node.value).__name__, node.value)
    if isinstance(node, (ast.Rule, ast.Exception_, ast.Section, ast.Assumption)):
        clauses = sorted(node.clauses, key=lambda c: _clause_rank(c.keyword))
        head = (getattr(node, "rule_id", None) or getattr(node, "name", None), node.title,
                getattr(node, "base_id", None), getattr(node, "section", None),
                getattr(node, "override", None))
        return (type(node).__name__, head,
                tuple((c.keyword, structure(c.value)) for c in clauses))
    if isinstance(node, ast.Template):
        return ("template", node.text)
    if isinstance(node, ast.TestCase):
        return ("test", node.name, node.target, structure(node.document), node.as_of,
                tuple((e.rule_id, e.outcome) for e in node.expectations))
    if isinstance(node, (list, tuple)):
        return tuple(structure(item) for item in node)
    if hasattr(node, "__dataclass_fields__"):
        return (type(node).__name__,) + tuple(
            structure(getattr(node, name)) for name in node.__dataclass_fields__ if name != "span")
    return node


def _clause_rank(keyword: str) -> int:
    return CLAUSE_ORDER.index(keyword) if keyword in CLAUSE_ORDER else len(CLAUSE_ORDER)


# ---- literals -----------------------------------------------------------------------------------

def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _plain(value: Decimal) -> str:
    """Exact decimal text without exponent or trailing zeros."""
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):f}"
    return f"{value.normalize():f}"


def literal_text(node: ast.Literal) -> str:
    value = node.value
    written = " ".join(node.text.split())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, units.Percent):
        shown = f"{_plain(value.fraction * 100)}%"
        return shown if units.parse_percent(shown) == value else written
    if isinstance(value, units.Leverage):
        shown = f"{_plain(value.times)}:1"
        return shown if units.parse_leverage(shown).times == value.times else written
    if isinstance(value, units.Money):
        return written   # as written (EUR 25_000 stays), with one space after the currency
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, units.Duration):
        return str(value)
    if isinstance(value, Decimal):
        return _plain(value)
    return written  # pragma: no cover - every literal kind is handled above


# ---- expressions --------------------------------------------------------------------------------

def _paren(text: str, own: int, needed: int) -> str:
    return f"({text})" if own < needed else text


def _expr(node: ast.Expr, needed: int) -> str:
    """``node`` printed so that it parses back at a position that needs precedence >= ``needed``."""
    text, own = _PRINTERS[type(node)](node)
    return _paren(text, own, needed)


def _p_literal(node: ast.Literal) -> tuple[str, int]:
    return literal_text(node), ATOM


def _p_name(node: ast.Name) -> tuple[str, int]:
    return node.name, ATOM


def _p_attr(node: ast.Attr) -> tuple[str, int]:
    return f"{_expr(node.target, POSTFIX)}.{node.name}", POSTFIX


def _p_index(node: ast.Index) -> tuple[str, int]:
    return f"{_expr(node.target, POSTFIX)}[{_expr(node.index, OR)}]", POSTFIX


def _p_negate(node: ast.Negate) -> tuple[str, int]:
    return f"-{_expr(node.operand, UNARY)}", UNARY


def _p_arith(node: ast.Arith) -> tuple[str, int]:
    own = SUM if node.op in "+-" else PRODUCT
    return f"{_expr(node.left, own)} {node.op} {_expr(node.right, own + 1)}", own


def _p_compare(node: ast.Compare) -> tuple[str, int]:
    # Comparisons do not chain in the grammar: both sides are sums.
    return f"{_expr(node.left, SUM)} {node.op} {_expr(node.right, SUM)}", COMPARISON


def _p_boolop(node: ast.BoolOp) -> tuple[str, int]:
    own = OR if node.op == "or" else AND
    return f"{_side(node.left, node.op, own)} {node.op} {_side(node.right, node.op, own + 1)}", own


def _side(node: ast.Expr, op: str, needed: int) -> str:
    """An operand of ``and``/``or``: bracketed when it is the other one, although precedence
    would not need it, because ``a and b or c`` is misread by people who do not know it."""
    if isinstance(node, ast.BoolOp) and node.op != op:
        return f"({_expr(node, OR)})"
    return _expr(node, needed)


def _p_not(node: ast.Not) -> tuple[str, int]:
    return f"not {_expr(node.operand, NOT)}", NOT


def _p_exists(node: ast.Exists) -> tuple[str, int]:
    word = "missing" if node.negated else "exists"
    # An atom, but one that swallows a following '.x' or '[i]': bracket it before a postfix.
    return f"{word} {_expr(node.target, POSTFIX)}", UNARY


def _p_call(node: ast.Call) -> tuple[str, int]:
    return f"{node.name}({', '.join(_expr(arg, OR) for arg in node.args)})", ATOM


def _p_quantifier(node: ast.Quantifier) -> tuple[str, int]:
    return (f"{node.kind}({node.var} in {_expr(node.collection, OR)}: {_expr(node.body, OR)})", ATOM)


def _p_listexpr(node: ast.ListExpr) -> tuple[str, int]:
    return f"[{', '.join(_expr(item, OR) for item in node.items)}]", ATOM


def map_key(key: str) -> str:
    return key if _NAME_RE.match(key) and key not in _KEYWORDS else quote(key)


def _p_mapexpr(node: ast.MapExpr) -> tuple[str, int]:
    entries = ", ".join(f"{map_key(key)}: {_expr(value, OR)}" for key, value in node.entries)
    return f"{{{entries}}}", ATOM


_PRINTERS: dict[type, Callable[[Any], tuple[str, int]]] = ast.dispatch_table(sys.modules[__name__], "_p_")


def _chain(node: ast.Expr, op: str) -> list[ast.Expr]:
    """``a and b and c`` (left-nested) as [a, b, c]."""
    operands: list[ast.Expr] = []
    while isinstance(node, ast.BoolOp) and node.op == op:
        operands.append(node.right)
        node = node.left
    operands.append(node)
    return operands[::-1]


# ---- comments and blocks ---------------------------------------------------------------------------

@dataclass(eq=False)
class _Block:
    """A unit of output that comments attach to: a header clause, item, clause or map entry."""

    start: int
    end: int
    children: list["_Block"] = field(default_factory=list)
    leading: list[str] = field(default_factory=list)
    trailing: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)    # comments after the last child

    def has_comments(self) -> bool:
        return bool(self.leading or self.trailing or self.tail) or any(
            child.has_comments() for child in self.children)

    def inner_comments(self) -> bool:
        return bool(self.tail) or any(child.has_comments() for child in self.children)


def _block(span: ast.Span, children: Sequence[_Block] = ()) -> _Block:
    return _Block(span.line, max(span.end_line, span.line), list(children))


def _place(comment: ast.Comment, full_line: bool, block: _Block) -> None:
    line = comment.line
    inside = [child for child in block.children
              if child.start <= line <= child.end and (child.start < line or not full_line)]
    if inside:
        _place(comment, full_line, inside[-1])
        return
    if full_line:
        following = [child for child in block.children if child.start > line]
        if following:
            following[0].leading.append(comment.text)
        elif block.children:
            block.tail.append(comment.text)
        else:
            block.leading.append(comment.text)
        return
    before = [child for child in block.children if child.start <= line]
    if before and line > block.start:
        before[-1].trailing.append(comment.text)
    else:
        block.trailing.append(comment.text)


def _with_trailing(line: str, block: _Block) -> str:
    return f"{line}  {'  '.join(block.trailing)}" if block.trailing else line


# ---- the printer ------------------------------------------------------------------------------------

class _Printer:
    def __init__(self, parsed: ast.RulesetFile):
        self.file = parsed
        self.lines = parsed.source.split("\n")
        self.root = _Block(0, 1 << 30)
        self.header_block = _Block(parsed.span.line, parsed.span.line)
        self.header_blocks: dict[int, _Block] = {}
        for index, (_key, _value, span) in enumerate(parsed.header):
            block = _block(span)
            self.header_blocks[index] = block
            self.header_block.children.append(block)
            self.header_block.end = max(self.header_block.end, block.end)
        self.item_blocks = [self._item_block(item) for item in parsed.items]
        self.root.children = [self.header_block, *self.item_blocks]
        for comment in parsed.comments:
            before = self.lines[comment.line - 1][:comment.column - 1]
            _place(comment, not before.strip(), self.root)

    # -- block trees mirroring what is printed --------------------------------------------------
    def _item_block(self, item: ast.Item) -> _Block:
        if isinstance(item, (ast.Rule, ast.Exception_, ast.Section, ast.Assumption)):
            return _block(item.span, [_block(clause.span) for clause in item.clauses])
        if isinstance(item, ast.Param):
            children: list[_Block] = []
            if len(item.values) == 1 and item.values[0].effective is None:
                children = _container_children(item.values[0].value)
            return _block(item.span, children)
        if isinstance(item, ast.TestCase):
            children = []
            for keyword, span in item.clause_spans:
                kids = _container_children(item.document) if keyword == "given" else []
                children.append(_block(span, kids))
            return _block(item.span, children)
        return _block(item.span)

    # -- output -----------------------------------------------------------------------------------
    def run(self) -> str:
        out: list[str] = []
        self._emit_header(out)
        for item, block in zip(self.file.items, self.item_blocks):
            out.append("")
            out.extend(block.leading)
            self._EMIT[type(item)](self, item, block, out)
        if self.root.tail:
            out.append("")
            out.extend(self.root.tail)
        return "\n".join(out) + "\n"

    def _emit_header(self, out: list[str]) -> None:
        block = self.header_block
        out.extend(block.leading)
        out.append(_with_trailing(f"ruleset {self.file.name}", block))
        order = sorted(range(len(self.file.header)),
                       key=lambda i: HEADER_ORDER.index(self.file.header[i][0]))
        for index in order:
            keyword, value, _span = self.file.header[index]
            clause = self.header_blocks[index]
            out.extend(INDENT + text for text in clause.leading)
            shown = value if keyword == "extends" else quote(value)
            out.append(_with_trailing(f"{INDENT}{keyword} {shown}", clause))
        out.extend(INDENT + text for text in block.tail)

    def _emit_param(self, item: ast.Param, block: _Block, out: list[str]) -> None:
        head = f"{'override ' if item.override else ''}let {item.name} = "
        if len(item.values) == 1 and item.values[0].effective is None:
            self._container(head, item.values[0].value, block, "", out)
            return
        values = ", ".join(_expr(v.value, OR) + (f" from {v.effective.isoformat()}" if v.effective else "")
                           for v in item.values)
        out.append(_with_trailing(head + values, block))

    def _container(self, prefix: str, expr: ast.Expr, block: _Block, indent: str,
                   out: list[str], suffix: str = "") -> None:
        """``prefix`` + a map or list, broken one entry per line when too long or commented."""
        inline = prefix + _expr(expr, OR) + suffix
        entries = _entries(expr)
        if entries is None or not entries or (len(inline) <= MAX_WIDTH and not block.inner_comments()):
            out.append(_with_trailing(inline, block))
            return
        opening, closing = ("{", "}") if isinstance(expr, ast.MapExpr) else ("[", "]")
        out.append(_with_trailing(prefix + opening, block))
        inner = indent + CONTINUATION
        for (key, value), child in zip(entries, block.children):
            out.extend(inner + text for text in child.leading)
            self._container(inner + (f"{map_key(key)}: " if key is not None else ""), value, child,
                            inner, out, ",")
        out.extend(inner + text for text in block.tail)
        out.append(indent + closing + suffix)

    def _emit_rule(self, item: ast.Rule | ast.Exception_ | ast.Section | ast.Assumption,
                   block: _Block, out: list[str]) -> None:
        if isinstance(item, ast.Exception_):
            target = f"section {item.section}" if item.section else item.base_id
            head = f"exception {item.rule_id} to {target} {quote(item.title)}"
        elif isinstance(item, ast.Section):
            head = f"section {item.name} {quote(item.title)}"
        elif isinstance(item, ast.Assumption):
            head = f"assume {item.rule_id} {quote(item.title)}"
        else:
            head = f"{'override ' if item.override else ''}rule {item.rule_id} {quote(item.title)}"
        out.append(_with_trailing(head, block))
        pairs = sorted(zip(item.clauses, block.children), key=lambda pair: _clause_rank(pair[0].keyword))
        for clause, child in pairs:
            out.extend(INDENT + text for text in child.leading)
            lines = _clause_lines(clause)
            out.append(_with_trailing(lines[0], child))
            out.extend(lines[1:])
        out.extend(INDENT + text for text in block.tail)

    _emit_exception_ = _emit_rule
    _emit_section = _emit_rule
    _emit_assumption = _emit_rule
    _EMIT: dict[type, Any] = {}    # item class -> _emit_<class> (filled below the class)

    def _emit_disable(self, item: ast.Disable, block: _Block, out: list[str]) -> None:
        out.append(_with_trailing(f"disable {item.rule_id} because {quote(item.reason)}", block))
        out.extend(INDENT + text for text in block.tail)

    def _emit_testcase(self, item: ast.TestCase, block: _Block, out: list[str]) -> None:
        out.append(_with_trailing(f"test {quote(item.name)}", block))
        given = [child for (keyword, _s), child in zip(item.clause_spans, block.children) if keyword == "given"]
        as_of = [child for (keyword, _s), child in zip(item.clause_spans, block.children)
                 if keyword == "test_as_of"]
        expects = [child for (keyword, _s), child in zip(item.clause_spans, block.children) if keyword == "expect"]
        if item.document is not None and given:
            for dropped in given[:-1]:   # a repeated 'given': the last one counts; keep its comments
                given[-1].leading[:0] = dropped.leading + dropped.trailing
            child = given[-1]
            out.extend(INDENT + text for text in child.leading)
            self._container(f"{INDENT}given {item.target} ", item.document, child, INDENT, out)
        if item.as_of is not None and as_of:
            for dropped in as_of[:-1]:
                as_of[-1].leading[:0] = dropped.leading + dropped.trailing
            child = as_of[-1]
            out.extend(INDENT + text for text in child.leading)
            out.append(_with_trailing(f"{INDENT}as of {item.as_of.isoformat()}", child))
        for expect, child in zip(item.expectations, expects):
            out.extend(INDENT + text for text in child.leading)
            out.append(_with_trailing(f"{INDENT}expect {expect.rule_id} {expect.outcome}", child))
        out.extend(INDENT + text for text in block.tail)


_Printer._EMIT = ast.dispatch_table(_Printer, "_emit_", ast.ITEMS)


def _entries(expr: ast.Expr) -> list[tuple[str | None, ast.Expr]] | None:
    if isinstance(expr, ast.MapExpr):
        return [(key, value) for key, value in expr.entries]
    if isinstance(expr, ast.ListExpr):
        return [(None, item) for item in expr.items]
    return None


def _container_children(expr: ast.Expr | None) -> list[_Block]:
    entries = _entries(expr) if expr is not None else None
    if not entries:
        return []
    return [_block(value.span, _container_children(value)) for _key, value in entries]


def _clause_lines(clause: ast.Clause) -> list[str]:
    keyword, value = clause.keyword, clause.value
    if keyword in ("topic", "severity"):
        return [f"{INDENT}{keyword} {value}"]
    if keyword == "applies_to":
        return [f"{INDENT}applies to {value}"]
    if keyword == "citation":
        cited = [quote(c.text) + (f" from {c.effective.isoformat()}" if c.effective else "") for c in value]
        line = f"{INDENT}citation {', '.join(cited)}"
        if len(line) <= MAX_WIDTH or len(cited) == 1:
            return [line]
        rest = cited[1:]
        return [f"{INDENT}citation {cited[0]},"] + [
            f"{INDENT}{CONTINUATION}{text}{',' if n < len(rest) - 1 else ''}" for n, text in enumerate(rest)]
    if keyword in ("source", "confidence"):
        return [f"{INDENT}{keyword} {quote(value) if keyword == 'source' else value}"]
    if keyword == "silence":
        return [f"{INDENT}silence {value.severity}" + (f" {quote(value.reason)}" if value.reason else "")]
    if keyword == "set":
        return [f"{INDENT}set {_expr(value.target, OR)} = {_expr(value.value, OR)}"]
    if keyword in ("message", "fix"):
        return [f"{INDENT}{keyword} {quote(value.text)}"]
    if keyword == "for_each":
        names = value.key_var + (f", {value.value_var}" if value.value_var else "")
        return [f"{INDENT}for each {names} in {_expr(value.collection, OR)}"]
    head = f"{INDENT}{keyword.replace('_', ' ')} "
    line = head + _expr(value, OR)
    if len(line) <= MAX_WIDTH or not isinstance(value, ast.BoolOp) or keyword not in ("when", "require"):
        return [line]
    own = OR if value.op == "or" else AND
    first, *rest = _chain(value, value.op)
    lines = [head + _side(first, value.op, own)]
    lines += [f"{INDENT}{CONTINUATION}{value.op} {_side(operand, value.op, own + 1)}" for operand in rest]
    return lines
