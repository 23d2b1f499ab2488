"""Texts in the encoding: ``mentions()`` and ``matches()`` as atoms on a text field, and any other
part of a rule outside the fragment that reads one text or list field alone (``says(pluck(clauses,
"text"), ...)``, ``percentage_near(...)``, ``any(clause in clauses: ...)``), tabulated.

A tabulated expression is computed by the scalar evaluator on each value the field takes in the
rulesets' own in-file tests (the *corpus*), on the field left out, and is a free value for any
other text. A choice variable per field says which corpus entry the document holds, or none of
them; the atoms on the same field are tied to it. The encoding is therefore an over-approximation
on every document (sound for proofs: it never claims more than holds) and exact on documents whose
texts come from the corpus or are absent (the rule's ``restriction``), which is where witnesses
are searched first.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import z3

from compliance.analysis.symbolic import (
    FALSE,
    TRUE,
    Const,
    Sym,
    Unsupported,
    equal_const,
    lift,
)
from compliance.dsl import ast
from compliance.dsl.checker import _field_path
from compliance.evaluate.values import MISSING
from compliance.records import record

Path = tuple[str, ...]
TEXT_FUNCTIONS = ("mentions", "mentions_all", "matches")
# Builtins that read prose or build lists of texts: never encoded as such, only tabulated.
PROSE_FUNCTIONS = ("says", "percentage_near", "percentages_in", "pluck", "without", "first_mention",
                   "missing_phrases", "join", "lower", "keys", "claims", "first_claim",
                   "claim_explanation", "contradicts", "first_contradiction", "language_of",
                   "leverages_in", "percentages_of", "contradiction_explanation",
                   "leverages_other_than", "percentages_other_than", "currency_pair")
# What a tabulated expression is when no corpus entry shows it: its kind for the free value.
RESULT_KINDS = {"says": "bool", "mentions": "bool", "mentions_all": "bool", "matches": "bool",
                "claims": "bool", "contradicts": "bool", "percentage_near": "percent",
                "first_mention": "string", "first_claim": "string", "claim_explanation": "string",
                "first_contradiction": "string", "contradiction_explanation": "string",
                "language_of": "string", "lower": "string",
                "join": "string", "length": "number", "any": "bool", "all": "bool", "count": "number"}
# Builtins that are true or missing, never false, on any text.
ONLY_TRUE = ("says",)
_ERROR = object()   # the evaluator raised a UnitError on this corpus entry


@record
class Tab:
    """A list-valued tabulated expression (``percentages_in(text)``): per condition on the
    document, the list it is; ``free`` where the field holds a text outside the corpus."""

    options: tuple[tuple[Any, Any], ...]
    err: Any
    free: Any
    key: str


class TextEncoding:
    """The text part of the encoder (mixed into :class:`compliance.analysis.encode.Encoder`)."""

    document: Any
    params: Mapping[str, Any]
    as_of: Any
    assumed: Mapping[Path, Any]
    used_text: list[str]
    used_prose: list[str]
    restrictions: list[Any]

    def present(self, path: Path) -> Any:  # pragma: no cover - provided by the encoder
        raise NotImplementedError

    def value(self, expr: ast.Expr, env: Mapping[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError

    # ---- atoms ---------------------------------------------------------------------------------
    def text_call(self, expr: ast.Call, env: Mapping[str, Any]) -> Sym:
        """``mentions(text, phrases)``, ``mentions_all`` and ``matches`` on one text field: an atom
        per phrase (or pattern), tied to the corpus choice of that field."""
        self.used_text.append(f"{expr.name}()")
        text = self.value(expr.args[0], env)
        other = self.value(expr.args[1], env)
        if not isinstance(text, Sym) or text.kind != "string" or text.path is None:
            raise Unsupported(f"uses {expr.name}() on a list of texts")
        if not isinstance(other, (Const, Sym)) or isinstance(other, Sym) and other.const is None:
            raise Unsupported(f"uses {expr.name}() with phrases from the document")
        self.restrictions.append(self._not_free(text.path))
        given = other.value if isinstance(other, Const) else other.const
        if expr.name == "matches":
            holds = self.document.matches(text.path, str(given))
        else:
            phrases = [given] if isinstance(given, str) else [p for p in given if isinstance(p, str)]
            atoms = [self.document.contains(text.path, p) for p in phrases]
            holds = z3.Or(atoms or [FALSE]) if expr.name == "mentions" else z3.And(atoms or [TRUE])
        return Sym("bool", text.present, holds, text.err)

    def text_length(self, text: Sym) -> Sym:
        self.used_text.append("length()")
        assert text.path is not None
        self.restrictions.append(self._not_free(text.path))
        return Sym("number", text.present, self.document.text_length(text.path, text), text.err)

    def _not_free(self, path: Path) -> Any:
        """The field is absent, or holds a corpus entry: where texts are encoded exactly."""
        return z3.Or(z3.Not(self.present(path)), self.document.choice(path) < len(self.document.corpus_of(path)))

    # ---- tabulation ------------------------------------------------------------------------------
    def tabulate(self, expr: ast.Expr, env: Mapping[str, Any]) -> Any | None:
        """``expr`` tabulated over the corpus of the one text or list field it reads, or None
        when it reads more (or a loop variable), or its values do not fit one unit."""
        path = _single_field(expr, env, self.params)
        if path is None or any(a[:len(path)] == path or path[:len(a)] == a for a in self.assumed):
            return None
        try:
            node = self.document.field(path)
        except Unsupported:
            return None
        if node.kind not in ("string", "list") or node.domain is not None:
            return None
        present = self.present(path)
        corpus = self.document.corpus_of(path)
        choice = self.document.choice(path)
        options = [(z3.Not(present), self._concrete(expr, ()))]
        options += [(z3.And(present, choice == index), self._concrete(expr, (path, entry)))
                    for index, entry in enumerate(corpus)]
        free = z3.And(present, choice == len(corpus))
        key = _key(expr, path, self.params)
        built = self._tab(options, free, key) if any(isinstance(v, list) for _c, v in options) else \
            self._tabulated_sym(expr, options, free, key)
        if built is None:
            return None
        self.used_prose.extend(_labels(expr, path))
        self.restrictions.append(z3.Not(free))
        return built

    def _concrete(self, expr: ast.Expr, entry: tuple[Any, ...]) -> Any:
        """The evaluator's value of ``expr`` on a document holding only ``entry`` (path, value)."""
        from compliance.documents.model import Document
        from compliance.dsl.units import UnitError
        from compliance.evaluate.scalar import Evaluator

        data: dict[str, Any] = {}
        if entry:
            path, value = entry
            node = data
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = value
        try:
            return Evaluator(Document(self.document.target, "", data), self.params, self.as_of).value(expr, {})
        except UnitError:
            return _ERROR

    def _tab(self, options: list[tuple[Any, Any]], free: Any, key: str) -> Tab | None:
        if any(not (isinstance(v, list) or v is MISSING or v is _ERROR) for _c, v in options):
            return None
        err = z3.Or([c for c, v in options if v is _ERROR] or [FALSE])
        return Tab(tuple((c, v) for c, v in options if v is not _ERROR), err, free, key)

    def _tabulated_sym(self, expr: ast.Expr, options: list[tuple[Any, Any]], free: Any, key: str) -> Sym | None:
        lifted = [(c, None if v is _ERROR else lift(v, self.document.strings)) for c, v in options]
        if any(isinstance(s, Const) for _c, s in lifted):
            return None
        known = {s.kind for _c, s in lifted if s is not None and not z3.is_false(s.present)}
        kind = known.pop() if len(known) == 1 else None if known else _result_kind(expr)
        if kind not in ("bool", "string", "number", "percent"):
            return None
        value = (z3.Bool if kind == "bool" else z3.Int if kind == "string" else z3.Real)(f"{key} (other text)")
        if isinstance(expr, ast.Call) and expr.name in ONLY_TRUE:
            value = TRUE
        if kind == "string":
            self.document.constraints.append(value >= 0)
        result_present, result_value = z3.Bool(f"{key} (other text) is stated"), value
        err = FALSE
        for condition, sym in reversed(lifted):
            if sym is None:
                err = z3.Or(err, condition)
                continue
            result_present = z3.If(condition, sym.present, result_present)
            if not z3.is_false(sym.present):
                result_value = z3.If(condition, sym.value, result_value)
        return Sym(kind, result_present, result_value, err)

    def member_of_tab(self, item: Sym, tab: Tab) -> Sym:
        """``item in <tabulated list>``: exact on each corpus entry, an atom on any other text."""
        strings = self.document.strings
        present, holds = [], []
        for condition, values in tab.options:
            if values is MISSING:
                continue
            found = [equal_const(item, candidate, strings) for candidate in values]
            present.append(condition)
            holds.append(z3.And(condition, z3.Or([f for f in found if f is not None] or [FALSE])))
        atom = z3.Bool(f"{self._item_key(item)} in {tab.key} (other text)")
        present.append(tab.free)
        holds.append(z3.And(tab.free, atom))
        return Sym("bool", z3.And(item.present, z3.Or(present)), z3.Or(holds), z3.Or(item.err, tab.err))

    def _item_key(self, item: Sym) -> str:
        """The item's name in a membership atom: its field (the same atom wherever the same field is
        looked for), its value, or a fresh number."""
        if item.path is not None:
            return ".".join(str(part) for part in item.path)
        if item.const is not None:
            return repr(item.const)
        self.document.fresh += 1
        return f"value {self.document.fresh}"


def _single_field(expr: ast.Expr, env: Mapping[str, Any], params: Mapping[str, Any]) -> Path | None:
    """The one document field ``expr`` reads (all it reads lies under it), or None."""
    paths = _reads(expr, set(env), params, set())
    if paths is None or not paths:
        return None
    prefix = list(paths)[0]
    for path in paths:
        common = 0
        while common < min(len(prefix), len(path)) and prefix[common] == path[common]:
            common += 1
        prefix = prefix[:common]
    return tuple(prefix) if prefix else None


def _reads(expr: ast.Expr, env: set[str], params: Mapping[str, Any], bound: set[str]) -> set[Path] | None:
    """The document paths an expression reads, or None when it reads a loop variable of the rule."""
    if isinstance(expr, ast.Name):
        if expr.name in bound or expr.name in params or expr.name == "as_of":
            return set()
        return None if expr.name in env else {(expr.name,)}
    if isinstance(expr, ast.Attr):
        base = _field_path(expr)
        if base is not None and base[0] not in bound and base[0] not in params and base[0] not in env:
            return {base}
        return _reads(expr.target, env, params, bound)
    if isinstance(expr, ast.Quantifier):
        found = _reads(expr.collection, env, params, bound)
        body = _reads(expr.body, env, params, bound | {expr.var})
        return None if found is None or body is None else found | body
    paths: set[Path] = set()
    for child in ast.children(expr):
        found = _reads(child, env, params, bound)
        if found is None:
            return None
        paths |= found
    return paths


def _key(expr: ast.Expr, path: Path, params: Mapping[str, Any]) -> str:
    """A name for the free value of ``expr`` that is the same wherever the same expression, with
    the same parameter values, reads the same field (in any rule of either ruleset)."""
    from compliance.dsl.formatter import format_expression

    used = sorted({node.name for node in ast.walk(expr) if isinstance(node, ast.Name) and node.name in params})
    values = ", ".join(f"{name}={params[name]!r}" for name in used)
    return f"{format_expression(expr)} on {'.'.join(path)}" + (f" [{values}]" if values else "")


def _labels(expr: ast.Expr, path: Path) -> list[str]:
    names = [f"{node.name}()" for node in ast.walk(expr) if isinstance(node, ast.Call)
             and node.name in PROSE_FUNCTIONS + TEXT_FUNCTIONS]
    if not names:
        names = [f"{node.kind}() over {'.'.join(path)}" for node in ast.walk(expr)
                 if isinstance(node, ast.Quantifier)][:1] or [f"reads {'.'.join(path)} as a whole"]
    return list(dict.fromkeys(names))


def _result_kind(expr: ast.Expr) -> str | None:
    if isinstance(expr, ast.Call):
        return RESULT_KINDS.get(expr.name)
    if isinstance(expr, ast.Quantifier):
        return RESULT_KINDS.get(expr.kind)
    if isinstance(expr, (ast.Compare, ast.BoolOp, ast.Not, ast.Exists)):
        return "bool"
    return None
