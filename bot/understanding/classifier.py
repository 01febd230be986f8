"""Which entry a message is about, learned from the entries' phrasings: a
signal beside the lexical ranking of ``matching``, and different from it.

The lexical ranker asks which phrasings a message resembles; this model asks
which n-grams tell one entry from the others. A multiclass averaged
perceptron with a margin, over the TF-IDF character 2–5-gram and word 1–2-gram
vectors of ``linear``: trained at start-up in a few seconds, deterministic,
and read as sparse postings (feature → the entries it speaks for or against),
so that scoring a message costs a fraction of a millisecond. On questions
written by people who never saw the phrasings, it puts the right entry first
about as often as the lexical ranker, and with it (their scores added) three
to five points more often than either alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.understanding import linear
from bot.understanding.kept import MODEL_CACHE, KeptModels, save_arrays
from bot.understanding.linear import FeatureTable, NgramIndex, Vocabulary, ngram_features

EPOCHS = 10
# An example counts as learned once its entry leads every other by this much (its vector has unit
# length): on unseen questions 1.0 put the right entry first more often than 0.3 or 0.6.
MARGIN = 1.0
# Smaller bases train in a fraction of a second: keeping their models would only push the large ones out.
_KEPT_FROM_TEXTS = 2000
_KEPT_MODELS = 4


class EntryClassifier:
    """Scores for each of ``size`` entries (numbered by the caller) for a text."""

    def __init__(self, weights: NgramIndex):
        self._weights = weights  # by feature: the entries' weights ("owners" are entry numbers)

    @property
    def size(self) -> int:
        return self._weights.size

    def scores(self, text: str) -> np.ndarray:
        """One score an entry: the text's TF-IDF vector times the entry's weights."""
        return self._weights.similarities_of(self._weights.vocabulary.vector(ngram_features(text)))

    def save(self, path: Path) -> None:
        save_arrays(path, {**self._weights.vocabulary.arrays("vocabulary_"), **self._weights.arrays("weights_")})

    @classmethod
    def load(cls, path: Path) -> EntryClassifier:
        with np.load(path, allow_pickle=False) as arrays:
            return cls(NgramIndex.from_arrays(arrays, "weights_", Vocabulary.from_arrays(arrays, "vocabulary_")))

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[int], size: int,
              cache: Path | None = MODEL_CACHE) -> EntryClassifier:
        """Learn from ``texts`` whose entries are ``labels`` (numbers below ``size``): once per process
        for the same examples (engines are built again on reload, mostly of the same phrasings), and
        kept in ``cache`` for the next start (None: not kept)."""
        return _trained(tuple(texts), tuple(labels), size, cache)


@lru_cache(maxsize=2)
def _trained(texts: tuple[str, ...], labels: tuple[int, ...], size: int, cache: Path | None) -> EntryClassifier:
    learned = hashlib.sha256(Path(__file__).read_bytes() + Path(linear.__file__).read_bytes())
    learned.update("\0".join(texts).encode() + np.asarray(labels, dtype=np.int32).tobytes() + str(size).encode())
    digest = learned.hexdigest()[:24]
    kept = KeptModels(cache if len(texts) >= _KEPT_FROM_TEXTS else None, "entries", _KEPT_MODELS)
    model = kept.load(digest, EntryClassifier.load)
    if model is None:
        model = _fitted(texts, labels, size)
        kept.save(digest, model.save)
    return model


def _fitted(texts: tuple[str, ...], labels: tuple[int, ...], size: int) -> EntryClassifier:
    table = FeatureTable()
    vocabulary = table.vocabulary(texts, min_count=2)
    rows = table.vectors(vocabulary, texts)
    weights = np.zeros((len(vocabulary), size), np.float32)
    # The average of the weights over every step, without adding them up at each step:
    # ``weighted`` holds each update times the step it was made at.
    weighted = np.zeros_like(weights)
    order = np.arange(len(rows))
    shuffle = np.random.default_rng(0)
    step = 1
    for _ in range(EPOCHS):
        shuffle.shuffle(order)
        for example in order.tolist():
            ids, values = rows[example]
            if len(ids):
                scores = values @ weights[ids]
                label = labels[example]
                scores[label] -= MARGIN
                rival = int(np.argmax(scores))
                if rival != label:
                    for entry, sign in ((label, 1.0), (rival, -1.0)):
                        weights[ids, entry] += sign * values
                        weighted[ids, entry] += sign * step * values
            step += 1
    average = weights - weighted / step
    features, entries = np.nonzero(average)
    starts = np.searchsorted(features, np.arange(len(vocabulary) + 1)).astype(np.int32)
    postings = NgramIndex(vocabulary, starts, entries.astype(np.int32),
                          average[features, entries].astype(np.float16), size)
    return EntryClassifier(postings)
