"""Find the knowledge entry that answers a message.

Two stages, so that a knowledge base fifty times larger stays fast:

1. Retrieval: an inverted index over words and character trigrams (TF-IDF,
   cosine) collects the phrasings that share anything distinctive with the
   message, without scoring every phrasing.
2. Ranking: rapidfuzz compares the message with those candidates only
   (token_sort_ratio: order-insensitive, and unlike WRatio or
   token_set_ratio it does not give a short phrasing or a word subset a
   perfect score); blended with the cosine, that is a phrasing's
   similarity. An entry scores as its best phrasing blended with the cosine
   between the message and the entry's whole vocabulary (all its phrasings
   together, a second small index): a long message with context shares
   words with several phrasings of the right entry, seldom with one.

Lexical scores are calibrated per language when the matcher is built: a
sample of each language's phrasings is held out and matched against the
rest, and scores are scaled so that a typical correct match scores the same
in every language. Thresholds therefore mean the same in Tigrinya and in
Dutch.

3. Fusion: an entry's score is its lexical score and the score of a
   classifier trained on the same phrasings (``classifier.EntryClassifier``)
   together, so an entry the lexical ranker did not retrieve can still come
   first when the classifier is sure of it.
"""
from __future__ import annotations

import logging
import math
import statistics
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.content.knowledge import KnowledgeBase
from bot.understanding.classifier import EntryClassifier
from bot.understanding.normalize import fold

log = logging.getLogger(__name__)

# Phrasings kept after retrieval, and features too common to be worth a posting walk.
RETRIEVE_LIMIT = 60
MAX_DOCUMENT_FREQUENCY = 0.08
MAX_POSTINGS = 2000
COSINE_WEIGHT = 0.65
# Share of an entry's score that comes from all its phrasings together (its
# vocabulary), against its single best phrasing: long messages with context
# share words with several phrasings of the right entry.
ENTRY_WEIGHT = 0.8
# Calibration: in every language a typical correct match scores CALIBRATED_TYPICAL; one
# phrasing in CALIBRATION_EVERY is held out to measure it, at most CALIBRATION_SAMPLE per
# language.
CALIBRATED_TYPICAL = 0.75
CALIBRATION_EVERY = 4
CALIBRATION_SAMPLE = 60
# An entry's score: (lexical + CLASSIFIER_WEIGHT × classifier) / (1 + CLASSIFIER_WEIGHT). A typical
# correct match scores about 1 with the classifier too, so the bands keep their meaning. On eval/tune
# (997 questions; top-1, wrong): 0 → 85.5%, 2.2%; 0.1 → 89.2%, 1.9%; 0.15 → 90.8%, 1.9%;
# 0.3 → 90.7%, 2.8%; 0.5 → 91.6%, 3.3% (fewer wrong answers first).
CLASSIFIER_WEIGHT = 0.15
# A message of fewer words is ranked on its lexical score alone: the classifier's reading of one or
# two words is the weight of a word ("school", "kosten"), not of a question, and lifts one entry far
# above the others that word belongs to just as well.
CLASSIFIED_FROM_WORDS = 3
# The classifier holds two weights for every feature and entry while it learns (the bundled base's
# 87 entries and 206,000 features: 140 MB for the seconds it trains): a base of more entries than this
# (twice the bundled base's) is ranked on its lexical score alone.
MAX_CLASSIFIED_ENTRIES = 200
# Entries returned by ``rank``.
RANK_LIMIT = 20


@dataclass(frozen=True)
class Scored:
    entry_id: str
    score: float
    phrasing: str


def features(text: str) -> Counter[str]:
    """Words and boundary-padded character trigrams of folded ``text``."""
    return _features_of_folded(fold(text))


def _features_of_folded(folded: str) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word in folded.split():
        grams["w:" + word] += 1
        padded = f" {word} "
        if len(padded) <= 4:
            grams[padded] += 1
            continue
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


class PhrasingIndex:
    """TF-IDF inverted index over phrasings, answering top-k by cosine.

    Postings are stored flat, sorted by feature and, within a feature, by
    weight: the postings of feature number f are
    ``_documents[_starts[f]:_ends[f]]``. Features in too many phrasings say
    little and are not indexed; a feature keeps at most MAX_POSTINGS
    postings (its heaviest), so that a question costs the same on a base
    fifty times larger.
    """

    def __init__(self, documents: Iterable[Counter[str]]):
        """``documents``: the features of each phrasing (see ``features``), read once."""
        self.size = 0
        numbering: dict[str, int] = {}
        # typed arrays: a list of a million Python numbers would be most of a start's memory
        numbers, owners, counts = array("q"), array("q"), array("q")
        for doc_id, document in enumerate(documents):
            for gram, count in document.items():
                numbers.append(numbering.setdefault(gram, len(numbering)))
                owners.append(doc_id)
                counts.append(count)
            self.size = doc_id + 1
        numbers_array = np.frombuffer(numbers, dtype=np.int64)
        owners_array = np.frombuffer(owners, dtype=np.int64)
        frequency = np.bincount(numbers_array, minlength=len(numbering))
        idf = np.log((self.size + 1) / (frequency + 1)) + 1.0
        self._numbers = numbering
        self._idf = idf
        weights = (1 + np.log(np.asarray(counts, dtype=np.float64))) * idf[numbers_array]
        norms = np.sqrt(np.bincount(owners_array, weights=weights * weights, minlength=self.size))
        weights /= np.where(norms > 0, norms, 1.0)[owners_array]
        indexed = frequency[numbers_array] <= max(50, int(self.size * MAX_DOCUMENT_FREQUENCY))
        numbers_array, owners_array, weights = numbers_array[indexed], owners_array[indexed], weights[indexed]
        order = np.lexsort((-weights, numbers_array))
        numbers_array, owners_array, weights = numbers_array[order], owners_array[order], weights[order]
        per_feature = np.bincount(numbers_array, minlength=len(numbering))
        starts = np.concatenate(([0], np.cumsum(per_feature)[:-1])).astype(np.int64)
        keep = np.arange(len(numbers_array)) - starts[numbers_array] < MAX_POSTINGS
        self._documents = owners_array[keep].astype(np.int32)
        self._weights = weights[keep].astype(np.float32)
        kept = np.minimum(per_feature, MAX_POSTINGS)
        self._starts = np.concatenate(([0], np.cumsum(kept)[:-1])).astype(np.int64)
        self._ends = self._starts + kept

    def search(self, query: Counter[str], limit: int = RETRIEVE_LIMIT) -> list[tuple[int, float]]:
        """Up to ``limit`` (document number, cosine) pairs for the features
        ``query``, best first."""
        found, cosines = self.top(query, limit)
        return list(zip(found.tolist(), cosines.tolist()))

    def top(self, query: Counter[str], limit: int = RETRIEVE_LIMIT) -> tuple[np.ndarray, np.ndarray]:
        """``search`` as two arrays: document numbers and their cosines."""
        scores = self.cosines(query)
        touched = np.nonzero(scores > 0)[0]  # a quarter of flatnonzero's time on floats
        if len(touched) > limit:
            touched = touched[np.argpartition(scores[touched], -limit)[-limit:]]
        touched = touched[np.argsort(-scores[touched], kind="stable")]
        return touched, scores[touched]

    def cosines(self, query: Counter[str]) -> np.ndarray:
        """The cosine of every document with the features ``query``."""
        numbers = np.fromiter((self._numbers.get(g, -1) for g in query), dtype=np.int64, count=len(query))
        known = numbers >= 0
        if not known.any():
            return np.zeros(self.size)
        numbers = numbers[known]
        counts = np.fromiter(query.values(), dtype=np.float64, count=len(query))[known]
        weights = (1 + np.log(counts)) * self._idf[numbers]
        weights /= math.sqrt(float(weights @ weights))
        starts, lengths = self._starts[numbers], self._ends[numbers] - self._starts[numbers]
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(self.size)
        # Every posting of every query feature, gathered in one step.
        positions = np.arange(total) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        values = self._weights[positions] * np.repeat(weights, lengths)
        return np.bincount(self._documents[positions], weights=values, minlength=self.size)


@dataclass(frozen=True)
class _Phrasing:
    entry_id: str
    lang: str | None
    folded: str


class Matcher:
    """Ranks knowledge entries for a message; scores are comparable across runs."""

    def __init__(self, knowledge: KnowledgeBase):
        phrasings = []
        for entry in knowledge.entries.values():
            own = [(lang, q) for lang, qs in entry.questions.items() for q in qs]
            own += [(None, keyword) for keyword in entry.keywords]
            if entry.kind == "answer":
                own += list(entry.title.items())
            phrasings += [_Phrasing(entry.id, lang, fold(text)) for lang, text in own]
        self._index(phrasings)
        self.calibration = self._calibration(phrasings)
        numbering = {entry_id: n for n, entry_id in enumerate(self._entry_ids)}
        self.classifier = None
        if len(numbering) <= MAX_CLASSIFIED_ENTRIES:
            self.classifier = EntryClassifier.train([p.folded for p in phrasings],
                                                    [numbering[p.entry_id] for p in phrasings], len(numbering))
        else:
            log.warning("%d entries: more than the entry classifier can learn (%d); ranking on the lexical "
                        "score alone", len(numbering), MAX_CLASSIFIED_ENTRIES)

    def _index(self, phrasings: list[_Phrasing]) -> None:
        self._folded = [p.folded for p in phrasings]
        # The features of each phrasing are computed as they are indexed, and again for the entries'
        # vocabularies: kept for all phrasings, they would be half of a start's memory.
        self.index = PhrasingIndex(_features_of_folded(p.folded) for p in phrasings)
        # Each entry's vocabulary: the features of all its phrasings together.
        vocabulary: dict[str, Counter[str]] = defaultdict(Counter)
        for phrasing in phrasings:
            vocabulary[phrasing.entry_id].update(_features_of_folded(phrasing.folded))
        self._entry_ids = list(vocabulary)
        numbering = {entry_id: n for n, entry_id in enumerate(self._entry_ids)}
        self._owners = np.array([numbering[p.entry_id] for p in phrasings], dtype=np.int64)
        self.entry_index = PhrasingIndex(list(vocabulary.values()))

    def rank(self, text: str, lang: str | None = None) -> list[Scored]:
        """Up to RANK_LIMIT entries for ``text``, best first; ``lang`` is the language of the message.
        Scores are comparable across runs and languages; a near-copy of a phrasing may exceed 1."""
        folded = fold(text)
        if not folded:
            return []
        lexical, best_phrasings = self._lexical(folded, lang)
        if self.classifier is None or len(folded.split()) < CLASSIFIED_FROM_WORDS:
            scores = lexical
        else:
            scores = (lexical + CLASSIFIER_WEIGHT * self.classifier.scores(folded)) / (1 + CLASSIFIER_WEIGHT)
        scores = np.round(scores, 4)
        candidates = np.flatnonzero(lexical > 0)
        ranking = candidates[np.argsort(-scores[candidates], kind="stable")][:RANK_LIMIT]
        return [Scored(self._entry_ids[entry], score, best_phrasings.get(entry, ""))
                for entry, score in zip(ranking.tolist(), scores[ranking].tolist())]

    def _lexical(self, folded: str, lang: str | None) -> tuple[np.ndarray, dict[int, str]]:
        """Every entry's calibrated lexical score (0 for an entry that shares nothing with the message),
        and the best phrasing of each entry whose phrasings were retrieved."""
        query = _features_of_folded(folded)
        found, cosines = self.index.top(query)
        if not len(found):
            return np.zeros(len(self._entry_ids)), {}
        fuzzy = process.cdist([folded], [self._folded[i] for i in found.tolist()], scorer=fuzz.token_sort_ratio,
                              workers=1)[0]
        similarity = COSINE_WEIGHT * cosines + (1 - COSINE_WEIGHT) / 100.0 * fuzzy
        # Each entry's best phrasing: the first of its phrasings by similarity.
        by_similarity = np.argsort(-similarity, kind="stable")
        _, first = np.unique(self._owners[found[by_similarity]], return_index=True)
        best = by_similarity[np.sort(first)]
        entries = self._owners[found[best]]
        best_similarity = np.zeros(len(self._entry_ids))
        best_similarity[entries] = similarity[best]
        raw = (1 - ENTRY_WEIGHT) * best_similarity + ENTRY_WEIGHT * self.entry_index.cosines(query)
        phrasings = {entry: self._folded[phrasing] for entry, phrasing in zip(entries.tolist(), found[best].tolist())}
        return self.calibration.get(lang, 1.0) * raw, phrasings

    @staticmethod
    def _calibration(phrasings: list[_Phrasing]) -> dict[str, float]:
        """Per language, the factor that brings the median score of a correct
        match to CALIBRATED_TYPICAL.

        About one phrasing in CALIBRATION_EVERY is held out, an uncalibrated
        matcher is built on the rest, and a sample of the held-out phrasings
        is matched against it. Which phrasings are held out depends on their
        text alone (a checksum), not on their place in the files: adding or
        removing one phrasing changes the sample by that phrasing only.
        """
        held_out: dict[str, list[tuple[int, _Phrasing]]] = defaultdict(list)
        kept = []
        for phrasing in phrasings:
            checksum = zlib.crc32(phrasing.folded.encode())
            if phrasing.lang is not None and checksum % CALIBRATION_EVERY == 1:
                held_out[phrasing.lang].append((checksum, phrasing))
            else:
                kept.append(phrasing)
        reference = Matcher.__new__(Matcher)
        reference._index(kept)
        reference.calibration = {}
        reference.classifier = None
        factors = {}
        for lang, sample in held_out.items():
            scores = []
            for _, phrasing in sorted(sample, key=lambda pair: pair[0])[:CALIBRATION_SAMPLE]:
                ranked = reference.rank(phrasing.folded)
                scores.append(next((s.score for s in ranked if s.entry_id == phrasing.entry_id), 0.0))
            typical = statistics.median(scores)
            if typical > 0:
                factors[lang] = CALIBRATED_TYPICAL / typical
        return factors
