"""Identify the language of a short message among the languages we serve.

No identifier on PyPI covers Tigrinya and Somali together with Pashto and
Dari on a few words, so this one is a small naive Bayes model over character
n-grams, trained when the knowledge base loads on its own phrasings and
answers: it knows exactly our languages, including Arabic and Persian written
in Latin letters, and downloads nothing. The script of the text narrows the
choice first; letters that only one language uses decide outright.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

from bot.normalize import clean

LANGUAGES = ("nl", "en", "fr", "ar", "fa", "ps", "ti", "so", "tr", "uk", "ru")

_PASHTO_LETTERS = set("ټډړښږګڼېۍځڅ")
_UKRAINIAN_LETTERS = set("іїєґ")
_RUSSIAN_LETTERS = set("ыэъё")

# Which of our languages a script can be; Latin covers transliterations too.
_SCRIPT_LANGUAGES = {
    "arabic": ("ar", "fa", "ps"),
    "cyrillic": ("uk", "ru"),
    "ethiopic": ("ti",),
    "latin": LANGUAGES,
}

# Additive smoothing, small: the Latin-letter Arabic or Persian models learn from
# a few hundred phrasings, and a large pseudo-count would flatten them.
_SMOOTHING = 0.1

# Weight of the person's chosen language: a prior, worth about this many log units.
_CHOSEN_LANGUAGE_BONUS = 4.0
_SHORT_TEXT_LETTERS = 6


def script_of(text: str) -> str | None:
    """The dominant script of ``text`` among Arabic, Cyrillic, Ethiopic and Latin."""
    counts: Counter[str] = Counter()
    for char in text:
        code = ord(char)
        if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
            counts["arabic"] += 1
        elif 0x0400 <= code <= 0x04FF:
            counts["cyrillic"] += 1
        elif 0x1200 <= code <= 0x139F or 0x2D80 <= code <= 0x2DDF:
            counts["ethiopic"] += 1
        elif char.isalpha() and code < 0x0250:
            counts["latin"] += 1
    # A Belgian term in Latin letters inside an Arabic sentence does not make it Latin.
    for script in ("ethiopic", "arabic", "cyrillic"):
        if counts[script] >= max(2, counts["latin"] // 3):
            return script
    return "latin" if counts["latin"] else None


def _ngrams(text: str) -> list[str]:
    grams: list[str] = []
    for word in clean(text).split():
        word = "".join(c for c in word if c.isalnum())
        if not word:
            continue
        padded = f" {word} "
        grams.append(padded)
        for size in (1, 2, 3):
            grams.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams


class LanguageIdentifier:
    """Naive Bayes over character n-grams, one model per language and script:
    Arabic written in Latin letters is compared with the Latin-letter
    Arabic of the training text, not with its Arabic script."""

    def __init__(self, samples: Iterable[tuple[str, str]]):
        counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for lang, text in samples:
            script = script_of(text)
            if script is not None:
                counts[lang, script].update(_ngrams(text))
        vocabulary: dict[str, set[str]] = defaultdict(set)
        for (_, script), counter in counts.items():
            vocabulary[script].update(counter)
        self._log_prob: dict[tuple[str, str], dict[str, float]] = {}
        self._log_unseen: dict[tuple[str, str], float] = {}
        for model, counter in counts.items():
            total = sum(counter.values()) + _SMOOTHING * (len(vocabulary[model[1]]) + 1)
            self._log_prob[model] = {g: math.log((n + _SMOOTHING) / total) for g, n in counter.items()}
            self._log_unseen[model] = math.log(_SMOOTHING / total)

    @property
    def languages(self) -> set[str]:
        return {lang for lang, _ in self._log_prob}

    def identify(self, text: str, chosen: str | None = None) -> str | None:
        """The most likely language of ``text``; ``chosen`` (the language the
        person picked) counts as a prior. None when nothing in it is a letter."""
        script = script_of(text)
        if script is None:
            return chosen
        lowered = clean(text)
        if script == "arabic" and _PASHTO_LETTERS & set(lowered):
            return "ps"
        if script == "cyrillic":
            letters = set(lowered)
            if _UKRAINIAN_LETTERS & letters and not _RUSSIAN_LETTERS & letters:
                return "uk"
            if _RUSSIAN_LETTERS & letters and not _UKRAINIAN_LETTERS & letters:
                return "ru"
        candidates = [lang for lang in _SCRIPT_LANGUAGES[script] if (lang, script) in self._log_prob]
        if len(candidates) <= 1:
            return candidates[0] if candidates else chosen
        # "ok", "merci", "salam": too little evidence to overrule the person's own choice.
        if chosen in candidates and sum(c.isalpha() for c in lowered) < _SHORT_TEXT_LETTERS:
            return chosen
        grams = _ngrams(text)
        scores = {}
        for lang in candidates:
            table, unseen = self._log_prob[lang, script], self._log_unseen[lang, script]
            scores[lang] = sum(table.get(g, unseen) for g in grams) + (_CHOSEN_LANGUAGE_BONUS if lang == chosen else 0)
        return max(scores, key=scores.__getitem__)
