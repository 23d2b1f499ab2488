"""Where words stand in a text: sentences, distances in words, and the scope of negation and of
warning frames, shared by the claims analyser and the contradiction detectors.

Distances are counted in *units*: one per Latin word or number, one half per Chinese character
(a Chinese word is about two characters), so one window fits both languages.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property

from compliance.text.normalise import Normalised, is_cjk
from compliance.text.vocabulary import Token

_SENTENCE_ENDS = frozenset("!?;。！？；\n")
NEGATION_SCOPE = 8.0        # units a verbal negation reaches ahead ("do not, in any way, guarantee")
SHORT_NEGATION_SCOPE = 1.5  # "no" reaches the next word: "no guarantee", not "no fees, guaranteed"
_NEGATORS = ("negation", "negation_short", "none_after")


class Scope:
    """A normalised text with its tokens, sentences and word distances (a plain class: it only
    serves one analysis, and keeps its derived tables as cached properties)."""

    def __init__(self, normalised: Normalised, tokens: tuple[Token, ...]):
        self.normalised = normalised
        self.tokens = tokens

    @cached_property
    def _units(self) -> tuple[float, ...]:
        text = self.normalised.text
        out = [0.0]
        total = 0.0
        for index, char in enumerate(text):
            if is_cjk(char):
                total += 0.5
            elif char.isalnum() and (index == 0 or not text[index - 1].isalnum()
                                     or is_cjk(text[index - 1])):
                total += 1.0
            out.append(total)
        return tuple(out)

    def _segments(self, questions_end: bool) -> tuple[int, ...]:
        """The segment of each character: sentences, or (``questions_end`` False) passages in
        which a question runs on into its answer ("Lost money? We refund it.")."""
        text = self.normalised.text
        out, segment = [], 0
        for index, char in enumerate(text):
            out.append(segment)
            if (char in _SENTENCE_ENDS and (questions_end or char not in "?？")) or (
                    char == "." and (index + 1 == len(text) or not text[index + 1].isalnum())):
                segment += 1
        out.append(segment)
        return tuple(out)

    @cached_property
    def _sentence_of(self) -> tuple[int, ...]:
        return self._segments(questions_end=True)

    @cached_property
    def _passage_of(self) -> tuple[int, ...]:
        return self._segments(questions_end=False)

    def same_passage(self, left: Token, right: Token) -> bool:
        return self._passage_of[left.start] == self._passage_of[right.start]

    def sentence(self, position: int) -> int:
        return self._sentence_of[min(position, len(self._sentence_of) - 1)]

    def gap(self, left: Token, right: Token) -> float:
        """Units between the end of ``left`` and the start of ``right`` (0 when they touch)."""
        if right.start < left.end:
            left, right = right, left
        return max(0.0, self._units[right.start] - self._units[left.end])

    def same_sentence(self, left: Token, right: Token) -> bool:
        return self.sentence(left.start) == self.sentence(right.start)

    def sentence_tokens(self, token: Token) -> list[Token]:
        wanted = self.sentence(token.start)
        return [t for t in self.tokens if self.sentence(t.start) == wanted]

    def between(self, left: Token, right: Token, families: Iterable[str]) -> list[Token]:
        if right.start < left.start:
            left, right = right, left
        wanted = set(families)
        return [t for t in self.tokens if t.family in wanted and left.end <= t.start and t.end <= right.start]

    def nearest(self, anchor: Token, families: Iterable[str], window: float,
                exclude: Sequence[Token] = (), across_questions: bool = False) -> Token | None:
        """The closest token of ``families`` in the anchor's sentence (or, ``across_questions``,
        its question and answer) within ``window`` units, either side, with no contrast word
        ("but", 但是) in between."""
        wanted = set(families)
        best: tuple[float, int, Token] | None = None
        pool = ([t for t in self.tokens if self.same_passage(t, anchor)] if across_questions
                else self.sentence_tokens(anchor))
        for token in pool:
            if token.family not in wanted or token == anchor or token in exclude:
                continue
            distance = self.gap(anchor, token)
            if distance > window or self.between(anchor, token, ("contrast",)):
                continue
            key = (distance, 0 if token.start > anchor.start else 1, token)
            if best is None or key[:2] < best[:2]:
                best = key
        return best[2] if best else None

    def negator_before(self, head: Token, consumed: Sequence[Token] = (),
                       stop: Token | None = None) -> Token | None:
        """The negation whose scope reaches ``head``, looking back through its sentence; tokens
        that belong to another construct ("no" of "no risk") do not count."""
        sentence = self.sentence(head.start)
        for token in reversed([t for t in self.tokens if t.end <= head.start]):
            if self.sentence(token.start) != sentence or token is stop:
                return None
            if token.family == "contrast":
                return None
            if token.family == "self_subject" and self._after_clause_break(token):
                return None   # "客户未能清偿欠款的，本公司可…": the firm's clause is not negated
            if token.family not in _NEGATORS or token in consumed:
                continue
            if any(mark in self.normalised.text[token.end:head.start] for mark in ":："):
                return None   # "Lose nothing: any loss is paid back": a colon opens a new statement
            reach = NEGATION_SCOPE
            if token.family == "negation_short" and not self._opens_clause(token, head):
                reach = SHORT_NEGATION_SCOPE
            if self.gap(token, head) <= reach:
                return token
        return None

    def _after_clause_break(self, token: Token) -> bool:
        before = self.normalised.text[:token.start].rstrip()
        return bool(before) and before[-1] in ",;:，；："

    def _opens_clause(self, token: Token, head: Token) -> bool:
        """"No investment is risk-free": a "no" that opens its clause denies the whole clause,
        up to the next comma."""
        text = self.normalised.text
        before = text[:token.start].rstrip()
        opens = not before or before[-1] in ",.;:!?。，；：！？\"'(" or self.sentence(len(before) - 1) != self.sentence(token.start)
        return opens and not any(mark in text[token.end:head.start] for mark in ",;:")

    def frame_over(self, tokens: Sequence[Token]) -> Token | None:
        """A warning or quotation frame in the same sentence ("beware of firms that ...", 警惕),
        unless the firm speaks for itself after it ("unlike scam brokers, we guarantee ...")."""
        first = min(tokens, key=lambda t: t.start)
        sentence = self.sentence(first.start)
        for cue in self.tokens:
            if cue.family != "frame" or self.sentence(cue.start) != sentence:
                continue
            if self._cue_denied(cue):
                continue
            if cue.start < first.start and self._self_clause_between(cue, first):
                continue
            return cue
        return None

    def _cue_denied(self, cue: Token) -> bool:
        """"No scams, no tricks": a denied warning word frames nothing."""
        before = [t for t in self.tokens if t.end <= cue.start and self.sentence(t.start) == self.sentence(cue.start)]
        return bool(before) and before[-1].family in _NEGATORS and self.gap(before[-1], cue) <= 1.0

    def _self_clause_between(self, cue: Token, first: Token) -> bool:
        text = self.normalised.text
        for subject in self.between(cue, first, ("self_subject",)):
            stretch = text[cue.end:subject.start]
            if any(mark in stretch for mark in ",:-、"):
                return True
        return False
