"""Linear text models over character and word n-grams, trained with numpy.

Small, fast and independent of any downloaded weights: a model is trained at
start-up from the project's own data. Features are computed on the folded
text (see ``normalize.fold``), so accents, letter variants and case do not
matter; character n-grams carry misspellings and Latin-letter writing, word
uni- and bigrams carry phrases.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.understanding.normalize import fold

_CHAR_NGRAMS = (2, 3, 4, 5)


def ngram_features(text: str) -> set[str]:
    """The character 2–5-grams (with word boundaries) and the word uni- and
    bigrams of ``text``'s folded form."""
    folded = fold(text)
    padded = f" {folded} "
    features = {padded[i:i + n] for n in _CHAR_NGRAMS for i in range(len(padded) - n + 1)}
    words = folded.split()
    features.update("w:" + word for word in words)
    features.update(f"b:{a} {b}" for a, b in zip(words, words[1:]))
    return features


@dataclass(frozen=True)
class Vocabulary:
    index: dict[str, int]
    # Inverse document frequency: n-grams in every text ("e ", " a") say little.
    idf: np.ndarray

    @classmethod
    def of(cls, feature_sets: Sequence[set[str]], min_count: int) -> Vocabulary:
        """Features seen in at least ``min_count`` texts (rarer ones only overfit)."""
        counts = Counter(feature for features in feature_sets for feature in features)
        kept = sorted(feature for feature, count in counts.items() if count >= min_count)
        idf = np.log((1 + len(feature_sets)) / (1 + np.array([counts[f] for f in kept], dtype=float))) + 1
        return cls({feature: i for i, feature in enumerate(kept)}, idf)

    def ids(self, features: set[str]) -> list[int]:
        return [self.index[f] for f in features if f in self.index]

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The vocabulary as arrays (for ``numpy.savez``; no pickling). Folded
        features never contain a line break, so one joined text holds them all."""
        text = "\n".join(sorted(self.index, key=self.index.get)).encode("utf-8")
        return {f"{prefix}features": np.frombuffer(text, dtype=np.uint8), f"{prefix}idf": self.idf}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> Vocabulary:
        text = arrays[f"{prefix}features"].tobytes().decode("utf-8")
        return cls({feature: i for i, feature in enumerate(text.split("\n"))}, arrays[f"{prefix}idf"])

    def vector(self, features: set[str]) -> tuple[np.ndarray, np.ndarray]:
        """The ids of ``features`` and their TF-IDF values, scaled to unit length."""
        ids = np.array(self.ids(features), dtype=np.int64)
        values = self.idf[ids]
        norm = np.sqrt((values * values).sum())
        return ids, values / norm if norm else values


class LogisticModel:
    """Binary logistic regression on TF-IDF n-gram vectors of unit length, so
    that long texts do not score by length alone."""

    def __init__(self, vocabulary: Vocabulary, weights: np.ndarray, bias: float):
        self.vocabulary = vocabulary
        self.weights = weights
        self.bias = bias

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``text``'s TF-IDF vector in this model's vocabulary (ids and values)."""
        return self.vocabulary.vector(ngram_features(text))

    def logit(self, text: str) -> float:
        return self.logit_of(self.vector(text))

    def logit_of(self, vector: tuple[np.ndarray, np.ndarray]) -> float:
        ids, values = vector
        return self.bias + float(self.weights[ids] @ values)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {**self.vocabulary.arrays(prefix), f"{prefix}weights": self.weights,
                f"{prefix}bias": np.array([self.bias])}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> LogisticModel:
        return cls(Vocabulary.from_arrays(arrays, prefix), arrays[f"{prefix}weights"],
                   float(arrays[f"{prefix}bias"][0]))

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[bool], sample_weights: Sequence[float],
              *, epochs: int = 200, learning_rate: float = 0.1, l2: float = 1e-5,
              min_count: int = 2) -> LogisticModel:
        """Full-batch Adam on the weighted log loss; deterministic (no sampling)."""
        feature_sets = [ngram_features(text) for text in texts]
        vocabulary = Vocabulary.of(feature_sets, min_count)
        rows = [vocabulary.vector(features) for features in feature_sets]
        lengths = np.array([len(ids) for ids, _ in rows])
        columns = np.concatenate([ids for ids, _ in rows])
        values = np.concatenate([vals for _, vals in rows])
        owners = np.repeat(np.arange(len(rows)), lengths)

        def logits(weights: np.ndarray) -> np.ndarray:
            return np.bincount(owners, weights=weights[columns] * values, minlength=len(rows))

        def spread(error: np.ndarray) -> np.ndarray:
            return np.bincount(columns, weights=values * error[owners], minlength=len(vocabulary.index))

        parameters = _fit_logistic(logits, spread, len(vocabulary.index), labels, sample_weights,
                                   epochs=epochs, learning_rate=learning_rate, l2=l2)
        return cls(vocabulary, parameters[:-1].copy(), float(parameters[-1]))


class NgramIndex:
    """The TF-IDF n-gram vectors of example texts, kept by feature, so that a
    text's cosine to every example costs a fraction of a millisecond."""

    def __init__(self, vocabulary: Vocabulary, starts: np.ndarray, owners: np.ndarray, values: np.ndarray,
                 size: int):
        self.vocabulary = vocabulary
        self.starts = starts  # the examples of feature f: owners[starts[f]:starts[f + 1]]
        self.owners = owners
        self.values = values
        self.size = size  # the number of examples

    @classmethod
    def of(cls, vocabulary: Vocabulary, texts: Sequence[str]) -> NgramIndex:
        rows = [vocabulary.vector(ngram_features(text)) for text in texts]
        features = np.concatenate([ids for ids, _ in rows])
        order = np.argsort(features, kind="stable")
        owners = np.repeat(np.arange(len(rows)), [len(ids) for ids, _ in rows])[order]
        values = np.concatenate([values for _, values in rows])[order]
        starts = np.searchsorted(features[order], np.arange(len(vocabulary.index) + 1))
        return cls(vocabulary, starts.astype(np.int32), owners.astype(np.int32), values.astype(np.float16), len(rows))

    def similarities(self, text: str) -> np.ndarray:
        """The cosine of ``text`` to each example."""
        return self.similarities_of(self.vocabulary.vector(ngram_features(text)))

    def similarities_of(self, vector: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """The cosine of a TF-IDF ``vector`` of the index's vocabulary to each example."""
        ids, weights = vector
        if not len(ids):
            return np.zeros(self.size)
        begins = self.starts[ids]
        lengths = self.starts[ids + 1] - begins
        # The positions of every feature's examples, one run after the other.
        positions = np.repeat(begins - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return np.bincount(self.owners[positions], weights=self.values[positions] * np.repeat(weights, lengths),
                           minlength=self.size)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Without the vocabulary: it is the model's whose vectors these are."""
        return {f"{prefix}starts": self.starts, f"{prefix}owners": self.owners, f"{prefix}values": self.values,
                f"{prefix}size": np.array([self.size])}

    @classmethod
    def from_arrays(cls, arrays, prefix: str, vocabulary: Vocabulary) -> NgramIndex:
        return cls(vocabulary, arrays[f"{prefix}starts"], arrays[f"{prefix}owners"], arrays[f"{prefix}values"],
                   int(arrays[f"{prefix}size"][0]))


class VectorLogistic:
    """Binary logistic regression on dense vectors (sentence embeddings)."""

    def __init__(self, weights: np.ndarray, bias: float):
        self.weights = weights
        self.bias = bias

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        return vectors @ self.weights + self.bias

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}weights": self.weights, f"{prefix}bias": np.array([self.bias])}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> VectorLogistic:
        return cls(arrays[f"{prefix}weights"], float(arrays[f"{prefix}bias"][0]))

    @classmethod
    def train(cls, vectors: np.ndarray, labels: Sequence[bool], sample_weights: Sequence[float],
              *, epochs: int = 300, learning_rate: float = 0.05, l2: float = 1e-5) -> VectorLogistic:
        vectors = np.asarray(vectors, dtype=np.float32)
        parameters = _fit_logistic(lambda weights: vectors @ weights, lambda error: vectors.T @ error,
                                   vectors.shape[1], labels, sample_weights,
                                   epochs=epochs, learning_rate=learning_rate, l2=l2)
        return cls(parameters[:-1].astype(np.float32), float(parameters[-1]))


def _fit_logistic(logits: Callable[[np.ndarray], np.ndarray], spread: Callable[[np.ndarray], np.ndarray],
                  size: int, labels: Sequence[bool], sample_weights: Sequence[float],
                  *, epochs: int, learning_rate: float, l2: float) -> np.ndarray:
    """Full-batch Adam on the weighted log loss; deterministic (no sampling).
    ``logits(weights)`` are the examples' logits without the bias, ``spread(error)``
    the gradient of the weights for the examples' errors. Returns the weights, then the bias."""
    targets = np.asarray(labels, dtype=float)
    weight_of = np.asarray(sample_weights, dtype=float)
    weight_of = weight_of / weight_of.sum()
    parameters = np.zeros(size + 1)  # the last one is the bias
    first, second = np.zeros_like(parameters), np.zeros_like(parameters)
    for step in range(1, epochs + 1):
        weights, bias = parameters[:-1], parameters[-1]
        error = (1 / (1 + np.exp(-(logits(weights) + bias))) - targets) * weight_of
        gradient = np.empty_like(parameters)
        gradient[:-1] = spread(error) + l2 * weights
        gradient[-1] = error.sum()
        first = 0.9 * first + 0.1 * gradient
        second = 0.999 * second + 0.001 * gradient * gradient
        parameters -= learning_rate * (first / (1 - 0.9 ** step)) / (np.sqrt(second / (1 - 0.999 ** step)) + 1e-8)
    return parameters


class NaiveBayes:
    """Multinomial naive Bayes over n-gram presence: which of several classes
    a text belongs to, with the share of belief in the best one."""

    def __init__(self, vocabulary: Vocabulary, classes: list[str], log_likelihood: np.ndarray,
                 log_prior: np.ndarray):
        self.vocabulary = vocabulary
        self.classes = classes
        self.log_likelihood = log_likelihood  # features × classes
        self.log_prior = log_prior

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {**self.vocabulary.arrays(prefix), f"{prefix}classes": np.array(self.classes),
                f"{prefix}log_likelihood": self.log_likelihood, f"{prefix}log_prior": self.log_prior}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> NaiveBayes:
        return cls(Vocabulary.from_arrays(arrays, prefix), [str(c) for c in arrays[f"{prefix}classes"]],
                   arrays[f"{prefix}log_likelihood"], arrays[f"{prefix}log_prior"])

    def posterior(self, text: str) -> dict[str, float]:
        ids = self.vocabulary.ids(ngram_features(text))
        scores = self.log_prior + self.log_likelihood[ids].sum(axis=0) / math.sqrt(max(len(ids), 1))
        shares = np.exp(scores - scores.max())
        shares /= shares.sum()
        return dict(zip(self.classes, shares.tolist()))

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], *, smoothing: float = 0.5,
              min_count: int = 2) -> NaiveBayes:
        feature_sets = [ngram_features(text) for text in texts]
        vocabulary = Vocabulary.of(feature_sets, min_count)
        classes = sorted(set(labels))
        counts = np.full((len(vocabulary.index), len(classes)), smoothing)
        for features, label in zip(feature_sets, labels):
            counts[vocabulary.ids(features), classes.index(label)] += 1
        log_likelihood = np.log(counts / counts.sum(axis=0)).astype(np.float32)
        prior = np.array([labels.count(c) for c in classes], dtype=float)
        return cls(vocabulary, classes, log_likelihood, np.log(prior / prior.sum()))
