"""Which text pipeline a post goes to: its import-time language tag, else its script.

No language-ID model ships offline, so untagged text is judged by script: Han, kana, Hangul,
Cyrillic, Arabic and the like are not English; Latin-script text counts as English when it has
English function words, or is too short to say (emoji, "lol", "this!"). Everything not English
goes to the multilingual encoder, which also covers English, so a wrong call costs little.
"""

import re
import unicodedata

ENGLISH_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "i",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "me",
        "my",
        "your",
        "this",
        "that",
        "to",
        "of",
        "in",
        "on",
        "for",
        "with",
        "not",
        "no",
        "so",
        "just",
        "what",
        "why",
        "how",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "can",
        "will",
        "would",
        "lol",
        "omg",
        "like",
        "im",
        "its",
        "dont",
    ]
)
WORD = re.compile(r"[a-z']+")
LATIN_SHARE = 0.6
IDEOGRAPH_WEIGHT = 3
IDEOGRAPHIC = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL")


def text_language(text, tag=""):
    """'en' or the tag / 'und' (undetermined, non-English): the router's only question."""
    tag = (tag or "").strip().lower()
    if tag:
        return "en" if tag.split("-")[0] == "en" else tag
    latin = other = 0
    for c in text:
        if c.isalpha():
            name = unicodedata.name(c, "")
            if "LATIN" in name:
                latin += 1
            else:
                # One Han/kana/Hangul character carries about a word: weigh it like one.
                other += IDEOGRAPH_WEIGHT if name.startswith(IDEOGRAPHIC) else 1
    if not latin + other:
        return "en"  # emoji, numbers, punctuation: nothing for a language to decide
    if latin / (latin + other) < LATIN_SHARE:
        return "und"
    words = WORD.findall(text.lower())
    if len(words) <= 2 or any(w in ENGLISH_WORDS for w in words):
        return "en"
    return "und"


def pipeline_for(text, tag=""):
    """The text pipeline (emotions/pipelines.py) a text goes to."""
    return "english" if text_language(text, tag) == "en" else "multilingual"
