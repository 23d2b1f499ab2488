"""Prose that contradicts the structured terms: negative balance protection undone by the text
(set-off against other accounts, recovery of a deficit, losses that "may exceed your deposit"),
and inducements to opt up to professional status stated only in marketing text (rewards for
becoming professional, leverage compared between client categories).

Each detector is a pure function of the text and a vocabulary (families of words, as data, with
defaults below); negation and warning frames are read as by the claims analyser.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from compliance.records import record
from compliance.text.normalise import normalise
from compliance.text.numbers import multiples
from compliance.text.scope import Scope
from compliance.text.vocabulary import CLAIM_FAMILIES, Token, Vocabulary

KINDS = ("nbp_contradiction", "inducement")
_ALL = frozenset(KINDS)
# Reasons: set_off | recovery | liability | losses_exceed_deposit | reward | leverage_comparison
WINDOW = 8.0

FAMILIES = {
    "set_off": ["set off", "set-off", "setoff", "offset", "deduct*", "debit*", "transfer*",
                "apply funds", "use money", "use the money", "use funds", "use the funds", "clear",
                "settle", "抵扣", "扣除", "抵销", "抵消", "冲抵", "划转", "扣划", "扣减"],
    "other_account": ["other account*", "another account", "any account", "other accounts",
                      "accounts with the group", "其他账户", "另一账户", "其它账户", "名下其他"],
    # The client's other money with the firm: a set-off only where the sentence speaks of a deficit.
    "own_money": ["savings account", "current account", "deposit account", "accounts you hold",
                  "any of your accounts", "储蓄账户", "活期账户", "理财账户"],
    "strong_recovery": ["debt collection*", "collection agenc*", "debt collector*", "催收", "追偿",
                        "追讨", "追索", "追缴"],
    "recovery": ["recover*", "pursue", "claim from you", "legal proceedings", "collect*",
                 "reclaim*", "收回", "索赔"],
    "deficit": ["negative balance*", "deficit*", "debit balance", "shortfall", "debt", "owed",
                "goes negative", "becomes negative", "turns negative", "is negative",
                "负余额", "欠款", "穿仓", "亏空", "负数", "透支"],
    "from_client": ["from you", "against you", "向客户", "向您", "向乙方", "向投资者"],
    "deposit": ["deposit*", "invest", "invested", "investment", "initial margin", "balance",
                "funds", "account", "capital", "保证金", "本金", "资金", "存入", "投入", "账户"],
    "professional": ["professional client*", "professional status", "professional account*",
                     "elective professional", "pro account*", "pro client*", "pro status",
                     "pro trader*", "professional", "professional classification",
                     "专业客户", "专业投资者", "专业账户", "专业交易者", "专业级"],
    # Asking to be treated as professional: with these even a weak reward ("free") is an inducement.
    "opt_up": ["opt up", "opt-up", "opting up", "upgrade to pro*", "upgrade to professional*",
               "become a professional*", "become professional", "switch to professional*",
               "switch to a pro*", "apply for professional*", "request professional*",
               "ask to be treated as professional", "go pro", "认定为专业*", "申请成为专业*",
               "升级为专业*", "转为专业*", "成为专业*", "升级专业*", "认证专业*"],
    "reward": ["bonus*", "reward*", "cashback", "cash back", "rebate*", "gift*", "free credit",
               "voucher*", "prize*", "cash", "赠金", "奖励", "返现", "返佣", "礼金", "红包", "赠送",
               "送", "返还", "礼品", "优惠", "回馈", "获赠", "赠", "交易金", "体验金", "we'll add", "we will add",
               "we add", "we'll credit", "we will credit", "we credit"],
    "weak_reward": ["free", "complimentary", "credit", "免费"],
    # The client made liable for a deficit: negative balance protection undone.
    "liability": ["liable for", "responsible for", "must pay", "pay us", "owe us", "you owe",
                  "owing us", "end up owing",
                  "应补足", "须补足", "必须补足", "负责偿还", "应偿还", "须偿还", "补足"],
    # Negative balance protection stated: the words inside are not a recovery or a liability.
    "nbp_statement": ["you owe us nothing", "you owe nothing", "owe us nothing", "owe nothing", "written off", "write off", "reset to zero",
                      "reset it to zero", "reset them to zero", "reset the balance to zero",
                      "reset your balance to zero", "reset your account to zero", "brought back to zero",
                      "negative balance protection", "负余额保护", "不会向客户追讨", "由本公司承担"],
    "modal": ["may", "might", "can", "could", "possibly", "可能", "或将", "有可能", "或会"],
    "leverage": ["leverage", "higher leverage", "杠杆", "更高杠杆"],
    # What makes a comparison of leverage by client category promotion rather than disclosure
    # (besides a figure): "get", "unlock", 可享.
    "enticement": ["get", "gets", "enjoy*", "unlock*", "up to", "access", "享", "可享", "专享", "享受",
                   "高达", "可达", "最高"],
}


# The claims analyser's own families stay out of these detectors' way ("保证金" is a deposit here,
# "cashback" a reward), except the words both read: losses and the principal.
_QUIET = {family: [] for family in CLAIM_FAMILIES if family not in ("loss", "safe_object")}
_QUIET["terms_of_art"] = []


@record
class Contradiction:
    kind: str            # nbp_contradiction | inducement
    reason: str          # set_off | recovery | losses_exceed_deposit | reward | leverage_comparison
    triggers: tuple[str, ...]
    start: int
    end: int
    phrase: str
    explanation: str


def contradictions(text: str, vocabulary: Mapping[str, Sequence[str]] | None = None,
                   kinds: Iterable[str] | None = None) -> tuple[Contradiction, ...]:
    """The contradictions ``text`` states, left to right."""
    wanted = frozenset(kinds) if kinds is not None else frozenset(KINDS)
    vocab = _default() if not vocabulary else Vocabulary.of({**_QUIET, **FAMILIES, **vocabulary},
                                                              extra_families=FAMILIES)
    return _of_kinds(text, vocab, wanted)


@lru_cache(maxsize=8192)
def _of_kinds(text: str, vocabulary: Vocabulary, wanted: frozenset[str]) -> tuple[Contradiction, ...]:
    found = _contradictions(text, vocabulary, _ALL)   # both kinds at once, then filtered
    return found if wanted >= _ALL else tuple(c for c in found if c.kind in wanted)


@lru_cache(maxsize=1)
def _default() -> Vocabulary:
    return Vocabulary.of({**_QUIET, **FAMILIES}, extra_families=FAMILIES)


@lru_cache(maxsize=4096)
def _contradictions(text: str, vocabulary: Vocabulary, kinds: frozenset[str]) -> tuple[Contradiction, ...]:
    normalised = normalise(text)
    tokens = vocabulary.tokens(normalised.text)
    extra = tuple(Token("multiple", s, e, normalised.text[s:e]) for s, e, _ in multiples(normalised.text))
    scope = Scope(normalised, tuple(sorted(tokens + extra, key=lambda t: (t.start, -t.end))))
    found: list[tuple[str, str, tuple[Token, ...], str]] = []
    if "nbp_contradiction" in kinds:
        found.extend(_nbp(scope))
    if "inducement" in kinds:
        found.extend(_inducements(scope))
    out = []
    for kind, reason, trigger_tokens, why in found:
        if _negated(scope, trigger_tokens) or scope.frame_over(trigger_tokens) is not None:
            continue
        if kind == "nbp_contradiction" and _protection_stated(scope, trigger_tokens):
            continue
        start, end = normalised.span(min(t.start for t in trigger_tokens), max(t.end for t in trigger_tokens))
        words = tuple(normalised.quote(t.start, t.end) for t in trigger_tokens)
        out.append(Contradiction(kind, reason, words, start, end, text[start:end], why.format(*words)))
    return tuple(sorted(set(out), key=lambda c: (c.start, c.kind)))


def _negated(scope: Scope, tokens: Sequence[Token]) -> bool:
    return any(scope.negator_before(token) is not None for token in tokens)


def _protection_stated(scope: Scope, tokens: Sequence[Token]) -> bool:
    """"We reset it to zero and will not claim it from you, from any other account or through
    debt collection", "... always within the limit of negative balance protection": a sentence that
    states the protection uses the words of recovery to rule it out. Not when the statement is
    negated ("negative balance protection does not apply") or a contrast word separates the two
    ("..., but we may recover the deficit")."""
    first = min(tokens, key=lambda t: t.start)
    for statement in scope.sentence_tokens(first):
        if statement.family != "nbp_statement" or scope.negator_before(statement) is not None:
            continue
        following = [t for t in scope.sentence_tokens(statement) if t.start >= statement.end]
        if following and following[0].family in ("negation", "negation_short") \
                and scope.gap(statement, following[0]) <= 1.0:
            continue
        if not scope.between(statement, first, ("contrast",)):
            return True
    return False


def _nbp(scope: Scope) -> Iterable[tuple[str, str, tuple[Token, ...], str]]:
    for token in scope.tokens:
        if token.family == "set_off":
            deficit = scope.nearest(token, ("deficit",), 2 * WINDOW)
            # "offset a negative balance on one account against ... your other accounts": the
            # deficit between the two lets the other account stand further off.
            other = scope.nearest(token, ("other_account",), 2 * WINDOW if deficit is not None else WINDOW)
            if other is None and deficit is not None:
                other = scope.nearest(token, ("own_money",), WINDOW)
            if other is not None:
                yield ("nbp_contradiction", "set_off", (token, other),
                       'a deficit is "{0}" against "{1}": negative balance protection is per client, '
                       'not met by taking money from other accounts')
        elif token.family == "strong_recovery":
            yield ("nbp_contradiction", "recovery", (token,),
                   '"{0}": recovering a deficit from the client undoes negative balance protection')
        elif token.family == "recovery":
            debt = scope.nearest(token, ("deficit", "from_client"), WINDOW)
            if debt is None:
                debt = scope.nearest(token, ("deficit",), 2 * WINDOW)
            if debt is not None:
                yield ("nbp_contradiction", "recovery", (token, debt),
                       '"{0}" "{1}": recovering a deficit from the client undoes negative balance protection')
        elif token.family == "liability":
            debt = scope.nearest(token, ("deficit",), WINDOW)
            if debt is not None:
                yield ("nbp_contradiction", "liability", (token, debt),
                       '"{0}" "{1}": the client made liable for a deficit undoes negative balance protection')
                continue
            exceed = [t for t in scope.sentence_tokens(token) if t.family == "exceed"
                      and t.start >= token.end and scope.gap(token, t) <= 2.0]
            deposit = scope.nearest(exceed[0], ("deposit", "safe_object"), 3.0) if exceed else None
            if deposit is not None and deposit.start > exceed[0].start:
                yield ("nbp_contradiction", "liability", (token, exceed[0], deposit),
                       '"{0} {1} … {2}": owing more than the deposit contradicts negative balance protection')
        elif token.family == "loss":
            exceed = [t for t in scope.sentence_tokens(token) if t.family == "exceed"
                      and t.start >= token.end and scope.gap(token, t) <= 3.0]
            if not exceed:
                continue
            deposit = scope.nearest(exceed[0], ("deposit", "safe_object"), 5.0)
            modal = scope.nearest(token, ("modal",), 3.0)
            about_professionals = any(t.family == "professional" and t.start < token.start
                                      for t in scope.sentence_tokens(token))
            if deposit is not None and deposit.start > exceed[0].start and modal is not None \
                    and not about_professionals:
                yield ("nbp_contradiction", "losses_exceed_deposit", (token, exceed[0], deposit),
                       '"{0} … {1} … {2}": losses beyond the deposit contradict negative balance protection')


def _promoted(scope: Scope, token: Token) -> bool:
    """A leverage comparison is promotion when it gives a figure (1:500, 200倍) or an offer word."""
    return any(t.family in ("multiple", "enticement") for t in scope.sentence_tokens(token))


def _inducements(scope: Scope) -> Iterable[tuple[str, str, tuple[Token, ...], str]]:
    for token in scope.tokens:
        if token.family not in ("professional", "opt_up"):
            continue
        rewards = ("reward", "weak_reward") if token.family == "opt_up" else ("reward",)
        reward = scope.nearest(token, rewards, WINDOW)
        if reward is not None:
            yield ("inducement", "reward", (token, reward),
                   '"{0}" is tied to "{1}": an inducement to give up retail protections')
            continue
        leverage = scope.nearest(token, ("leverage", "multiple"), WINDOW)
        if leverage is not None and token.family == "professional" and not _promoted(scope, token):
            continue   # "professional clients have other limits, see Annex 1": disclosure, no offer
        if leverage is not None:
            yield ("inducement", "leverage_comparison", (token, leverage),
                   '"{0}" is offered "{1}": higher leverage as an inducement to opt up')
