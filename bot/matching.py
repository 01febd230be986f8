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

from bot.knowledge import Entry, KnowledgeBase
from bot.languages import LANGUAGES
from bot.normalize import fold

# Phrasings kept after retrieval, and features too common to be worth a posting walk.
RETRIEVE_LIMIT = 60
MAX_DOCUMENT_FREQUENCY = 0.08
COSINE_WEIGHT = 0.65
# Share of an entry's score that comes from all its phrasings together (its
# vocabulary), against its single best phrasing: long messages with context
# share words with several phrasings of the right entry.
ENTRY_WEIGHT = 0.3
# Calibration targets a typical correct match at this score.
CALIBRATED_TYPICAL = 0.75


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
    """TF-IDF inverted index over phrasings, answering top-k by cosine."""

    def __init__(self, texts: list[str]):
        self.size = len(texts)
        documents = [features(t) for t in texts]
        frequency: Counter[str] = Counter()
        for document in documents:
            frequency.update(document.keys())
        self._idf = {g: math.log((self.size + 1) / (n + 1)) + 1.0 for g, n in frequency.items()}
        too_common = max(50, int(self.size * MAX_DOCUMENT_FREQUENCY))
        postings: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for doc_id, document in enumerate(documents):
            weights = {g: (1 + math.log(n)) * self._idf[g] for g, n in document.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for gram, weight in weights.items():
                if frequency[gram] <= too_common:
                    ids, values = postings[gram]
                    ids.append(doc_id)
                    values.append(weight / norm)
        self._postings = {
            g: (np.asarray(ids, dtype=np.int32), np.asarray(values, dtype=np.float32))
            for g, (ids, values) in postings.items()
        }

    def search(self, text: str, limit: int = RETRIEVE_LIMIT) -> list[tuple[int, float]]:
        """Up to ``limit`` (phrasing index, cosine) pairs, best first."""
        query = features(text)
        weights = {g: (1 + math.log(n)) * self._idf[g] for g, n in query.items() if g in self._idf}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        hits = [(self._postings[g], w / norm) for g, w in weights.items() if g in self._postings]
        if not hits:
            return []
        ids = np.concatenate([posting[0] for posting, _ in hits])
        values = np.concatenate([posting[1] * weight for posting, weight in hits])
        scores = np.bincount(ids, weights=values, minlength=self.size)
        if limit < self.size:
            top = np.argpartition(scores, -limit)[-limit:]
        else:
            top = np.arange(self.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


class Matcher:
    """Ranks knowledge entries for a message; scores are comparable across runs."""

    def __init__(self, knowledge: KnowledgeBase):
        self.knowledge = knowledge
        self._owners: list[str] = []
        self._languages: list[str | None] = []
        texts: list[str] = []
        for entry in knowledge.entries.values():
            for lang, phrasings in entry.questions.items():
                for phrasing in phrasings:
                    self._add(texts, entry, lang, phrasing)
            for lang, title in entry.title.items():
                if entry.kind == "answer":
                    self._add(texts, entry, lang, title)
            for keyword in entry.keywords:
                self._add(texts, entry, None, keyword)
        self._texts = [fold(t) for t in texts]
        self.index = PhrasingIndex(texts)
        self._entry_ids = list(knowledge.entries)
        vocabulary: dict[str, list[str]] = defaultdict(list)
        for owner, text in zip(self._owners, texts):
            vocabulary[owner].append(text)
        self.entry_index = PhrasingIndex([" ".join(vocabulary[e]) for e in self._entry_ids])
        self._scale = {lang: 1.0 for lang in LANGUAGES}
        self._scale.update(self._calibrate())

    def _add(self, texts: list[str], entry: Entry, lang: str | None, text: str) -> None:
        texts.append(text)
        self._owners.append(entry.id)
        self._languages.append(lang)

    def rank(self, text: str, lang: str | None = None, *, exclude: int | None = None) -> list[Scored]:
        """Entries for ``text``, best first, with calibrated scores in [0, 1].

        ``lang`` is the language of the message (for calibration); ``exclude``
        leaves one phrasing out (used to calibrate on the base itself).
        """
        folded = fold(text)
        if not folded:
            return []
        hits = [(i, c) for i, c in self.index.search(text) if i != exclude]
        if not hits:
            return []
        candidates = [self._texts[i] for i, _ in hits]
        fuzzy = process.cdist([folded], candidates, scorer=fuzz.token_sort_ratio, workers=1)[0]
        scale = self._scale.get(lang, 1.0) if lang else 1.0
        best: dict[str, tuple[float, str]] = {}
        for (i, cosine), ratio in zip(hits, fuzzy):
            similarity = COSINE_WEIGHT * cosine + (1 - COSINE_WEIGHT) * ratio / 100.0
            owner = self._owners[i]
            if owner not in best or similarity > best[owner][0]:
                best[owner] = (similarity, self._texts[i])
        vocabulary = {self._entry_ids[i]: c for i, c in self.entry_index.search(text, limit=len(best) * 2 + 10)}
        scored = [
            Scored(owner, round(min(1.0, scale * ((1 - ENTRY_WEIGHT) * similarity
                                                   + ENTRY_WEIGHT * vocabulary.get(owner, 0.0))), 4), phrasing)
            for owner, (similarity, phrasing) in best.items()
        ]
        return sorted(scored, key=lambda s: -s.score)

    def _calibrate(self) -> dict[str, float]:
        """Per-language factors that bring the median correct leave-one-out
        score of each language to CALIBRATED_TYPICAL."""
        by_language: dict[str, list[int]] = defaultdict(list)
        for i, lang in enumerate(self._languages):
            if lang is not None:
                by_language[lang].append(i)
        factors = {}
        for lang, indexes in by_language.items():
            step = max(1, len(indexes) // 60)
            scores = []
            for i in indexes[::step]:
                ranked = self.rank(self._texts[i], None, exclude=i)
                scores.append(next((s.score for s in ranked if s.entry_id == self._owners[i]), 0.0))
            typical = statistics.median(scores) if scores else 0.0
            if typical > 0.2:
                factors[lang] = float(CALIBRATED_TYPICAL / typical)
        return factors
