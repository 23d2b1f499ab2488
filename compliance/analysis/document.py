"""One symbolic document: a z3 variable pair (present, value) for every field the rules read.

Variables are made when a rule first reads a field, so a proof ranges over exactly the fields that
matter. The loaders' constraints come with them (a leverage is positive, a client category one of
three, a child present only inside its present parent), and a model turns back into the document
it stands for (:meth:`SymbolicDocument.document`), which the scalar evaluator then re-checks.

Money: the analysis gives a document one currency, chosen among the currencies the rules name and
one they do not (an account's money is in its row's currency anyway; a contract mixing currencies
within itself is outside what is analysed, see docs/analysis.md).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from compliance.analysis.calendar import civil_constraints
from compliance.analysis.schema import Field, child, schema
from compliance.analysis.symbolic import TRUE, Strings, Sym, Unsupported
from compliance.dsl.units import Duration, Leverage, Money, Percent

Path = tuple[str, ...]
SPARE_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY", "CNY")
NO_CURRENCY = "XXX"
# Dates a witness may use: the loaders accept any ISO date, these keep arithmetic in range.
FIRST_DAY, LAST_DAY = _dt.date(1900, 1, 1).toordinal(), _dt.date(2199, 12, 31).toordinal()


class SymbolicDocument:
    def __init__(self, target: str, strings: Strings, currencies: tuple[str, ...] = (),
                 corpus: Mapping[Path, tuple[Any, ...]] | None = None):
        self.target = target
        # Texts and lists the in-file tests write, per field: what a tabulated text may be.
        self.corpus = dict(corpus or {})
        self.choices: dict[Path, Any] = {}                 # field -> which corpus entry it holds
        self.calendar: dict[Path, tuple[Any, Any, Any]] = {}   # date field -> year, month, day
        self.root = schema(target)
        self.strings = strings
        self.constraints: list[Any] = []
        self.presence: dict[Path, Any] = {(): TRUE}
        self.leaves: dict[Path, tuple[Field, Sym]] = {}
        self.members: dict[tuple[Path, str], Any] = {}
        self.lengths: dict[Path, Any] = {}
        self.fresh = 0                                     # counter for helper variables
        self.text_lengths: dict[Path, Any] = {}
        self.texts: dict[tuple[Path, str], Any] = {}       # (text field, phrase) -> contains it
        self.patterns: dict[tuple[Path, str], Any] = {}    # (text field, pattern) -> matches it
        self._currency = self._make_currency(currencies)

    # ---- fields ---------------------------------------------------------------------------------
    def field(self, path: Path) -> Field:
        node = self.root
        for key in path:
            found = child(node, key)
            if found is None:
                raise Unsupported(f"reads {'.'.join(path)}, which has no closed shape")
            node = found
        return node

    def present(self, path: Path) -> Any:
        if path in self.presence:
            return self.presence[path]
        parent = self.present(path[:-1])
        node = self.field(path)
        if node.required and self.field(path[:-1]).kind == "record":
            variable = parent
        else:
            variable = z3.Bool("has " + _name(path))
            self.constraints.append(z3.Implies(variable, parent))
        self.presence[path] = variable
        return variable

    def leaf(self, path: Path) -> Sym:
        if path in self.leaves:
            return self.leaves[path][1]
        node = self.field(path)
        present = self.present(path)
        name = _name(path)
        sym = self._leaf(node, name, present, path)
        self.leaves[path] = (node, sym)
        return sym

    def _leaf(self, node: Field, name: str, present: Any, path: Path) -> Sym:
        kind = node.kind
        if kind in ("number", "percent", "leverage", "money"):
            value = z3.Int(name) if node.integer else z3.Real(name)
            if node.positive:
                self.constraints.append(value > 0)
            if node.non_negative:
                self.constraints.append(value >= 0)
            return Sym(kind, present, value, currency=self._currency if kind == "money" else None,
                       path=path)
        if kind == "date":
            value = z3.Int(name)
            self.constraints.append(z3.And(value >= FIRST_DAY, value <= LAST_DAY))
            return Sym("date", present, value, path=path)
        if kind == "duration":
            value, months = z3.Int(name), z3.Bool(name + " in months")
            self.constraints.append(value >= 0)
            return Sym("duration", present, value, months=months, path=path)
        if kind == "bool":
            return Sym("bool", present, z3.Bool(name), path=path)
        if kind == "string":
            value = z3.Int(name)
            if node.domain is not None:
                self.constraints.append(z3.Or([value == self.strings.code(d) for d in node.domain]))
            else:
                self.constraints.append(value >= 0)
            return Sym("string", present, value, path=path)
        raise Unsupported(f"reads {'.'.join(path)} as a value")

    def corpus_of(self, path: Path) -> tuple[Any, ...]:
        return self.corpus.get(path, ())

    def choice(self, path: Path) -> Any:
        """Which entry of its corpus the text or list at ``path`` holds: 0..n-1, or n for any
        other value."""
        if path not in self.choices:
            variable = z3.Int(f"{_name(path)} corpus entry")
            self.constraints.append(z3.And(variable >= 0, variable <= len(self.corpus_of(path))))
            self.choices[path] = variable
        return self.choices[path]

    def civil(self, path: Path) -> tuple[Any, Any, Any]:
        """Year, month and day variables of the date at ``path``."""
        if path not in self.calendar:
            date = self.leaf(path).value
            parts = tuple(z3.Int(f"{_name(path)} {part}") for part in ("year", "month", "day"))
            self.constraints.extend(civil_constraints(date, *parts))
            self.calendar[path] = parts  # type: ignore[assignment]
        return self.calendar[path]

    def count(self, path: Path, item: str) -> Any:
        """How often the list at ``path`` (of a closed vocabulary) holds ``item``: a list of such
        values is a multiset to every rule (an element's outcome depends on its value only)."""
        key = (path, item)
        if key not in self.members:
            variable = z3.Int(f"{_name(path)} count of {item}")
            self.constraints.append(variable >= 0)
            self.constraints.append(z3.Implies(variable > 0, self.present(path)))
            self.members[key] = variable
        return self.members[key]

    def member(self, path: Path, item: str) -> Any:
        return self.count(path, item) > 0

    def length(self, path: Path) -> Any:
        """The number of items of a list at ``path``."""
        node = self.field(path)
        if node.kind == "set":
            return z3.Sum([z3.ToReal(self.count(path, item)) for item in node.domain or ()])
        if path not in self.lengths:
            variable = z3.Int(f"{_name(path)} length")
            self.constraints.append(variable >= 0)
            self.lengths[path] = variable
        return z3.ToReal(self.lengths[path])

    def text_length(self, path: Path, sym: Sym) -> Any:
        """The length of a text: free, but zero exactly for the empty text."""
        if path not in self.text_lengths:
            variable = z3.Int(f"{_name(path)} characters")
            empty = self.strings.code("")
            self.constraints.append(variable >= 0)
            self.constraints.append((variable == 0) == (sym.value == empty))
            self.text_lengths[path] = variable
        return z3.ToReal(self.text_lengths[path])

    def contains(self, path: Path, phrase: str) -> Any:
        key = (path, phrase)
        if key not in self.texts:
            self.texts[key] = z3.Bool(f"{_name(path)} mentions {phrase!r}")
        return self.texts[key]

    def matches(self, path: Path, pattern: str) -> Any:
        key = (path, pattern)
        if key not in self.patterns:
            self.patterns[key] = z3.Bool(f"{_name(path)} matches /{pattern}/")
        return self.patterns[key]

    def _make_currency(self, named: tuple[str, ...]) -> Any:
        variable = z3.Int("currency")
        spare = next(c for c in SPARE_CURRENCIES if c not in named)
        choices = [*named, spare] + ([NO_CURRENCY] if self.target == "account" else [])
        if "EUR" in choices:   # the most readable first
            choices.insert(0, choices.pop(choices.index("EUR")))
        self.currency_choices = tuple(dict.fromkeys(choices))
        self.constraints.append(z3.Or([variable == self.strings.code(c) for c in self.currency_choices]))
        return variable

    def all_constraints(self) -> list[Any]:
        return list(self.constraints) + self._text_consistency() + self._account_currency() + \
            self._corpus_links()

    def _corpus_links(self) -> list[Any]:
        """A field holding a corpus entry has that entry's code, length, phrases and patterns."""
        from compliance.evaluate.builtins import matches, mentions

        found = []
        for path, choice in self.choices.items():
            for index, entry in enumerate(self.corpus_of(path)):
                facts = []
                if path in self.leaves and isinstance(entry, str):
                    facts.append(self.leaves[path][1].value == self.strings.code(entry))
                if path in self.text_lengths and isinstance(entry, str):
                    facts.append(self.text_lengths[path] == len(entry))
                if path in self.lengths and isinstance(entry, list):
                    facts.append(self.lengths[path] == len(entry))
                facts += [holds == bool(mentions(entry, [phrase]))
                          for (where, phrase), holds in self.texts.items() if where == path]
                facts += [holds == bool(matches(entry, pattern))
                          for (where, pattern), holds in self.patterns.items() if where == path]
                if facts:
                    found.append(z3.Implies(z3.And(self.present(path), choice == index), z3.And(facts)))
        return found

    def _account_currency(self) -> list[Any]:
        if self.target != "account" or ("currency",) not in self.leaves:
            return [] if self.target != "account" else [self._currency == self.strings.code(NO_CURRENCY)]
        column = self.leaves[("currency",)][1]
        return [z3.If(column.present, self._currency == column.value,
                      self._currency == self.strings.code(NO_CURRENCY))]

    def _text_consistency(self) -> list[Any]:
        """A text holding a phrase also holds every phrase inside it, as normalised matching sees it."""
        from compliance.evaluate.builtins import normalise

        found = []
        for (path, outer), holds in self.texts.items():
            found.append(z3.Implies(holds, self.present(path)))
            for (other_path, inner), also in self.texts.items():
                if other_path == path and inner != outer and normalise(inner) in normalise(outer):
                    found.append(z3.Implies(holds, also))
        return found

    # ---- witnesses ------------------------------------------------------------------------------
    def soft_goals(self) -> Iterator[Any]:
        """Each field that could be left out: a readable witness states as few as it can (and
        its money is in the first currency the rules name, or EUR)."""
        yield self._currency == self.strings.code(self.currency_choices[0])
        for path, variable in sorted(self.presence.items(), key=lambda item: len(item[0])):
            if path and not z3.is_true(variable) and not any(variable.eq(self.presence[path[:n]])
                                                             for n in range(len(path))):
                yield z3.Not(variable)
        yield from (v == 0 for v in self.members.values())
        yield from (v == 0 for v in self.lengths.values())
        yield from (z3.Not(v) for v in self.texts.values())

    def magnitudes(self) -> list[Any]:
        """Distances of numeric fields from zero (and dates from as_of): minimised for round values."""
        out = []
        for _path, (node, sym) in self.leaves.items():
            if node.kind in ("number", "percent", "leverage", "money"):
                out.append(z3.If(sym.value >= 0, sym.value, -sym.value))
        return out

    def document(self, model: Any, as_of: _dt.date) -> dict[str, Any]:
        """The document a model stands for, as typed values (what a loader would produce)."""
        data: dict[str, Any] = {}
        taken: list[Path] = []   # fields given a corpus entry whole
        for path in sorted(self.presence, key=len):
            if not path or not z3.is_true(model.eval(self.presence[path], model_completion=True)):
                continue
            if any(path[:len(whole)] == whole for whole in taken):
                continue
            entry = self._corpus_entry(model, path)
            if entry is not None:
                _put(data, path, entry[0])
                taken.append(path)
                continue
            node = self.field(path)
            if node.kind in ("record", "map"):
                _put(data, path, {})
            elif node.kind == "set":
                _put(data, path, [item for item in node.domain or () if (path, item) in self.members
                                  for _ in range(_int(model, self.members[(path, item)]))])
            elif node.kind == "list":
                count = _int(model, self.lengths[path]) if path in self.lengths else 0
                _put(data, path, [_placeholder(node.element, n + 1) for n in range(count)])
            elif path in self.leaves:
                _put(data, path, self._value(node, self.leaves[path][1], model, path, as_of))
            else:   # present, but no rule reads its value (``class in leverage``): any will do
                _put(data, path, self._any_value(node, model, as_of))
        return data

    def _any_value(self, node: Field, model: Any, as_of: _dt.date) -> Any:
        if node.kind == "money":
            code = model.eval(self._currency, model_completion=True).as_long()
            return Money(Decimal(0), self.strings.text(code))
        plain = {"number": Decimal(0), "percent": Percent(Decimal(0)), "leverage": Leverage(Decimal(1)),
                 "date": as_of, "duration": Duration(0, "days"), "bool": False}
        if node.kind in plain:
            return plain[node.kind]
        return node.domain[0] if node.domain else "-"

    def _corpus_entry(self, model: Any, path: Path) -> tuple[Any] | None:
        if path not in self.choices:
            return None
        index = _int(model, self.choices[path])
        entries = self.corpus_of(path)
        return (entries[index],) if index < len(entries) else None

    def _value(self, node: Field, sym: Sym, model: Any, path: Path, as_of: _dt.date) -> Any:
        value = model.eval(sym.value, model_completion=True)
        if node.kind == "bool":
            return z3.is_true(value)
        if node.kind == "date":
            return _dt.date.fromordinal(value.as_long())
        if node.kind == "duration":
            months = z3.is_true(model.eval(sym.months, model_completion=True))
            return Duration(value.as_long(), "months" if months else "days")
        if node.kind == "string":
            if path in self.text_lengths:
                size = _int(model, self.text_lengths[path])
                return ("x" * size) if size < 40 else "x" * 40
            if any(p == path for p, _phrase in self.texts) or any(p == path for p, _ in self.patterns):
                return self._text(model, path)
            return self.strings.text(value.as_long())
        number = _decimal(value)
        if node.kind == "percent":
            return Percent(number)
        if node.kind == "leverage":
            return Leverage(number)
        if node.kind == "money":
            code = model.eval(self._currency, model_completion=True).as_long()
            return Money(number, self.strings.text(code))
        return int(number) if node.integer else number

    def _text(self, model: Any, path: Path) -> str:
        phrases = [phrase for (p, phrase), holds in self.texts.items()
                   if p == path and z3.is_true(model.eval(holds, model_completion=True))]
        return " / ".join(phrases) if phrases else "-"


def _int(model: Any, variable: Any) -> int:
    return int(model.eval(variable, model_completion=True).as_long())


def _placeholder(element: Field | None, number: int) -> Any:
    """An item of a list no rule looks into: its required keys, with plain texts."""
    if element is None or element.kind != "record":
        return f"item {number}"
    return {name: f"item {number}" for name, spec in element.children.items() if spec.required}


def _decimal(value: Any) -> Decimal:
    """A z3 rational as an exact Decimal (a witness is built on a decimal grid, see witness.py)."""
    if z3.is_int_value(value):
        return Decimal(value.as_long())
    fraction = Fraction(value.numerator_as_long(), value.denominator_as_long())
    quotient = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return quotient.normalize() if quotient == quotient.to_integral_value() else quotient


def _put(data: dict[str, Any], path: Path, value: Any) -> None:
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _name(path: Path) -> str:
    return ".".join(path)
