"""A cheap language guess from stopword hits (no model): good enough to flag non-English
articles in a crawl, which the English-only models should not be trusted on."""

from __future__ import annotations

import re

_STOPWORDS = {
    "en": "the and of to in is that for it with as was on are be this by not have from",
    "de": "der die und das ist nicht den mit von sich des auf für ein eine dem zu",
    "fr": "le la les et des est une dans que pour qui sur pas du au avec ce",
    "es": "el la los las y de que en es por una para con del se un no al",
    "it": "il di che la per non una sono del della gli con le un si da",
    "ru": "и в не на что он с как по это но из к у за от то",
}
_WORDS = {lang: set(words.split()) for lang, words in _STOPWORDS.items()}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def guess_language(text: str, sample: int = 2000) -> str | None:
    tokens = [t.lower() for t in _TOKEN.findall(text[:sample])]
    if len(tokens) < 5:
        return None
    scores = {lang: sum(t in words for t in tokens) for lang, words in _WORDS.items()}
    lang, hits = max(scores.items(), key=lambda kv: kv[1])
    return lang if hits / len(tokens) >= 0.05 else None
