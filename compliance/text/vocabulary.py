"""The words the prose analysers match, as data: named families of entries, the defaults for
English and Chinese, and their compilation into one linear-time lexer.

An entry is a word or phrase; ``*`` at its end makes it a prefix family ("guarantee*" is guarantee,
guaranteed, guarantees, guaranteeing); a space or hyphen inside an English entry matches a space, a
hyphen or nothing ("risk free" is also "risk-free" and "riskfree"). Entries are normalised as texts
are (so traditional or full-width entries work too). A ruleset passes a map of families: the
families it names replace the defaults, the others keep them, and an empty list switches one off.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from compliance.errors import DomainError
from compliance.records import record
from compliance.text.normalise import is_cjk, normalise

# Families whose words make claims (policy: a house ruleset and a regulator's differ here) ...
CLAIM_FAMILIES = {
    "guarantee": ["guarantee*", "guarentee*", "garantee*", "gaurantee*", "guaranty", "assur*",
                  "promis*", "ensur*", "warrant that", "warrants that", "pledg*", "undertak*", "fixed", "保证", "承诺", "确保", "担保收益", "包你", "包您",
                  "保障", "有保障", "有保证", "sure", "稳拿", "稳获", "稳得", "坐收", "坐享", "count on",
                  "rely on", "保你", "稳稳", "百分百", "百分之百"],
    "object": ["return", "returns", "return on", "profit", "profits", "profitable", "income",
               "yield", "yields", "principal", "capital", "earning", "earnings", "gain", "gains",
               "payout*", "dividend*", "growth", "earn", "earns", "you make", "they make", "we make", "make money", "make a profit", "double your",
               "收益", "收益率", "本金", "利润", "回报", "回报率", "利息", "盈利", "获利", "赚钱",
               "赚", "分红", "收入", "年化", "月收益", "日收益", "派息", "翻倍", "增值"],
    "safe": ["safe", "100% safe", "protected", "secure", "secured", "无忧", "安全", "有保障", "无损",
             "不受损失", "零损失", "一分不会少", "一分不少", "分文不少", "不会少", "never at risk",
             "not at risk", "isn't at risk", "is never at risk"],
    "safe_object": ["principal", "capital", "your investment", "本金", "本钱",
                    "投资本金", "投资款"],
    "guarantee_terms": ["保本", "保息", "保底", "保收益", "保利润", "保回报", "保盈利", "包收益",
                        "保本保息", "刚兑", "刚性兑付"],
    "risk": ["risk", "risks", "风险"],
    "none": ["zero", "0", "free of", "零", "毫无", "为零", "nil"],
    "no_risk_terms": ["risk free", "riskless", "risk-free", "loss free", "loss proof", "risk proof",
                      "no loss", "no losses",
                      "no-loss", "zero loss", "zero losses", "sure win", "sure-fire profit",
                      "can't-lose", "零损失", "稳赚", "稳赢", "包赚", "必赚", "躺赚", "只赚不赔", "稳赚不赔",
                      "稳赚不亏", "零亏损", "无亏损", "只赚不亏", "包赚不赔", "稳赢不输", "亏不了",
                      "输不了", "赔不了"],
    "loss": ["lose", "loses", "losing", "lost", "loss", "losses", "downside", "亏", "亏损", "亏本", "亏钱",
             "赔钱", "赔本", "赔", "损失", "输", "输钱"],
    "compensation": ["compensat*", "refund*", "reimburs*", "cover", "covers", "covered", "make up",
                     "we pay", "we'll pay", "we will pay", "包退", "赔多少", "补多少", "退多少", "补贴",
                     "makes up", "pay back", "paid back", "pay you back", "pays you back", "money back",
                     "cashback", "cash back", "弥补", "我们补", "平台补", "公司补", "我们赔", "平台赔",
                     "公司赔", "我们来赔", "赔付", "补偿", "赔偿", "补足", "补回",
                     "承担", "报销", "全赔", "返还"],
    "compensation_terms": ["兜底", "包赔", "亏多少补多少", "亏多少赔多少", "亏多少退多少", "亏了算我们的", "算我们的", "亏损我们赔",
                           "money back guarantee", "money-back guarantee", "loss back",
                           "losses back", "get your money back if you lose"],
    "peizi_terms": ["配资", "股票配资", "资金放大", "分仓", "分仓系统", "子账户", "天配", "月配",
                    "周配", "借钱炒股", "借钱给你炒股", "stock financing", "stock funding",
                    "share financing", "equity financing for trading", "sub-account*",
                    "sub account*", "subaccount*", "stock allocation"],
    "financing": ["配资", "资金", "本金", "放大", "炒股", "股票", "操盘", "融资", "借款", "出资",
                  "financ*", "fund", "funds", "funding", "borrow*", "lend*", "loan*", "a-share*",
                  "stock account", "操作", "配"],
    "free_interest": ["免息", "零利息", "0利息", "interest-free", "interest free", "zero interest",
                      "no interest"],
    "period": ["按天", "按日", "按周", "按月", "daily or monthly", "by the day", "by the month"],
}

# ... and families that read how the words are used (grammar: shared by every ruleset).
GRAMMAR_FAMILIES = {
    # Verbal negation: scopes over the rest of its clause, a few words ahead.
    "negation": ["not", "never", "cannot", "can not", "can't", "cant", "won't", "wont", "don't",
                 "dont", "doesn't", "doesnt", "didn't", "isn't", "aren't", "wasn't", "shan't",
                 "shall not", "must not", "may not", "neither", "nor", "nobody",
                 "no one", "no-one", "unable", "in no way", "by no means", "without",
                 "no such thing as", "no such thing",
                 "prohibited", "forbidden", "refrain from", "不", "没", "没有", "未能", "无法",
                 "不能", "不会", "不得", "严禁", "禁止", "绝不", "从不", "从未", "不予", "决不",
                 "并不", "亦不", "也不", "不可", "不构成", "并非", "绝非", "勿", "不是", "不再",
                 "不代表", "不提供", "不作", "拒绝", "不存在", "没有任何"],
    # Determiner negation: scopes over the next word or two only ("no fees, guaranteed returns").
    "negation_short": ["no", "无"],
    # Words that look negative but deny nothing the claim depends on.
    "pseudo_negation": ["not only", "not just", "don't miss", "do not miss", "never miss",
                        "don't wait", "do not wait", "no doubt", "no wonder", "no matter",
                        "no more waiting", "no minimum", "no need to wait", "nothing but", "100% of",
                        "不仅", "不只", "不但", "不断", "不错", "不少", "不同", "不过", "不妨",
                        "不限", "不论", "不管", "不要错过", "不容错过", "别错过", "不定期", "不菲",
                        "不停", "不低于", "不少于", "不止", "无论", "无限", "无需等待", "不用等",
                        "无门槛", "不到", "非常", "未来", "不可错过", "无需"],
    # Between a negation and a loss word, these make the negation deny something else:
    # "do not protect you from losses", 不对客户损失…, 不能消除亏损风险.
    "blocker": ["from", "for", "against", "eliminate", "remove", "avoid", "prevent", "protect",
                "rule out", "对", "向", "给", "为", "把", "将", "被", "消除", "避免", "排除", "防止"],
    # After a claim, these deny it: "risk-free returns do not exist", 零风险的投资是不存在的.
    "denial_after": ["do not exist", "does not exist", "don't exist", "doesn't exist", "is a myth",
                     "are a myth", "是不存在的", "不存在的", "并不存在", "是骗人的"],
    # After a risk or loss word, these say there is none: "your risk is zero", "losses are impossible".
    # They negate what follows as well ("impossible to lose").
    # "Lose nothing", "risk nothing"; before a word it negates it as "not" does ("nothing is guaranteed").
    "none_after": ["none", "nothing", "impossible", "不可能", "是零"],
    # "No need to worry about losses": the worry is denied, the loss with it.
    "worry": ["no need to worry about", "don't worry about", "never worry about", "worry-free",
              "forget about", "say goodbye to",
              "worry free", "不用担心", "无需担心", "不必担心", "不怕", "别担心", "再也不用担心",
              "告别"],
    "contrast": ["but", "however", "yet", "instead", "although", "whereas", "但", "但是", "而是",
                 "却", "然而", "不过"],
    "self_subject": ["we", "our", "us", "我们", "我司", "本公司", "本平台", "我们的"],
    # Warning and quotation frames: a claim quoted in order to warn against it.
    "frame": ["beware", "be wary", "wary of", "warn", "warns", "warned", "warning against",
              "watch out", "be careful", "careful of", "caution against", "cautious of", "scam",
              "scams", "scammer*", "fraud*", "red flag", "red flags", "too good to be true",
              "don't trust", "do not trust", "don't believe", "do not believe", "never trust",
              "never believe", "suspicious", "so-called", "so called", "claims such as",
              "claims of", "if anyone", "anyone who", "anyone offering", "anyone promising",
              "anyone claiming", "anybody promising", "anybody offering", "anybody who",
              "is lying", "are lying", "liar", "liars", "walk away", "report them", "unlicensed", "illegal", "ponzi",
              "fake", "hallmark of", "warning sign", "warning signs", "警惕", "谨防", "提防", "小心", "当心", "切勿", "不要相信",
              "别信", "勿信", "轻信", "骗局", "诈骗", "骗子", "骗人", "非法", "陷阱", "上当", "所谓",
              "宣称", "声称", "号称", "鼓吹", "谎称", "防范", "任何人", "凡是", "凡宣称", "识破"],
    "terms_of_art": ["make sure", "we make sure", "you make sure", "to make sure", "be sure", "not sure", "stop loss*", "stop-loss*", "止损", "承担责任", "guaranteed stop*", "guaranteed stop loss*", "guaranteed stop-loss*",
                     "guaranteed limit*", "risk free rate*", "risk-free rate*",
                     "risk free interest rate*", "risk-free asset*", "risk-free benchmark",
                     "risk free return rate", "take profit", "take-profit", "profit and loss",
                     "profit or loss", "profit/loss", "profits and losses", "afford to lose",
                     "as principal", "principal place", "principal office", "principal amount",
                     "principal risk*", "principal-protected note", "capital requirement*",
                     "capital adequacy", "share capital", "working capital", "capital gains tax",
                     "regulatory capital", "capital resources", "income tax", "fixed income",
                     "return of the", "return of your", "return of any", "return of all",
                     "return of excess", "return the", "return your", "return any",
                     "tax return", "compensation scheme", "compensation fund",
                     "investor compensation", "financial services compensation scheme",
                     "guarantee fund", "bank guarantee", "parent company guarantee",
                     "promissory", "interest charged", "loan interest", "financing interest",
                     "负余额保护", "投资者保护", "隐私保护", "数据保护", "保证止损", "止盈",
                     "无风险利率", "无风险收益率", "无风险回报率", "无风险资产", "保本点",
                     "保本价", "保证金", "担保", "担保物", "担保比例", "维持担保比例", "保险",
                     "保持", "保留", "保管", "保密", "保存", "保荐", "确保交易", "自行承担",
                     "自负", "自担", "由您承担", "由客户承担", "由投资者承担", "由乙方承担",
                     "客户承担", "投资者承担", "融资利息", "借款利息", "融资利率", "年化利率",
                     "利息费用", "保障基金", "投资者保护基金", "赔偿责任", "赚取点差", "费用",
                     "盈亏", "赔偿金", "客户资金安全", "资金安全", "收益账户", "收款账户"],
    # Ordinary Chinese words that overlap a claim word (分配资金 holds 配资, 部分仓位 holds 分仓,
    # 环保本身 holds 保本). The lexer matches leftmost-longest, so listing them segments the text
    # as a word segmenter would, without loading one (jieba costs ~0.7 s to start).
    "words": ["增值服务", "增值税", "分配", "调配", "搭配", "匹配", "支配", "装配", "适配", "发配", "部分", "环保", "投保",
              "承保", "参保", "续保", "医保", "社保", "担保本", "保本身"],
    # A debt owed, not a return promised ("guarantees repayment of principal and interest").
    "debt": ["repay*", "owed", "owe", "owes", "owing", "偿还", "归还", "清偿", "还款", "借款",
             "欠款", "缴纳", "按时支付"],
    # Liability for one's own fault is not a promise to make up trading losses.
    # "Losses will not exceed your deposit": a limit on the loss, not a promise of none.
    "exceed": ["more than", "exceed*", "beyond", "greater than", "in excess of", "超过", "超出",
               "高于", "大于", "多于"],
    "fault": ["negligence", "negligent", "error", "errors", "fault", "faults", "failure",
              "breach", "malfunction", "wilful", "fraud by us", "our mistake", "过错", "故障",
              "失误", "违约", "过失", "差错", "错误", "技术原因", "insolvent", "insolvency",
              "go out of business", "goes out of business", "default", "破产", "倒闭", "清盘"],
}

DEFAULTS: dict[str, list[str]] = {**CLAIM_FAMILIES, **GRAMMAR_FAMILIES}

# When two families share an entry, the first one listed here wins the token.
PRECEDENCE = ("terms_of_art", "pseudo_negation", "worry", "compensation_terms", "guarantee_terms",
              "no_risk_terms", "peizi_terms", "frame", "free_interest", "period", "debt", "fault",
              "contrast", "exceed", "blocker", "denial_after", "none_after", "guarantee", "safe", "compensation", "loss", "risk", "safe_object",
              "object", "financing", "self_subject", "none", "negation", "negation_short", "words")


class VocabularyError(DomainError):
    """A vocabulary map that cannot be used: unknown family, or an entry that is not text."""


# Families whose long words are also matched one typing error away ("guranteed", "retruns").
FUZZY_FAMILIES = ("guarantee", "compensation", "no_risk_terms")  # not "object": earning ~ warning
FUZZY_MIN_LENGTH = 7
_SUFFIXES = ("", "s", "d", "ed", "es", "ing")


class Token(NamedTuple):
    """One word of a family found in a normalised text (offsets into the normalised text).
    A named tuple, not a record: it is internal, and made for every word."""

    family: str
    start: int
    end: int
    text: str


# Compared by identity: every vocabulary is made through the caches below, so equal ones are one
# object, and the analysers' caches need not hash a few hundred entries on every call.
@record(eq=False)
class Vocabulary:
    """Families of entries, each a tuple of entries as written (normalised when a lexer is built)."""

    families: tuple[tuple[str, tuple[str, ...]], ...]

    @staticmethod
    def of(mapping: Mapping[str, Sequence[str]] | None = None, *,
           extra_families: Iterable[str] = ()) -> "Vocabulary":
        """The defaults, with the families ``mapping`` names replaced by its lists."""
        items = list((mapping or {}).items())
        if all(isinstance(entries, (list, tuple)) for _, entries in items):
            try:
                key = tuple((family, tuple(entries)) for family, entries in items)
                return _merged(key, tuple(extra_families))
            except TypeError:   # an unhashable entry: the checks below say what is wrong
                pass
        return Vocabulary._merge(mapping, extra_families)

    @staticmethod
    def _merge(mapping: Mapping[str, Sequence[str]] | None, extra_families: Iterable[str]) -> "Vocabulary":
        merged = dict(DEFAULTS)
        known = set(DEFAULTS) | set(extra_families)
        for family, entries in (mapping or {}).items():
            if family not in known:
                raise VocabularyError(f"unknown vocabulary family {family!r}; known: "
                                      f"{', '.join(sorted(known))}")
            if isinstance(entries, str) or not all(isinstance(e, str) for e in entries):
                raise VocabularyError(f"vocabulary family {family!r} must be a list of text")
            merged[family] = list(entries)
        return _vocabulary(tuple((f, tuple(e)) for f, e in sorted(merged.items())))

    def entries(self, family: str) -> tuple[str, ...]:
        return dict(self.families).get(family, ())

    def tokens(self, text: str) -> tuple[Token, ...]:
        """Every family word in the normalised ``text``, left to right, longest match first.

        A text with no Chinese is read with the entries that have none, so an English-only check
        builds a smaller lexer and never loads OpenCC for the Chinese entries."""
        chinese = not text.isascii() and any(is_cjk(char) for char in text)
        return _lexer(self, chinese).tokens(text)


@lru_cache(maxsize=256)
def _merged(key: tuple[tuple[str, tuple[Any, ...]], ...], extra_families: tuple[str, ...]) -> Vocabulary:
    # Rules pass the same vocabulary map for every text: merge and validate it once.
    return Vocabulary._merge(dict(key), extra_families)


@lru_cache(maxsize=64)
def _vocabulary(families: tuple[tuple[str, tuple[str, ...]], ...]) -> Vocabulary:
    return Vocabulary(tuple((family, tuple(e.strip() for e in entries if e.strip()))
                            for family, entries in families))


def coerce(vocabulary: "Vocabulary | Mapping[str, Sequence[str]] | None") -> Vocabulary:
    if isinstance(vocabulary, Vocabulary):
        return vocabulary
    return _default() if not vocabulary else Vocabulary.of(vocabulary)


@lru_cache(maxsize=1)
def _default() -> Vocabulary:
    return Vocabulary.of()


_PLAIN_ASCII = frozenset("abcdefghijklmnopqrstuvwxyz -'&/.%:*")


@lru_cache(maxsize=8192)
def _normalise_entry(entry: str) -> str:
    lowered = " ".join(entry.lower().split())
    if set(lowered) <= _PLAIN_ASCII:   # most English entries: nothing else to normalise
        return lowered
    star = entry.rstrip().endswith("*")
    text = normalise(entry.rstrip().rstrip("*")).text.strip()
    return text + ("*" if star else "")


def _canonical(text: str) -> str:
    return text.replace(" ", "").replace("-", "")


class _Lexer:
    """One RE2 alternation of every entry (leftmost-longest), and a table back to the families."""

    def __init__(self, vocabulary: Vocabulary, chinese: bool):
        import re2  # linear time on untrusted text; loaded when the first text is analysed

        families = tuple((family, tuple(_normalise_entry(e) for e in entries if chinese or not _has_cjk(e)))
                         for family, entries in vocabulary.families)
        rank = {family: index for index, family in enumerate(PRECEDENCE)}
        exact: dict[str, str] = {}
        prefixes: list[tuple[str, str]] = []
        alternatives: set[str] = set()
        for family, entries in sorted(families, key=lambda fe: rank.get(fe[0], 99)):
            for entry in entries:
                star = entry.endswith("*")
                word = entry.rstrip("*")
                if not word:
                    continue
                alternatives.add(_entry_pattern(word, star))
                if star:
                    prefixes.append((_canonical(word), family))
                else:
                    exact.setdefault(_canonical(word), family)
        self.exact = exact
        self.prefixes = prefixes
        self.fuzzy = _deletion_index(families)
        self.words = re2.compile(r"\b[a-z]{%d,}\b" % FUZZY_MIN_LENGTH)
        options = re2.Options()
        options.longest_match = True
        options.max_mem = 64 << 20
        self.pattern = re2.compile("|".join(sorted(alternatives)), options) if alternatives else None

    def family_of(self, text: str) -> str | None:
        key = _canonical(text)
        found = self.exact.get(key)
        if found is not None:
            return found
        for prefix, family in self.prefixes:
            if key.startswith(prefix):
                return family
        return None

    def tokens(self, text: str) -> tuple[Token, ...]:
        if self.pattern is None:
            return ()
        out = []
        for match in self.pattern.finditer(text):
            family = self.family_of(match.group())
            if family is not None:
                out.append(Token(family, match.start(), match.end(), match.group()))
        if self.fuzzy:
            out.extend(self._misspelt(text, out))
            out.sort(key=lambda t: (t.start, -t.end))
        return tuple(out)

    def _misspelt(self, text: str, found: list[Token]) -> list[Token]:
        """Long words one typing error (insertion, deletion, substitution or swap) from an entry of
        a fuzzy family, where no entry matched (symmetric-delete lookup)."""
        taken = [(t.start, t.end) for t in found]
        out = []
        for match in self.words.finditer(text):
            start, end = match.start(), match.end()
            if any(s < end and start < e for s, e in taken):
                continue
            family = _nearest_family(match.group(), self.fuzzy)
            if family is not None:
                out.append(Token(family, start, end, match.group()))
        return out


def _deletes(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


def _deletion_index(families: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, str]:
    """Each form of each long single-word entry, and each form less one letter -> its family."""
    index: dict[str, str] = {}
    for family, entries in families:
        if family not in FUZZY_FAMILIES:
            continue
        for entry in entries:
            word = entry.rstrip("*")
            if not word.isascii() or not word.isalpha() or len(word) < FUZZY_MIN_LENGTH - 1:
                continue
            forms = [word + suffix for suffix in _SUFFIXES] if entry.endswith("*") else [word]
            for form in forms:
                for deleted in _deletes(form):
                    index.setdefault(deleted, family)
    return index


def _nearest_family(word: str, index: dict[str, str]) -> str | None:
    for deleted in _deletes(word):
        family = index.get(deleted)
        if family is not None:
            return family
    return None


@lru_cache(maxsize=8192)
def _has_cjk(entry: str) -> bool:
    return not entry.isascii() and any(is_cjk(c) for c in entry)


@lru_cache(maxsize=8192)
def _entry_pattern(word: str, star: bool) -> str:
    # A space or hyphen inside an English entry matches a space, a hyphen or nothing. Python's
    # escaping (a backslash before punctuation, other characters as they are) is RE2 syntax too,
    # and much cheaper to call than re2.escape.
    pieces = [piece for piece in word.replace("-", " ").split(" ")]
    body = "[ \\-]?".join(re.escape(piece) for piece in pieces) if word.isascii() else re.escape(word)
    latin_start = word[0].isascii() and word[0].isalnum()
    latin_end = word[-1].isascii() and word[-1].isalnum()
    if star:
        body += "[a-z]*"
    return ("\\b" if latin_start else "") + body + ("\\b" if latin_end else "")


@lru_cache(maxsize=64)
def _lexer(vocabulary: Vocabulary, chinese: bool = True) -> _Lexer:
    return _Lexer(vocabulary, chinese)
