"""Find the knowledge entry that answers a message.

Two stages, so that a knowledge base fifty times larger stays fast:

1. Retrieval: an inverted index over words and character trigrams (TF-IDF,
   cosine) collects the phrasings that share anything distinctive with the
   message, without scoring every phrasing.
2. Ranking: rapidfuzz compares the message with those candidates only
   (token_sort_ratio: order-insensitive, and unlike WRatio or
   token_set_ratio it does not give a short phrasing or a word subset a
   perfect score); the blend of both is the phrasing's similarity, and an
   entry scores as its best phrasing.

Scores are calibrated per language when the matcher is built: each
language's phrasings are matched against the rest of the base, and scores
are scaled so that a typical correct match scores the same in every
language. Thresholds therefore mean the same in Tigrinya and in Dutch.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.knowledge import KnowledgeBase
from bot.languages import LANGUAGES
from bot.normalize import fold

# Phrasings kept after retrieval, and features too common to be worth a posting walk.
RETRIEVE_LIMIT = 60
MAX_DOCUMENT_FREQUENCY = 0.08
COSINE_WEIGHT = 0.65
# Share of an entry's score that comes from all its phrasings together (its
# vocabulary), against its single best phrasing: long messages with context
# share words with several phrasings of the right entry.
ENTRY_WEIGHT = 0.8
# Calibration: a typical correct match scores this; one phrasing in CALIBRATION_EVERY
# is held out to measure it, at most CALIBRATION_SAMPLE per language.
CALIBRATED_TYPICAL = 0.75
CALIBRATION_EVERY = 4
CALIBRATION_SAMPLE = 60


@dataclass(frozen=True)
class Scored:
    entry_id: str
    score: float
    phrasing: str


def features(text: str) -> Counter[str]:
    """Words and boundary-padded character trigrams of folded ``text``."""
    grams: Counter[str] = Counter()
    for word in fold(text).split():
        grams["w:" + word] += 1
        padded = f" {word} "
        if len(padded) <= 4:
            grams[padded] += 1
            continue
        for i in range(len(padded) - 2):
            grams[padded[i : i + 3]] += 1
    return grams


class PhrasingIndex:
    """TF-IDF inverted index over phrasings, answering top-k by cosine.

    Postings are stored flat, sorted by feature: the postings of feature
    number f are ``_documents[_starts[f]:_starts[f + 1]]``.
    """

    def __init__(self, documents: list[Counter[str]]):
        """``documents``: the features of each phrasing (see ``features``)."""
        self.size = len(documents)
        numbering: dict[str, int] = {}
        numbers, owners, counts = [], [], []
        for doc_id, document in enumerate(documents):
            for gram, count in document.items():
                numbers.append(numbering.setdefault(gram, len(numbering)))
                owners.append(doc_id)
                counts.append(count)
        numbers_array = np.asarray(numbers, dtype=np.int64)
        owners_array = np.asarray(owners, dtype=np.int64)
        frequency = np.bincount(numbers_array, minlength=len(numbering))
        idf = np.log((self.size + 1) / (frequency + 1)) + 1.0
        self._idf = dict(zip(numbering, idf.tolist()))
        weights = (1 + np.log(np.asarray(counts, dtype=np.float64))) * idf[numbers_array]
        norms = np.sqrt(np.bincount(owners_array, weights=weights * weights, minlength=self.size))
        weights /= np.where(norms > 0, norms, 1.0)[owners_array]
        # Features in too many phrasings say little and cost a long posting walk: not indexed.
        indexed = frequency[numbers_array] <= max(50, int(self.size * MAX_DOCUMENT_FREQUENCY))
        order = np.argsort(numbers_array[indexed], kind="stable")
        self._documents = owners_array[indexed][order].astype(np.int32)
        self._weights = weights[indexed][order].astype(np.float32)
        self._feature_numbers = numbering
        self._starts = np.concatenate(([0], np.cumsum(np.bincount(numbers_array[indexed], minlength=len(numbering))))).tolist()

    def search(self, query: Counter[str], limit: int = RETRIEVE_LIMIT) -> list[tuple[int, float]]:
        """Up to ``limit`` (document number, cosine) pairs for the features
        ``query``, best first."""
        weights = {g: (1 + math.log(n)) * self._idf[g] for g, n in query.items() if g in self._idf}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        slices, factors = [], []
        for gram, weight in weights.items():
            number = self._feature_numbers.get(gram)
            if number is not None:
                start, stop = self._starts[number], self._starts[number + 1]
                slices.append(slice(start, stop))
                factors.append(np.full(stop - start, weight / norm, dtype=np.float32))
        if not slices:
            return []
        positions = np.concatenate([np.arange(s.start, s.stop) for s in slices])
        values = self._weights[positions] * np.concatenate(factors)
        scores = np.bincount(self._documents[positions], weights=values, minlength=self.size)
        if limit < self.size:
            top = np.argpartition(scores, -limit)[-limit:]
        else:
            top = np.arange(self.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


@dataclass(frozen=True)
class _Phrasing:
    entry_id: str
    lang: str | None
    folded: str
    features: Counter[str]


class Matcher:
    """Ranks knowledge entries for a message; scores are comparable across runs."""

    def __init__(self, knowledge: KnowledgeBase):
        phrasings = []
        for entry in knowledge.entries.values():
            own = [(lang, q) for lang, qs in entry.questions.items() for q in qs]
            own += [(None, keyword) for keyword in entry.keywords]
            if entry.kind == "answer":
                own += list(entry.title.items())
            phrasings += [_Phrasing(entry.id, lang, fold(text), features(text)) for lang, text in own]
        self._index(phrasings)
        self.scale = {lang: 1.0 for lang in LANGUAGES}
        self.scale.update(self._calibration(phrasings))

    def _index(self, phrasings: list[_Phrasing]) -> None:
        self._phrasings = phrasings
        self.index = PhrasingIndex([p.features for p in phrasings])
        # Each entry's vocabulary: the features of all its phrasings together.
        vocabulary: dict[str, Counter[str]] = defaultdict(Counter)
        for phrasing in phrasings:
            vocabulary[phrasing.entry_id].update(phrasing.features)
        self._entry_ids = list(vocabulary)
        self.entry_index = PhrasingIndex(list(vocabulary.values()))

    def rank(self, text: str, lang: str | None = None) -> list[Scored]:
        """Entries for ``text``, best first, with calibrated scores (a typical
        correct match scores CALIBRATED_TYPICAL; a near-copy of a phrasing may
        exceed 1); ``lang`` is the language of the message."""
        folded = fold(text)
        query = features(text)
        hits = self.index.search(query) if folded else []
        if not hits:
            return []
        candidates = [self._phrasings[i].folded for i, _ in hits]
        fuzzy = process.cdist([folded], candidates, scorer=fuzz.token_sort_ratio, workers=1)[0]
        best: dict[str, tuple[float, str]] = {}
        for (i, cosine), ratio in zip(hits, fuzzy):
            similarity = COSINE_WEIGHT * cosine + (1 - COSINE_WEIGHT) * float(ratio) / 100.0
            phrasing = self._phrasings[i]
            if phrasing.entry_id not in best or similarity > best[phrasing.entry_id][0]:
                best[phrasing.entry_id] = (similarity, phrasing.folded)
        vocabulary = {self._entry_ids[i]: c for i, c in self.entry_index.search(query, limit=2 * len(best) + 10)}
        scale = self.scale.get(lang, 1.0)
        scored = [
            Scored(owner, round(scale * ((1 - ENTRY_WEIGHT) * similarity + ENTRY_WEIGHT * vocabulary.get(owner, 0.0)), 4),
                   phrasing)
            for owner, (similarity, phrasing) in best.items()
        ]
        return sorted(scored, key=lambda s: -s.score)

    @staticmethod
    def _calibration(phrasings: list[_Phrasing]) -> dict[str, float]:
        """Per-language factors that bring the median score of a correct match
        to CALIBRATED_TYPICAL: one phrasing in CALIBRATION_EVERY is held out,
        an uncalibrated matcher is built on the rest, and a sample of the
        held-out phrasings is matched against it."""
        held_out: dict[str, list[_Phrasing]] = defaultdict(list)
        kept = []
        for n, phrasing in enumerate(phrasings):
            if phrasing.lang is not None and n % CALIBRATION_EVERY == 1:
                held_out[phrasing.lang].append(phrasing)
            else:
                kept.append(phrasing)
        reference = Matcher.__new__(Matcher)
        reference._index(kept)
        reference.scale = {}
        factors = {}
        for lang, sample in held_out.items():
            scores = []
            for phrasing in sample[:: max(1, len(sample) // CALIBRATION_SAMPLE)]:
                ranked = reference.rank(phrasing.folded)
                scores.append(next((s.score for s in ranked if s.entry_id == phrasing.entry_id), 0.0))
            typical = statistics.median(scores)
            if typical > 0:
                factors[lang] = CALIBRATED_TYPICAL / typical
        return factors
