"""A regular-expression engine for untrusted patterns that cannot blow up.

The rules language has a ``matches(text, "pattern")`` predicate for prohibited claims in marketing
text. Both the rules and the contracts are untrusted, and Python's :mod:`re` backtracks: a pattern
such as ``(a+)+$`` takes exponential time on ``"aaaa…ab"``. This module compiles a pattern to a
Thompson NFA and simulates it one character at a time (the set of live states advances in lock step,
never backtracking). The simulation is memoised as a lazily built DFA whose cache is bounded and
flushed when full, so every character costs either one dictionary lookup or one NFA step of
O(number of NFA states). Time is therefore **O(len(pattern) × len(text))** in the worst case and
close to O(len(text)) in practice; memory is bounded independently of the text.

Public API
==========

``compile_safe(pattern, *, ignore_case=True) -> SafePattern``
    Parse and compile; raises :class:`RegexError` (a ``ValueError`` with ``message`` and a 0-based
    ``offset`` into the pattern) for anything unsupported or malformed.
``SafePattern.search(text) -> bool``
    Unanchored search: does the pattern match anywhere in ``text``.
``SafePattern.find(text) -> tuple[int, int] | None``
    ``(start, end)`` of the **leftmost-longest** match (POSIX semantics): the smallest start at which
    any match begins, and for that start the largest end. The start is the same one ``re.search``
    reports; the end may be later than Python's leftmost-first choice (``a|ab`` on ``"ab"`` gives
    ``(0, 2)`` here, ``(0, 1)`` in ``re``).
``SafePattern.pattern`` / ``SafePattern.ignore_case``
    The source text and the flag it was compiled with.

Supported syntax
================

* Literal characters: any Unicode character (CJK included) other than the metacharacters
  ``\\ . ^ $ | ? * + ( ) [ {``. A lone ``]`` or ``}`` is a literal, as in Python.
* Escapes: a backslash before any non-alphanumeric character makes it literal (``\\.`` ``\\\\``
  ``\\(`` ``\\[`` ``\\{`` ``\\*`` …, also ``\\中``). Control escapes ``\\n \\t \\r \\f \\v``, code points
  ``\\xhh``, ``\\uhhhh``, ``\\Uhhhhhhhh``.
* Classes of characters: ``\\d`` (``str.isdecimal``, the same set as Python's ``re``), ``\\w``
  (``str.isalnum()`` or ``_``), ``\\s`` (``str.isspace``) and their negations ``\\D \\W \\S``;
  ``.`` is any character except ``\\n``.
* Character sets: ``[abc]``, ranges ``[a-z]``, negation ``[^...]``, escapes and ``\\d \\w \\s \\D \\W \\S``
  inside sets; ``]`` first in the set and ``-`` first or last are literals, as in Python.
* Groups ``( ... )`` and ``(?: ... )`` — both only group; no captures are reported.
* Alternation ``|`` (empty alternatives allowed).
* Quantifiers ``*  +  ?  {m}  {m,}  {m,n}  {,n}`` with bounds at most 100; the lazy forms ``*? +? ??
  {m,n}?`` are accepted and mean the same thing (only match / no match and the leftmost-longest
  span are reported, so laziness makes no difference).
* Anchors: ``^`` / ``\\A`` start of text, ``$`` / ``\\Z`` end of text (not before a trailing newline,
  unlike Python's ``$``; there is no multi-line mode), ``\\b`` word boundary and ``\\B`` its negation,
  with word characters as for ``\\w``. ``\\B`` matches the empty text (as in Python 3.14; older
  Pythons' ``re`` never match ``\\B`` against an empty string).

Rejected with :class:`RegexError` (the offset points at the start of the offending construct):
backreferences ``\\1`` ``(?P=name)``, octal ``\\0``, unknown letter escapes, lookahead / lookbehind
``(?=`` ``(?!`` ``(?<=`` ``(?<!``, named groups, inline flags ``(?i)``, comments ``(?#``, atomic
groups, conditionals, possessive quantifiers ``*+``, a repeated quantifier ``a**``, a quantifier
with nothing to repeat (also on an anchor: ``^*``), a ``{`` that does not begin a valid repetition
(write ``\\{``), unbalanced parentheses or brackets, bad ranges ``[z-a]`` or ``[a-\\d]``,
``{m,n}`` with ``m > n`` or a bound above 100, ``\\b`` inside a set, groups nested more than
100 deep, a pattern longer than 1,000 characters, and a pattern whose NFA (after expanding every
``{m,n}`` into copies) would exceed 10,000 states.

Case-insensitive matching (the default)
=======================================

Each character is folded on its own with ``str.casefold()``; where that produces more than one
character (``ß`` → ``ss``) the single-character ``str.lower()`` is used instead, so matching stays
one character against one character (``ß`` matches ``ẞ`` but not ``ss``, as in Python's ``re``).
A set matches a character if it contains the character itself or any of its single-character
casefold, lower-case or upper-case forms; so ``[a-z]`` matches ``Q`` and ``[^a-z]`` does not.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache

__all__ = ["RegexError", "SafePattern", "compile_safe", "MAX_PATTERN_LENGTH", "MAX_NFA_STATES",
           "MAX_REPEAT"]

MAX_PATTERN_LENGTH = 1000
# Kept low: the cost per character grows with the states active at once, so this caps the worst
# case of a hostile pattern (about 50 microseconds per character at the limit).
MAX_NFA_STATES = 2_000
MAX_REPEAT = 100
MAX_NESTING = 100

# Bounds of the lazily built DFA of one compiled pattern; when reached the cache is flushed.
_MAX_DFA_STATES = 2_000
_MAX_DFA_WEIGHT = 500_000      # NFA states held by cached DFA states, plus cached transitions


class RegexError(ValueError):
    """A pattern that is malformed or uses a construct this engine does not support."""

    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset


# --------------------------------------------------------------------------------------------
# Character predicates
# --------------------------------------------------------------------------------------------

def _fold(c: str) -> str:
    """Single-character case folding (see the module docstring)."""
    f = c.casefold()
    if len(f) == 1:
        return f
    f = c.lower()
    return f if len(f) == 1 else c


def _variants(c: str) -> set[str]:
    out = {c, _fold(c)}
    for v in (c.lower(), c.upper()):
        if len(v) == 1:
            out.add(v)
    return out


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _is_digit(c: str) -> bool:
    return c.isdecimal()


def _is_space(c: str) -> bool:
    return c.isspace()


def _not_newline(c: str) -> bool:
    return c != "\n"


_CATEGORIES: dict[str, tuple[Callable[[str], bool], bool]] = {
    "d": (_is_digit, False), "D": (_is_digit, True),
    "w": (_is_word, False), "W": (_is_word, True),
    "s": (_is_space, False), "S": (_is_space, True),
}

_CONTROL_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}


class _CharSet:
    """A bracketed set or a ``\\d``-style category; callable on one character."""

    __slots__ = ("chars", "ranges", "cats", "negated", "ignore_case")

    def __init__(self, chars, ranges, cats, negated, ignore_case):
        self.chars = frozenset(chars)
        self.ranges = tuple(ranges)
        self.cats = tuple(cats)
        self.negated = negated
        self.ignore_case = ignore_case

    def _raw(self, c: str) -> bool:
        if c in self.chars:
            return True
        for lo, hi in self.ranges:
            if lo <= c <= hi:
                return True
        for fn, neg in self.cats:
            if fn(c) != neg:
                return True
        return False

    def __call__(self, c: str) -> bool:
        if self.ignore_case:
            hit = any(self._raw(v) for v in _variants(c))
        else:
            hit = self._raw(c)
        return hit != self.negated


# --------------------------------------------------------------------------------------------
# Parser → AST
# --------------------------------------------------------------------------------------------

# Node kinds
_LIT, _PRED, _ASSERT, _EMPTY, _CAT, _ALT, _REP = range(7)
# Assertion kinds
_BEGIN, _END, _WORDB, _NWORDB = range(4)


class _Node:
    __slots__ = ("kind", "pos", "size", "a", "b", "c")

    def __init__(self, kind, pos, size, a=None, b=None, c=None):
        self.kind = kind
        self.pos = pos
        self.size = size      # number of NFA states this node compiles to
        self.a = a            # LIT: folded char; PRED: callable; ASSERT: kind; CAT/ALT: children; REP: child
        self.b = b            # REP: min
        self.c = c            # REP: max or None


def _too_big(offset: int) -> RegexError:
    return RegexError(f"pattern too complex: its automaton would exceed {MAX_NFA_STATES} states "
                      "(reduce {m,n} bounds or nesting of repetitions)", offset)


class _Parser:
    def __init__(self, pattern: str, ignore_case: bool):
        self.p = pattern
        self.n = len(pattern)
        self.i = 0
        self.ic = ignore_case
        self.depth = 0

    # -- structure --------------------------------------------------------------------------
    def parse(self) -> _Node:
        node = self.alt()
        if self.i < self.n:  # only a ')' stops alt() early
            raise RegexError("unbalanced parenthesis: ')' without a matching '('", self.i)
        if node.size + 1 > MAX_NFA_STATES:
            raise _too_big(0)
        return node

    def alt(self) -> _Node:
        start = self.i
        branches = [self.concat()]
        while self.i < self.n and self.p[self.i] == "|":
            self.i += 1
            branches.append(self.concat())
        if len(branches) == 1:
            return branches[0]
        size = sum(b.size for b in branches) + 1
        if size + 1 > MAX_NFA_STATES:
            raise _too_big(start)
        return _Node(_ALT, start, size, branches)

    def concat(self) -> _Node:
        start = self.i
        items: list[_Node] = []
        size = 0
        while self.i < self.n and self.p[self.i] not in "|)":
            item = self.quantified()
            size += item.size
            if size + 1 > MAX_NFA_STATES:
                raise _too_big(item.pos)
            items.append(item)
        if not items:
            return _Node(_EMPTY, start, 0)
        if len(items) == 1:
            return items[0]
        return _Node(_CAT, start, size, items)

    def quantified(self) -> _Node:
        start = self.i
        grouped = self.p[start] == "("
        atom = self.atom()
        q = self.quantifier()
        if q is None:
            return atom
        qpos, m, n = q
        if atom.kind == _ASSERT and not grouped:  # '^*' is an error, '(?:^)*' is not (as in re)
            raise RegexError("nothing to repeat: an anchor or word boundary cannot be quantified", qpos)
        if self.i < self.n and self.p[self.i] == "?":
            self.i += 1  # lazy: same meaning here
        elif self.i < self.n and self.p[self.i] == "+":
            raise RegexError("possessive quantifiers are not supported", self.i)
        if self.i < self.n and (self.p[self.i] in "*+?" or self._quantifier_at(self.i) is not None):
            raise RegexError("multiple repeat: a quantifier cannot follow another quantifier", self.i)
        s = atom.size
        if n is None:
            size = s + 1 if m == 0 else m * s + 1
        else:
            size = m * s + (n - m) * (s + 1)
        if size + 1 > MAX_NFA_STATES:
            raise _too_big(qpos)
        return _Node(_REP, start, size, atom, m, n)

    def _quantifier_at(self, i: int):
        """Parse ``{m}``, ``{m,}``, ``{,n}``, ``{m,n}`` at ``i``; None if it is not one."""
        p, n = self.p, self.n
        if i >= n or p[i] != "{":
            return None
        j = i + 1
        k = j
        while k < n and p[k].isascii() and p[k].isdigit():
            k += 1
        lo_txt, lo_pos = p[j:k], j
        hi_txt, hi_pos, comma = None, None, False
        if k < n and p[k] == ",":
            comma = True
            k += 1
            h = k
            while k < n and p[k].isascii() and p[k].isdigit():
                k += 1
            hi_txt, hi_pos = p[h:k], h
        if k >= n or p[k] != "}":
            return None
        if not lo_txt and not (comma and hi_txt):
            return None
        return (k + 1, lo_txt, lo_pos, comma, hi_txt, hi_pos)

    def quantifier(self):
        if self.i >= self.n:
            return None
        ch = self.p[self.i]
        pos = self.i
        if ch in "*+?":
            self.i += 1
            return pos, (0 if ch != "+" else 1), (None if ch != "?" else 1)
        if ch != "{":
            return None
        q = self._quantifier_at(pos)
        if q is None:
            raise RegexError("'{' must begin a repetition {m}, {m,} or {m,n}; write \\{ for a "
                             "literal brace", pos)
        end, lo_txt, lo_pos, comma, hi_txt, hi_pos = q
        lo = int(lo_txt) if lo_txt else 0
        if lo > MAX_REPEAT:
            raise RegexError(f"repetition bound {lo} is above the limit of {MAX_REPEAT}", lo_pos)
        if not comma:
            hi = lo
        elif hi_txt:
            hi = int(hi_txt)
            if hi > MAX_REPEAT:
                raise RegexError(f"repetition bound {hi} is above the limit of {MAX_REPEAT}", hi_pos)
            if lo > hi:
                raise RegexError(f"bad repetition {{{lo},{hi}}}: minimum greater than maximum", pos)
        else:
            hi = None
        self.i = end
        return pos, lo, hi

    def atom(self) -> _Node:
        p = self.p
        pos = self.i
        ch = p[pos]
        if ch == "(":
            return self.group()
        if ch == "[":
            return self.charset()
        if ch == "\\":
            return self.escape()
        if ch in "*+?":
            raise RegexError(f"nothing to repeat: '{ch}' must follow a character, set or group", pos)
        if ch == "{":
            if self._quantifier_at(pos) is not None:
                raise RegexError("nothing to repeat: '{' repetition must follow a character, set "
                                 "or group", pos)
            raise RegexError("'{' must begin a repetition {m}, {m,} or {m,n}; write \\{ for a "
                             "literal brace", pos)
        self.i += 1
        if ch == ".":
            return _Node(_PRED, pos, 1, _not_newline)
        if ch == "^":
            return _Node(_ASSERT, pos, 1, _BEGIN)
        if ch == "$":
            return _Node(_ASSERT, pos, 1, _END)
        return self._lit(ch, pos)

    def _lit(self, ch: str, pos: int) -> _Node:
        return _Node(_LIT, pos, 1, _fold(ch) if self.ic else ch)

    def group(self) -> _Node:
        p, n = self.p, self.n
        pos = self.i
        self.i += 1
        if self.i < n and p[self.i] == "?":
            nxt = p[self.i + 1:self.i + 3]
            if nxt[:1] == ":":
                self.i += 2
            else:
                raise RegexError(self._extension_message(nxt), pos)
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise RegexError(f"groups nested more than {MAX_NESTING} deep", pos)
        inner = self.alt()
        self.depth -= 1
        if self.i >= n or p[self.i] != ")":
            raise RegexError("missing ')': unterminated group", pos)
        self.i += 1
        if inner.kind == _EMPTY:
            return _Node(_EMPTY, pos, 0)
        inner.pos = pos  # errors about the group point at its '('
        return inner

    @staticmethod
    def _extension_message(nxt: str) -> str:
        if nxt[:1] == "=":
            return "lookahead (?=...) is not supported"
        if nxt[:1] == "!":
            return "negative lookahead (?!...) is not supported"
        if nxt == "<=":
            return "lookbehind (?<=...) is not supported"
        if nxt == "<!":
            return "negative lookbehind (?<!...) is not supported"
        if nxt == "P=":
            return "named backreferences (?P=name) are not supported"
        if nxt[:1] == "P" or nxt[:1] == "<":
            return "named groups are not supported; use (...) or (?:...)"
        if nxt[:1] == "#":
            return "comments (?#...) are not supported"
        if nxt[:1] == ">":
            return "atomic groups (?>...) are not supported"
        if nxt[:1] == "(":
            return "conditional groups (?(...)...) are not supported"
        if nxt[:1] and (nxt[:1] in "aiLmsux-"):
            return "inline flags such as (?i) are not supported"
        return "unknown group extension '(?'; only (...) and (?:...) are supported"

    def escape(self) -> _Node:
        p, n = self.p, self.n
        pos = self.i
        if pos + 1 >= n:
            raise RegexError("pattern ends with a lone backslash", pos)
        e = p[pos + 1]
        self.i = pos + 2
        if e in _CATEGORIES:
            fn, neg = _CATEGORIES[e]
            return _Node(_PRED, pos, 1, _CharSet((), (), [(fn, neg)], False, False))
        if e == "b":
            return _Node(_ASSERT, pos, 1, _WORDB)
        if e == "B":
            return _Node(_ASSERT, pos, 1, _NWORDB)
        if e == "A":
            return _Node(_ASSERT, pos, 1, _BEGIN)
        if e == "Z":
            return _Node(_ASSERT, pos, 1, _END)
        return self._lit(self._char_escape(pos, in_set=False), pos)

    def _char_escape(self, pos: int, in_set: bool) -> str:
        """The character of a non-class escape at ``pos`` (``self.i`` already past ``\\e``)."""
        p = self.p
        e = p[pos + 1]
        if e in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[e]
        if e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = p[pos + 2:pos + 2 + width]
            if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise RegexError(f"bad escape \\{e}: expected {width} hexadecimal digits", pos)
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise RegexError(f"bad escape \\{e}{digits}: not a Unicode code point", pos)
            self.i = pos + 2 + width
            return chr(code)
        if e in "123456789":
            raise RegexError("backreferences such as \\1 are not supported", pos)
        if e == "0":
            raise RegexError("octal escapes are not supported; use \\xhh", pos)
        if in_set and e in "bBAZ":
            raise RegexError(f"\\{e} is not allowed inside a character set", pos)
        if e.isascii() and e.isalnum():
            raise RegexError(f"unknown escape \\{e}", pos)
        return e

    def charset(self) -> _Node:
        p, n = self.p, self.n
        start = self.i
        i = start + 1
        negated = False
        if i < n and p[i] == "^":
            negated = True
            i += 1
        chars: set[str] = set()
        ranges: list[tuple[str, str]] = []
        cats: list[tuple[Callable[[str], bool], bool]] = []
        first = True
        while True:
            if i >= n:
                raise RegexError("unterminated character set: missing ']'", start)
            if p[i] == "]" and not first:
                i += 1
                break
            first = False
            el_pos = i
            lo, i = self._set_item(i, start)
            if i + 1 < n and p[i] == "-" and p[i + 1] != "]":
                hi, i = self._set_item(i + 1, start)
                if not isinstance(lo, str) or not isinstance(hi, str):
                    raise RegexError(f"bad character range {p[el_pos:i]}", el_pos)
                if lo > hi:
                    raise RegexError(f"bad character range {p[el_pos:i]}: start is after end", el_pos)
                ranges.append((lo, hi))
            elif isinstance(lo, str):
                chars.add(lo)
            else:
                cats.append(lo)
        self.i = i
        return _Node(_PRED, start, 1, _CharSet(chars, ranges, cats, negated, self.ic))

    def _set_item(self, i: int, set_start: int):
        """One element of a set at ``i``: a character or a (fn, negated) category; returns it and
        the index after it."""
        p, n = self.p, self.n
        ch = p[i]
        if ch != "\\":
            return ch, i + 1
        if i + 1 >= n:
            raise RegexError("unterminated character set: missing ']'", set_start)
        e = p[i + 1]
        if e in _CATEGORIES:
            return _CATEGORIES[e], i + 2
        self.i = i + 2
        c = self._char_escape(i, in_set=True)
        return c, self.i


# --------------------------------------------------------------------------------------------
# NFA
# --------------------------------------------------------------------------------------------

_OP_LIT, _OP_PRED, _OP_SPLIT, _OP_ASSERT, _OP_MATCH = range(5)

# Context of a position: what precedes it and what follows it.
_AT_EDGE, _WORD, _OTHER = 0, 1, 2


def _kind(c: str) -> int:
    return _WORD if (c.isalnum() or c == "_") else _OTHER


class _Prog:
    """A Thompson NFA: states are integers indexing parallel lists."""

    def __init__(self):
        self.op: list[int] = []
        self.arg: list = []
        self.out: list = []       # next state, or a tuple of states for SPLIT
        self.start = -1

    def new(self, op, arg, out) -> int:
        self.op.append(op)
        self.arg.append(arg)
        self.out.append(out)
        return len(self.op) - 1

    def emit(self, node: _Node, nxt: int) -> int:
        """States for ``node`` followed by state ``nxt``; returns the entry state."""
        k = node.kind
        if k == _LIT:
            return self.new(_OP_LIT, node.a, nxt)
        if k == _PRED:
            return self.new(_OP_PRED, node.a, nxt)
        if k == _ASSERT:
            return self.new(_OP_ASSERT, node.a, nxt)
        if k == _EMPTY:
            return nxt
        if k == _CAT:
            for child in reversed(node.a):
                nxt = self.emit(child, nxt)
            return nxt
        if k == _ALT:
            return self.new(_OP_SPLIT, None, tuple(self.emit(c, nxt) for c in node.a))
        # _REP
        child, m, n = node.a, node.b, node.c
        if n is None:
            loop = self.new(_OP_SPLIT, None, None)
            body = self.emit(child, loop)
            self.out[loop] = (body, nxt)
            entry = loop if m == 0 else body
            for _ in range(max(m - 1, 0)):
                entry = self.emit(child, entry)
            return entry
        tail = nxt
        for _ in range(n - m):    # x(x(x)?)? built from the back
            body = self.emit(child, tail)
            tail = self.new(_OP_SPLIT, None, (body, nxt))
        for _ in range(m):
            tail = self.emit(child, tail)
        return tail


def _reverse(node: _Node) -> _Node:
    """The AST matching the reversed language (anchors ``^`` and ``$`` swap)."""
    k = node.kind
    if k == _CAT:
        return _Node(_CAT, node.pos, node.size, [_reverse(c) for c in reversed(node.a)])
    if k == _ALT:
        return _Node(_ALT, node.pos, node.size, [_reverse(c) for c in node.a])
    if k == _REP:
        return _Node(_REP, node.pos, node.size, _reverse(node.a), node.b, node.c)
    if k == _ASSERT and node.a in (_BEGIN, _END):
        return _Node(_ASSERT, node.pos, 1, _END if node.a == _BEGIN else _BEGIN)
    return node


def _build(node: _Node) -> _Prog:
    prog = _Prog()
    match = prog.new(_OP_MATCH, None, None)
    prog.start = prog.emit(node, match)
    return prog


# --------------------------------------------------------------------------------------------
# Lazily built DFA over the NFA
# --------------------------------------------------------------------------------------------

class _Tables:
    """One generation of the DFA cache. A flush starts a new generation instead of clearing this
    one, so a scan in another thread that still holds the old generation stays consistent."""

    __slots__ = ("keys", "ids", "trans", "end_acc", "weight")

    def __init__(self):
        self.keys: list = [None]          # id -> (core, prev); id 0 is the dead state
        self.ids: dict = {}
        self.trans: list[dict] = [{}]     # id -> {char: next_id << 1 | matched}
        self.end_acc: list = [False]
        self.weight = 0                   # cached NFA states + transitions, for the bound


class _DFA:
    """Subset construction on demand. A DFA state is (frozenset of NFA states waiting to consume a
    character, context of the previous character). A transition on ``c`` is coded as
    ``next_id << 1 | matched``, where ``matched`` says the NFA accepted at the position *before*
    ``c`` (acceptance depends on ``c`` through ``$`` and ``\\b``). State 0 is dead.
    """

    def __init__(self, prog: _Prog, ignore_case: bool, restart: bool, restart_after_start: bool):
        self.prog = prog
        self.ic = ignore_case
        self.restart = restart                    # unanchored: re-enter the start at every position
        self.restart_after_start = restart_after_start
        self.lock = threading.Lock()
        self.tab = _Tables()

    def _intern(self, tab: _Tables, core: frozenset, prev: int) -> int:
        if not core and (not self.restart or (prev != _AT_EDGE and not self.restart_after_start)):
            return 0
        key = (core, prev)
        sid = tab.ids.get(key)
        if sid is None:
            sid = len(tab.keys)
            tab.keys.append(key)
            tab.ids[key] = sid
            tab.trans.append({})
            tab.end_acc.append(None)
            tab.weight += len(core) + 1
        return sid

    def initial(self, prev: int) -> tuple[_Tables, int]:
        with self.lock:
            tab = self.tab
            core = frozenset() if self.restart else frozenset((self.prog.start,))
            return tab, self._intern(tab, core, prev)

    def _closure(self, core, prev: int, nxt: int):
        prog = self.prog
        op, arg, out = prog.op, prog.arg, prog.out
        stack = list(core)
        if self.restart:
            stack.append(prog.start)
        seen = set()
        consumers = []
        matched = False
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            o = op[s]
            if o == _OP_SPLIT:
                stack.extend(out[s])
            elif o == _OP_ASSERT:
                a = arg[s]
                if a == _BEGIN:
                    ok = prev == _AT_EDGE
                elif a == _END:
                    ok = nxt == _AT_EDGE
                elif a == _WORDB:
                    ok = (prev == _WORD) != (nxt == _WORD)
                else:
                    ok = (prev == _WORD) == (nxt == _WORD)
                if ok:
                    stack.append(out[s])
            elif o == _OP_MATCH:
                matched = True
            else:
                consumers.append(s)
        return consumers, matched

    def step(self, tab: _Tables, sid: int, c: str) -> tuple[_Tables, int]:
        """Transition of state ``sid`` of generation ``tab`` on ``c``: one NFA step, cached.
        Returns the current generation and the transition code (whose id is in that generation)."""
        core, prev = tab.keys[sid]
        ck = _kind(c)
        consumers, matched = self._closure(core, prev, ck)
        prog = self.prog
        op, arg, out = prog.op, prog.arg, prog.out
        fc = _fold(c) if self.ic else c
        nxt = set()
        for s in consumers:
            if (fc == arg[s]) if op[s] == _OP_LIT else arg[s](c):
                nxt.add(out[s])
        core2 = frozenset(nxt)
        with self.lock:
            cur = self.tab
            if len(cur.keys) >= _MAX_DFA_STATES or cur.weight >= _MAX_DFA_WEIGHT:
                cur = self.tab = _Tables()
            nid = self._intern(cur, core2, ck)
            code = nid << 1 | matched
            if cur is tab:
                tab.trans[sid][c] = code
                tab.weight += 1
            return cur, code

    def accepts_at_end(self, tab: _Tables, sid: int) -> bool:
        if sid == 0:
            return False
        acc = tab.end_acc[sid]
        if acc is None:
            core, prev = tab.keys[sid]
            acc = self._closure(core, prev, _AT_EDGE)[1]
            tab.end_acc[sid] = acc
        return acc


def _can_start_midtext(prog: _Prog) -> bool:
    """Whether a match can begin at a position other than the start of the text (False when every
    path through the pattern begins with ``^``)."""
    probe = _DFA(prog, False, False, False)
    core = frozenset((prog.start,))
    for prev in (_WORD, _OTHER):
        for nxt in (_AT_EDGE, _WORD, _OTHER):
            consumers, matched = probe._closure(core, prev, nxt)
            if consumers or matched:
                return True
    return False


# --------------------------------------------------------------------------------------------
# Public pattern object
# --------------------------------------------------------------------------------------------

class SafePattern:
    """A compiled pattern; see the module docstring. Safe to share between threads."""

    __slots__ = ("pattern", "ignore_case", "_fwd", "_rev", "_anchored")

    def __init__(self, pattern: str, ignore_case: bool, ast: _Node):
        self.pattern = pattern
        self.ignore_case = ignore_case
        fwd = _build(ast)
        rev = _build(_reverse(ast))
        mid_f = _can_start_midtext(fwd)
        mid_r = _can_start_midtext(rev)
        self._fwd = _DFA(fwd, ignore_case, True, mid_f)          # unanchored forward search
        self._rev = _DFA(rev, ignore_case, True, mid_r)          # unanchored backward search
        self._anchored = _DFA(fwd, ignore_case, False, False)    # match starting at one position

    def __repr__(self) -> str:
        return f"compile_safe({self.pattern!r}, ignore_case={self.ignore_case})"

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text``."""
        dfa = self._fwd
        tab, sid = dfa.initial(_AT_EDGE)
        trans = tab.trans
        for c in text:
            if not sid:
                return False
            code = trans[sid].get(c)
            if code is None:
                tab, code = dfa.step(tab, sid, c)
                trans = tab.trans
            if code & 1:
                return True
            sid = code >> 1
        return dfa.accepts_at_end(tab, sid)

    def find(self, text: str) -> tuple[int, int] | None:
        """``(start, end)`` of the leftmost-longest match, or None."""
        # 1. Scan the reversed text with the reversed pattern: every accepting position is the
        #    start of some match; the last one seen is the leftmost start.
        n = len(text)
        dfa = self._rev
        tab, sid = dfa.initial(_AT_EDGE)
        trans = tab.trans
        best = -1
        j = 0
        for c in reversed(text):
            if not sid:
                break
            code = trans[sid].get(c)
            if code is None:
                tab, code = dfa.step(tab, sid, c)
                trans = tab.trans
            if code & 1:
                best = j
            sid = code >> 1
            j += 1
        else:
            if dfa.accepts_at_end(tab, sid):
                best = n
        if best < 0:
            return None
        start = n - best
        # 2. From that start, run the anchored forward automaton until it dies: the last accepting
        #    position is the longest end.
        dfa = self._anchored
        tab, sid = dfa.initial(_AT_EDGE if start == 0 else _kind(text[start - 1]))
        trans = tab.trans
        end = -1
        for i in range(start, n):
            if not sid:
                break
            c = text[i]
            code = trans[sid].get(c)
            if code is None:
                tab, code = dfa.step(tab, sid, c)
                trans = tab.trans
            if code & 1:
                end = i
            sid = code >> 1
        else:
            if dfa.accepts_at_end(tab, sid):
                end = n
        if end < 0:  # cannot happen: step 1 proved that a match starts here
            raise AssertionError("saferegex: forward and backward scans disagree")
        return start, end


@lru_cache(maxsize=512)
def _compile_cached(pattern: str, ignore_case: bool) -> SafePattern:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"pattern is longer than {MAX_PATTERN_LENGTH} characters",
                         MAX_PATTERN_LENGTH)
    ast = _Parser(pattern, ignore_case).parse()
    return SafePattern(pattern, ignore_case, ast)


def compile_safe(pattern: str, *, ignore_case: bool = True) -> SafePattern:
    """Compile ``pattern`` (see the module docstring for the syntax) or raise :class:`RegexError`."""
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a str, not {type(pattern).__name__}")
    return _compile_cached(pattern, bool(ignore_case))
