"""Watchlist rules: keywords, hashtags and regular expressions over post text, in any language.

Text and patterns are NFKC-normalised and case-folded, so full-width and half-width forms and
letter case do not matter. Nothing splits on whitespace: Chinese has none, so a keyword is a
substring; only a keyword of Latin letters or digits must stand as a whole word ("war" does not
match "software"). A hashtag matches Weibo's `#话题#` and Twitter's `#tag` forms.

Everything compiles to RE2, which matches in time linear in the text, so no rule can stall a
worker however many posts it scans. At save a pattern is refused when RE2 cannot compile it
(bad syntax, backreferences, lookaround, a program over the memory budget) and when it nests
unbounded repetition, as in `(a+)+`: catastrophic on the backtracking engines people test
their patterns with, always rewritable, and usually a mistake.
"""

import re
import re._parser as sre_parse
import unicodedata

import re2

MAX_PATTERN_LENGTH = 200
WORD = re.compile(r"[0-9a-z_]+")
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = 1 << 20  # 1 MiB of automaton per rule: refuses exploding repetitions


class RuleError(ValueError):
    """A pattern that cannot be a watchlist rule; the message says why."""


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def rule_regex(kind: str, pattern: str) -> str:
    """The regular expression (over normalised text) a rule of `kind` stands for."""
    term = normalise(pattern).strip()
    if not term:
        raise RuleError("the pattern is empty")
    if len(term) > MAX_PATTERN_LENGTH:
        raise RuleError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    if kind == "keyword":
        if WORD.fullmatch(term):
            return rf"(?:^|[^0-9a-z_]){re.escape(term)}(?:$|[^0-9a-z_])"
        return re.escape(term)
    if kind == "hashtag":
        tag = term.strip("#")
        if not tag or "#" in tag or any(c.isspace() for c in tag):
            raise RuleError("a hashtag is one tag, e.g. #ferguson or #武汉加油#")
        return rf"#{re.escape(tag)}(?:#|$|[^\w])"
    if kind == "regex":
        _refuse_nested_repetition(term)
        return term
    raise RuleError(f"unknown rule kind {kind!r}")


def rule_compile(kind: str, pattern: str):
    """Compiled RE2 pattern for a rule, or RuleError naming the problem."""
    expression = rule_regex(kind, pattern)
    try:
        return re2.compile(expression, _OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode() if isinstance(error.args[0], bytes) else error.args[0]
        raise RuleError(f"not a usable regular expression: {reason}") from None


def _refuse_nested_repetition(expression):
    try:
        tree = sre_parse.parse(expression)
    except re.error as error:
        raise RuleError(f"not a valid regular expression: {error}") from None
    if _nested_repeat(tree, inside=False):
        raise RuleError(
            "nested repetition such as (a+)+ or (a*)* backtracks catastrophically; "
            "repeat once, e.g. a+"
        )


def _nested_repeat(items, *, inside):
    """Whether an unbounded repeat sits inside another one anywhere in the parsed pattern."""
    for op, arg in items:
        if op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT):
            _low, high, sub = arg
            unbounded = high == sre_parse.MAXREPEAT or high > 100
            found = (unbounded and inside) or _nested_repeat(sub, inside=inside or unbounded)
        elif op == sre_parse.SUBPATTERN:
            found = _nested_repeat(arg[-1], inside=inside)
        elif op == sre_parse.BRANCH:
            found = any(_nested_repeat(branch, inside=inside) for branch in arg[1])
        else:
            found = False
        if found:
            return True
    return False


class Matcher:
    """All rules of all watchlists, compiled once: `topics(text)` is the set of topic ids whose
    rules match. A topic matches when any of its rules does."""

    def __init__(self, rules):
        self.rules = [(topic_id, rule_compile(kind, pattern)) for topic_id, kind, pattern in rules]

    def __bool__(self):
        return bool(self.rules)

    def topics(self, text):
        text = normalise(text)
        return {topic_id for topic_id, compiled in self.rules if compiled.search(text)}
