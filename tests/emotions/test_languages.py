import pytest

from emograph.emotions.languages import text_language


@pytest.mark.parametrize(
    ("text", "tag", "expected"),
    [
        ("I love this so much", "", "en"),
        ("lol", "", "en"),
        ("this!", "", "en"),
        ("😂😂😂", "", "en"),
        ("", "", "en"),
        ("今天心情很好", "", "und"),
        ("转发微博 #新冠# 太可怕了 lol", "", "und"),  # mostly Han: the multilingual encoder
        ("疫情快点结束吧 so tired of this", "", "und"),  # a Han character weighs about a word
        ("I love Beijing 北京", "", "en"),
        ("Das ist wirklich schrecklich heute", "", "und"),
        ("Это ужасно", "", "und"),
        ("anything at all", "zh", "zh"),
        ("你好", "en-GB", "en"),
    ],
)
def test_language_routing(text, tag, expected):
    assert text_language(text, tag) == expected
