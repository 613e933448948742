import pytest
from django.core.exceptions import ValidationError

from emograph.monitoring.models import WatchlistRule
from emograph.monitoring.rules import Matcher, RuleError, rule_compile
from tests.factories import TopicFactory


@pytest.mark.parametrize(
    ("kind", "pattern", "text", "matches"),
    [
        ("keyword", "新冠", "武汉新冠疫情最新消息", True),  # no spaces in Chinese
        ("keyword", "疫苗", "武汉新冠疫情最新消息", False),
        ("keyword", "\uff23\uff2f\uff36\uff29\uff24", "covid cases", True),  # full-width
        ("keyword", "war", "the trade war escalates", True),
        ("keyword", "war", "new software release", False),  # Latin words stand alone
        ("keyword", "bridge closure", "Bridge Closure announced", True),
        ("hashtag", "#武汉加油#", "大家一起 #武汉加油# 挺住", True),  # Weibo form
        ("hashtag", "武汉加油", "#武汉加油#", True),
        ("hashtag", "#Ferguson", "protests in #ferguson tonight", True),  # Twitter form
        ("hashtag", "#Ferguson", "#fergusonriots", False),
        ("regex", r"地铁\d+号线", "地铁2号线停运", True),
        ("regex", r"(?:strike|walkout)s?", "WALKOUTS at the port", True),
    ],
)
def test_rules_match_in_any_script(kind, pattern, text, matches):
    assert bool(Matcher([(1, kind, pattern)]).topics(text)) is matches


@pytest.mark.parametrize(
    ("kind", "pattern", "reason"),
    [
        ("regex", "(a+)+$", "nested repetition"),
        ("regex", "(x*)*y", "nested repetition"),
        ("regex", "(?:a|b+)*c", "nested repetition"),
        ("regex", "([a-z]+", "not a valid regular expression"),
        ("regex", r"(a)\1", "not a usable regular expression"),  # backreference: RE2 refuses
        ("regex", "(?<=a)b", "not a usable regular expression"),  # lookbehind
        ("regex", "((a{100}){100}){100}", "not a usable regular expression"),  # too big
        ("keyword", "   ", "empty"),
        ("hashtag", "two words", "one tag"),
        ("keyword", "x" * 201, "longer than 200"),
    ],
)
def test_bad_and_catastrophic_patterns_are_refused_with_the_reason(kind, pattern, reason):
    with pytest.raises(RuleError, match=reason):
        rule_compile(kind, pattern)


@pytest.mark.django_db
def test_a_rule_is_checked_at_save_through_model_validation():
    watchlist = TopicFactory(kind="watchlist")
    with pytest.raises(ValidationError) as refused:
        WatchlistRule(topic=watchlist, kind="regex", pattern="(a+)+$").full_clean()
    assert "nested repetition" in str(refused.value.message_dict["pattern"])
    tag = TopicFactory(kind="tag")
    with pytest.raises(ValidationError, match="watchlist topics only"):
        WatchlistRule(topic=tag, kind="keyword", pattern="flood").full_clean()
    WatchlistRule(topic=watchlist, kind="keyword", pattern="洪水").full_clean()
