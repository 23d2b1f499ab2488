"""The claims analyser: promises of returns or principal, of no risk or no loss, of compensation
for losses, and 配资 (stock financing) offers, found by proximity and polarity, not fixed phrases.

A claim is a guarantee word near a guaranteed object in either order ("guaranteed monthly
returns", "returns guaranteed", 收益有保障), a safe word near the principal (本金无忧), a denied risk
or loss (zero risk, you can't lose, 不会亏损), a compensation word near a loss (we refund your
losses, 亏损赔付), or a financing offer (配资, 1比10 with financing words). It is not a claim when a
negation scopes over its guarantee ("returns are not guaranteed", 不承诺保本), when a warning
frames it (警惕承诺保本的平台), when it is a term of art (guaranteed stop-loss, 无风险利率), when it
states negative balance protection (you cannot lose more than your deposit), when the object is a
debt (repayment of principal) or when the compensation is for the firm's own fault.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

from compliance.records import record
from compliance.text.normalise import normalise
from compliance.text.numbers import multiples, rates_of_return
from compliance.text.scope import Scope
from compliance.text.vocabulary import Token, Vocabulary, coerce

KINDS = ("guarantee", "no_risk", "compensation", "peizi")
_ALL = frozenset(KINDS)
PAIR_WINDOW = 8.0          # units between a guarantee word and its object
SAFE_WINDOW = 4.0          # "capital stays safe", 本金无忧
LOSS_NEGATION_WINDOW = 2.0  # "you will not lose", 永远不会亏损, 不受任何损失
COMPENSATION_WINDOW = 8.0
FINANCING_WINDOW = 8.0

_LABEL = {"guarantee": "a guaranteed return or principal", "no_risk": "a promise of no risk or no loss",
          "compensation": "a promise to make up losses", "peizi": "a 配资 (leveraged stock financing) offer"}


@record
class Claim:
    """A claim found in a text: offsets are into the original text, ``phrase`` is as written."""

    kind: str
    triggers: tuple[str, ...]
    start: int
    end: int
    phrase: str
    explanation: str


@record
class Clearance:
    """A would-be claim judged clean, with the word that cleared it (``cue``) and why."""

    kind: str
    reason: str      # negated | warning_frame | term_of_art | negative_balance_protection | debt | fault
    cue: str
    start: int
    end: int
    phrase: str
    explanation: str


@record
class Analysis:
    claims: tuple[Claim, ...]
    cleared: tuple[Clearance, ...]

    def kinds(self) -> frozenset[str]:
        return frozenset(claim.kind for claim in self.claims)


class _Candidate(NamedTuple):
    kind: str
    tokens: tuple[Token, ...]   # trigger tokens, the head (whose polarity counts) first
    consumed: tuple[Token, ...] = ()   # negations that are part of the claim itself
    why: str = ""
    cleared_by: tuple[str, Token] | None = None


def analyse(text: str, vocabulary: Vocabulary | Mapping[str, Sequence[str]] | None = None,
            kinds: Iterable[str] | None = None) -> Analysis:
    """The claims in ``text`` and the would-be claims judged clean, left to right."""
    wanted = frozenset(kinds) if kinds is not None else _ALL
    unknown = wanted - _ALL
    if unknown:
        raise ValueError(f"unknown kind of claim {sorted(unknown)[0]!r}; known: {', '.join(KINDS)}")
    return _analysis_of_kinds(text, coerce(vocabulary), wanted)


@lru_cache(maxsize=8192)
def _analysis_of_kinds(text: str, vocabulary: Vocabulary, wanted: frozenset[str]) -> Analysis:
    # Analysed once for every kind and filtered: rules asking for different kinds of one text
    # (claims, then 配资) share the work, and read it as the corpus benchmark does.
    full = _analyse(text, vocabulary, _ALL)
    if wanted == _ALL:
        return full
    return Analysis(tuple(c for c in full.claims if c.kind in wanted),
                    tuple(c for c in full.cleared if c.kind in wanted or c.kind == "term_of_art"))


def claims(text: str, vocabulary: Vocabulary | Mapping[str, Sequence[str]] | None = None,
           kinds: Iterable[str] | None = None) -> tuple[Claim, ...]:
    return analyse(text, vocabulary, kinds).claims


@lru_cache(maxsize=4096)
def _analyse(text: str, vocabulary: Vocabulary, kinds: frozenset[str]) -> Analysis:
    normalised = normalise(text)
    tokens = vocabulary.tokens(normalised.text)
    tokens = tuple(sorted(tokens + _multiple_tokens(normalised.text), key=lambda t: (t.start, -t.end)))
    scope = Scope(normalised, tokens)
    candidates = [c for c in _candidates(scope) if c.kind in kinds]
    found: list[Claim] = []
    cleared: list[Clearance] = []
    consumed = tuple(t for c in candidates for t in c.consumed)
    negated: list[tuple[_Candidate, Token]] = []
    for candidate in candidates:
        verdict = candidate.cleared_by or _polarity(scope, candidate, consumed)
        if verdict is None:
            verdict = _inherited(scope, candidate, negated)
        if verdict is not None and verdict[0] == "negated":
            negated.append((candidate, verdict[1]))
        if verdict is None:
            found.append(_claim(scope, candidate))
        else:
            cleared.append(_clearance(scope, candidate, *verdict))
    for term in tokens:
        if term.family == "terms_of_art":
            first, last = normalised.span(term.start, term.end)
            cleared.append(Clearance("term_of_art", "term_of_art", text[first:last], first, last,
                                     text[first:last], f'"{text[first:last]}" is a term of art, not a claim'))
    return Analysis(_merge(found), tuple(sorted(set(cleared), key=lambda c: (c.start, c.kind))))


def _multiple_tokens(text: str) -> tuple[Token, ...]:
    """Leverage multiples (1比10, 5x) and rates of return (3% weekly) as tokens of their own."""
    found = [Token("multiple", start, end, text[start:end]) for start, end, _ in multiples(text)]
    found += [Token("object", start, end, text[start:end]) for start, end in rates_of_return(text)]
    return tuple(found)


# ---- candidates -----------------------------------------------------------------------------------

def _candidates(scope: Scope) -> list[_Candidate]:
    denials = list(_no_risks(scope))
    # A guarantee word that governs a denied loss (保证不亏) makes that claim, not a second one.
    governors = {c.tokens[0] for c in denials if c.tokens[0].family == "guarantee"}
    out = list(_guarantees(scope, governors)) + denials
    for generate in (_compensations, _peizi):
        out.extend(generate(scope))
    return sorted(out, key=lambda c: min(t.start for t in c.tokens))


def _guarantees(scope: Scope, governors: set[Token]) -> Iterable[_Candidate]:
    for token in scope.tokens:
        if token in governors:
            continue
        if token.family == "guarantee_terms":
            yield _Candidate("guarantee", (token,), why=f'"{{0}}" promises principal or a return')
        elif token.family == "guarantee":
            target = scope.nearest(token, ("object", "safe_object"), PAIR_WINDOW)
            if target is None:
                continue
            debt = _debt_near(scope, token, target)
            if debt is not None:
                yield _Candidate("guarantee", (token, target), cleared_by=("debt", debt))
            else:
                yield _Candidate("guarantee", (token, target), why='"{0}" is applied to "{1}"')
        elif token.family == "safe":
            target = scope.nearest(token, ("safe_object",), SAFE_WINDOW)
            if target is not None:
                yield _Candidate("guarantee", (token, target), why='"{1}" is said to be "{0}"')


def _debt_near(scope: Scope, guarantee: Token, target: Token) -> Token | None:
    """A debt word between the guarantee and its object, or just before the object."""
    for token in scope.sentence_tokens(target):
        if token.family == "debt" and (scope.between(guarantee, target, ("debt",))
                                       or scope.gap(token, target) <= 3.0):
            return token
    return None


def _no_risks(scope: Scope) -> Iterable[_Candidate]:
    for index, token in enumerate(scope.tokens):
        if token.family == "no_risk_terms":
            principal = scope.nearest(token, ("safe_object",), 2.0)
            if principal is not None:   # 本金零损失: the principal is promised
                yield _Candidate("guarantee", (token, principal), why='"{1}" is promised "{0}"')
            else:
                yield _Candidate("no_risk", (token,), why='"{0}" promises no risk or no loss')
        elif token.family == "risk":
            before = _previous(scope, index)
            after = _next(scope, index)
            if before is not None and before.family in ("none", "negation", "negation_short", "worry") \
                    and scope.gap(before, token) <= 1.5 and not _risk_of_something_else(scope, index) \
                    and not _risk_as_a_verb(before, token):
                yield _Candidate("no_risk", (token, before), consumed=(before,),
                                 why='"{1} {0}" denies the risk')
            elif after is not None and after.family in ("none", "none_after") and scope.gap(token, after) <= 2.0:
                yield _Candidate("no_risk", (token, after), consumed=(after,),
                                 why='"{0} … {1}" says there is no risk')
            elif after is None and (answer := _answer(scope, index)) is not None \
                    and answer.family in ("none_after", "denial_after"):
                yield _Candidate("no_risk", (token, answer), consumed=(answer,),
                                 why='"{0}? … {1}" answers that there is no risk')
        elif token.family == "loss":
            yield from _denied_loss(scope, index, token)


def _risk_of_something_else(scope: Scope, index: int) -> bool:
    """"No risk of hidden charges" denies another risk, not the risk of loss."""
    token = scope.tokens[index]
    if not scope.normalised.text.startswith(" of ", token.end):
        return False
    following = scope.tokens[index + 1] if index + 1 < len(scope.tokens) else None
    return following is None or following.family != "loss" or scope.gap(token, following) > 1.0


def _risk_as_a_verb(negator: Token, risk: Token) -> bool:
    """"You should not risk money": after an English verbal negation "risk" is the verb."""
    return (negator.family == "negation" and negator.text.isascii() and negator.text != "without"
            and risk.text in ("risk", "risks"))


def _next(scope: Scope, index: int) -> Token | None:
    following = scope.tokens[index + 1] if index + 1 < len(scope.tokens) else None
    return following if following is not None and scope.same_sentence(following, scope.tokens[index]) else None


def _answer(scope: Scope, index: int) -> Token | None:
    """The next word when a question runs on into its answer: "Risk? There is none.", 亏损？不存在的."""
    following = scope.tokens[index + 1] if index + 1 < len(scope.tokens) else None
    if following is None or not scope.same_passage(following, scope.tokens[index]):
        return None
    return following if scope.gap(scope.tokens[index], following) <= 3.0 else None


def _previous(scope: Scope, index: int) -> Token | None:
    return scope.tokens[index - 1] if index > 0 and scope.same_sentence(scope.tokens[index - 1], scope.tokens[index]) else None


def _denied_loss(scope: Scope, index: int, loss: Token) -> Iterable[_Candidate]:
    """"You will never lose", 不会亏损, 保证不亏: a negation just before a loss word is a claim of
    no loss, unless it limits the loss to the deposit (negative balance protection) or a negated
    guarantee governs it ("we cannot guarantee you will not lose")."""
    negator = None
    for token in reversed(scope.tokens[:index]):
        if not scope.same_sentence(token, loss) or scope.gap(token, loss) > LOSS_NEGATION_WINDOW:
            break
        if token.family in ("negation", "negation_short", "worry", "none_after"):
            negator = token
            break
        if token.family not in ("object", "safe_object", "financing"):
            break
    if negator is None:
        after = _next(scope, index)
        if after is not None and after.family == "none_after" and scope.gap(loss, after) <= 2.0:
            yield _Candidate("no_risk", (loss, after), consumed=(after,), why='"{0} … {1}" says there is no loss')
        elif after is None and (answer := _answer(scope, index)) is not None \
                and answer.family in ("none_after", "denial_after"):
            yield _Candidate("no_risk", (loss, answer), consumed=(answer,),
                             why='"{0}? … {1}" answers that there is no loss')
        return
    if scope.between(negator, loss, ("blocker",)):
        return
    after = [t for t in scope.sentence_tokens(loss) if t.start >= loss.end and t.family == "exceed"
             and scope.gap(loss, t) <= 3.0 and not _exceeds_a_gain(scope, t)]
    principal = scope.nearest(loss, ("safe_object",), 4.0)
    kind = "guarantee" if principal is not None else "no_risk"
    tokens = (negator, loss) + ((principal,) if principal is not None else ())
    if after:
        yield _Candidate(kind, tokens, consumed=(negator,),
                         cleared_by=("negative_balance_protection", after[0]))
        return
    governor = _governing_guarantee(scope, negator)
    if governor is not None:
        yield _Candidate(kind, (governor, negator, loss), consumed=(negator,),
                         why='"{0}" promises "{1} {2}"')
    else:
        yield _Candidate(kind, tokens, consumed=(negator,), why='"{0} {1}" promises no loss')


def _exceeds_a_gain(scope: Scope, exceed: Token) -> bool:
    """"Never lose more than they make" compares the loss with a gain: a promise of no net loss,
    not a limit at the deposit."""
    following = [t for t in scope.sentence_tokens(exceed) if t.start >= exceed.end]
    return bool(following) and following[0].family == "object" and scope.gap(exceed, following[0]) <= 2.0


def _governing_guarantee(scope: Scope, negator: Token) -> Token | None:
    for token in reversed([t for t in scope.sentence_tokens(negator) if t.end <= negator.start]):
        if token.family == "guarantee" and scope.gap(token, negator) <= 4.0:
            return token
    return None


def _compensations(scope: Scope) -> Iterable[_Candidate]:
    for token in scope.tokens:
        if token.family == "compensation_terms":
            yield _fault_checked(scope, _Candidate("compensation", (token,),
                                                   why='"{0}" promises to make up losses'))
        elif token.family == "compensation":
            loss = scope.nearest(token, ("loss",), COMPENSATION_WINDOW, across_questions=True)
            if loss is not None:
                yield _fault_checked(scope, _Candidate("compensation", (token, loss),
                                                       why='"{0}" is offered for "{1}"'))


def _fault_checked(scope: Scope, candidate: _Candidate) -> _Candidate:
    for token in scope.sentence_tokens(candidate.tokens[0]):
        if token.family == "fault":
            return _Candidate(candidate.kind, candidate.tokens, cleared_by=("fault", token))
    return candidate


def _peizi(scope: Scope) -> Iterable[_Candidate]:
    for token in scope.tokens:
        if token.family == "peizi_terms":
            yield _Candidate("peizi", (token,), why='"{0}" offers stock financing (配资)')
        elif token.family in ("multiple", "free_interest"):
            financing = scope.nearest(token, ("financing", "peizi_terms"), FINANCING_WINDOW)
            if financing is not None:
                yield _Candidate("peizi", (token, financing),
                                 why='"{0}" with "{1}" offers leveraged stock financing')


# ---- polarity -------------------------------------------------------------------------------------

def _polarity(scope: Scope, candidate: _Candidate, consumed: Sequence[Token]) -> tuple[str, Token] | None:
    """Why the candidate is not a claim (a negation over its head, a warning frame), or None."""
    head = candidate.tokens[0]
    first = min(candidate.tokens, key=lambda t: t.start)
    own = set(candidate.consumed)
    others = tuple(t for t in consumed if t not in own)
    for anchor in {head, first}:
        negator = scope.negator_before(anchor, consumed=others + tuple(own))
        if negator is not None:
            return ("negated", negator)
    last = max(candidate.tokens, key=lambda t: t.end)
    for token in scope.sentence_tokens(last):
        if token.family in ("denial_after", "none_after") and token not in own and token.start >= last.end \
                and scope.gap(last, token) <= 8.0:
            return ("negated", token)
    frame = scope.frame_over(candidate.tokens)
    if frame is not None:
        return ("warning_frame", frame)
    return None


def _inherited(scope: Scope, candidate: _Candidate, negated: Sequence[tuple[_Candidate, Token]]
               ) -> tuple[str, Token] | None:
    """A negation carries over a list: "we do not provide stock financing, margin lending or
    sub-accounts" denies the sub-accounts too, unless a contrast or a new subject intervenes."""
    first = min(candidate.tokens, key=lambda t: t.start)
    for earlier, negator in reversed(negated):
        last = max(earlier.tokens, key=lambda t: t.end)
        if last.end > first.start or not scope.same_sentence(last, first):
            continue
        if scope.between(last, first, ("contrast", "self_subject", "guarantee")):
            continue
        if scope.gap(last, first) <= 8.0:
            return ("negated", negator)
    return None


# ---- results --------------------------------------------------------------------------------------

def _span(scope: Scope, tokens: Sequence[Token]) -> tuple[int, int]:
    return scope.normalised.span(min(t.start for t in tokens), max(t.end for t in tokens))


def _quoted(scope: Scope, token: Token) -> str:
    return scope.normalised.quote(token.start, token.end)


def _claim(scope: Scope, candidate: _Candidate) -> Claim:
    start, end = _span(scope, candidate.tokens)
    words = tuple(_quoted(scope, t) for t in candidate.tokens)
    detail = candidate.why.format(*words)
    explanation = (f"{_LABEL[candidate.kind]}: {detail}; not a disclaimer: no negation scopes over "
                   f"it, no warning frames it, and it is not a term of art")
    return Claim(candidate.kind, words, start, end, scope.normalised.original[start:end], explanation)


_REASONS = {
    "negated": '"{cue}" negates it: a disclaimer, not a claim',
    "warning_frame": '"{cue}" frames it as a warning against such claims',
    "negative_balance_protection": '"{cue}" limits the loss to the deposit: negative balance protection',
    "debt": '"{cue}": a debt to be repaid, not a return promised',
    "fault": '"{cue}": liability for the firm\'s own fault, not a promise to make up trading losses',
}


def _clearance(scope: Scope, candidate: _Candidate, reason: str, cue: Token) -> Clearance:
    start, end = _span(scope, candidate.tokens)
    cue_text = _quoted(scope, cue)
    phrase = scope.normalised.original[start:end]
    return Clearance(candidate.kind, reason, cue_text, start, end, phrase,
                     f'"{phrase}" would be {_LABEL[candidate.kind]}, but ' + _REASONS[reason].format(cue=cue_text))


def _merge(found: Sequence[Claim]) -> tuple[Claim, ...]:
    """One claim per kind and overlapping stretch of text (the earliest keeps its explanation)."""
    out: list[Claim] = []
    for claim in sorted(found, key=lambda c: (c.start, -c.end, c.kind)):
        for index, kept in enumerate(out):
            if kept.kind == claim.kind and claim.start < kept.end and kept.start < claim.end:
                if claim.end > kept.end:
                    start, end = kept.start, claim.end
                    phrase = (kept.phrase + claim.phrase[kept.end - claim.start:])
                    out[index] = Claim(kept.kind, tuple(dict.fromkeys(kept.triggers + claim.triggers)),
                                       start, end, phrase, kept.explanation)
                break
        else:
            out.append(claim)
    return tuple(out)
