"""Identify the language of a short message among the languages we serve.

No identifier on PyPI covers Tigrinya and Somali together with Pashto and
Dari on a few words, so this one is a small naive Bayes model over character
n-grams, trained when the knowledge base loads on its own phrasings and
answers: it knows exactly our languages, including Arabic and Persian written
in Latin letters, and downloads nothing. The script of the text narrows the
choice first; letters that only one language uses decide outright.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bot.understanding.normalize import clean

LANGUAGES = ("nl", "en", "fr", "ar", "fa", "ps", "ti", "so", "tr", "uk", "ru")

_PASHTO_LETTERS = set("ټډړښږګڼېۍځڅ")
_UKRAINIAN_LETTERS = set("іїєґ")
_RUSSIAN_LETTERS = set("ыэъё")

# Additive smoothing, small: the Latin-letter Arabic or Persian models learn from
# a few hundred phrasings, and a large pseudo-count would flatten them.
_SMOOTHING = 0.1

# Weight of the person's chosen language: a prior, worth about this many log units.
_CHOSEN_LANGUAGE_BONUS = 4.0
_SHORT_TEXT_LETTERS = 6
# Latin letters read as a language of another script (Arabizi, Finglish, translit) only with this
# much evidence: the best language's log-probability per n-gram above the next one's. Below it, the
# text has no clear language (gibberish, a name, "ok"), and the reply follows the person's languages.
# On the tuning questions and random letters: 0.3 keeps 197 of 210 transliterated questions clear and
# finds 279 of 310 gibberish strings unclear (0.2: 205 and 240).
_CLEAR_MARGIN = 0.3
_OWN_SCRIPT = {"ar": "arabic", "fa": "arabic", "ps": "arabic", "ti": "ethiopic", "uk": "cyrillic", "ru": "cyrillic"}
# Training texts per language and script: plenty for n-gram statistics, and start-up
# time stays flat however large the knowledge base grows.
_MAX_SAMPLES = 3000


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


@dataclass
class _ScriptModels:
    """The naive Bayes models of one script: a row of log-probabilities per
    n-gram, a column per language."""

    languages: list[str]
    rows: dict[str, int]
    log_prob: np.ndarray
    log_unseen: np.ndarray


class LanguageIdentifier:
    """Naive Bayes over character n-grams, one model per language and script:
    Arabic written in Latin letters is compared with the Latin-letter
    Arabic of the training text, not with its Arabic script."""

    def __init__(self, samples: Iterable[tuple[str, str]]):
        counts: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        seen: Counter[tuple[str, str]] = Counter()
        for lang, text in samples:
            script = script_of(text)
            if script is not None and seen[lang, script] < _MAX_SAMPLES:
                seen[lang, script] += 1
                counts[script][lang].update(_ngrams(text))
        self._scripts: dict[str, _ScriptModels] = {}
        for script, per_language in counts.items():
            languages = sorted(per_language)
            rows = {g: n for n, g in enumerate(set().union(*per_language.values()))}
            totals = np.array([sum(per_language[lang].values()) for lang in languages], dtype=np.float64)
            totals += _SMOOTHING * (len(rows) + 1)
            table = np.full((len(rows), len(languages)), _SMOOTHING)
            for column, lang in enumerate(languages):
                for gram, n in per_language[lang].items():
                    table[rows[gram], column] += n
            self._scripts[script] = _ScriptModels(languages, rows, np.log(table / totals), np.log(_SMOOTHING / totals))

    @property
    def languages(self) -> set[str]:
        return {lang for models in self._scripts.values() for lang in models.languages}

    def identify(self, text: str, chosen: str | None = None) -> str | None:
        """The most likely language of ``text``; ``chosen`` (the language the
        person picked) counts as a prior. None when nothing in it is a letter."""
        return self.identified(text, chosen)[0]

    def identified(self, text: str, chosen: str | None = None) -> tuple[str | None, bool]:
        """``identify``, and whether a reply may be written in that language: not when the text is
        in Latin letters, the language is written in another script, and the evidence is thin
        (Latin gibberish must not get a reply in Ge'ez script)."""
        script = script_of(text)
        if script is None:
            return chosen, True
        lowered = clean(text)
        if script == "arabic" and _PASHTO_LETTERS & set(lowered):
            return "ps", True
        if script == "cyrillic":
            letters = set(lowered)
            if _UKRAINIAN_LETTERS & letters and not _RUSSIAN_LETTERS & letters:
                return "uk", True
            if _RUSSIAN_LETTERS & letters and not _UKRAINIAN_LETTERS & letters:
                return "ru", True
        models = self._scripts.get(script)
        if models is None:
            return chosen, True
        if len(models.languages) == 1:
            return models.languages[0], True
        # "ok", "merci", "salam": too little evidence to overrule the person's own choice.
        if chosen in models.languages and sum(c.isalpha() for c in lowered) < _SHORT_TEXT_LETTERS:
            return chosen, True
        grams = _ngrams(text)
        rows = [models.rows[g] for g in grams if g in models.rows]
        scores = models.log_prob[rows].sum(axis=0) + (len(grams) - len(rows)) * models.log_unseen
        evidence = np.sort(scores)[::-1]
        clear = len(evidence) < 2 or (evidence[0] - evidence[1]) / max(len(grams), 1) >= _CLEAR_MARGIN
        if chosen in models.languages:
            scores[models.languages.index(chosen)] += _CHOSEN_LANGUAGE_BONUS
        lang = models.languages[int(np.argmax(scores))]
        return lang, clear or lang == chosen or _OWN_SCRIPT.get(lang, script) == script
