"""Linear text models over character and word n-grams, trained with numpy.

Small, fast and independent of any downloaded weights: a model is trained at
start-up from the project's own data. Features are computed on the folded
text (see ``normalize.fold``), so accents, letter variants and case do not
matter; character n-grams carry misspellings and Latin-letter writing, word
uni- and bigrams carry phrases.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Sequence
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


def feature_keys(features: Iterable[str]) -> np.ndarray:
    """A 64-bit key a feature, the same in every process: two independent checksums (CRC-32 and
    Adler-32) side by side. A vocabulary of keys holds no strings: a tenth of the memory of a dict
    of its features, and with a million features, the chance that two share a key is below 1e-4."""
    encoded = [feature.encode() for feature in features]
    return np.fromiter(((zlib.crc32(b) << 32) | zlib.adler32(b) for b in encoded), dtype=np.uint64, count=len(encoded))


@dataclass(frozen=True)
class Vocabulary:
    """Features (by ``feature_keys``, sorted) and their inverse document frequency: n-grams in every
    text ("e ", " a") say little. A feature's id is its place."""

    keys: np.ndarray
    idf: np.ndarray

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def of(cls, keys: np.ndarray, idf: np.ndarray) -> Vocabulary:
        """From unsorted ``keys`` (two features that share one count as the first)."""
        keys, first = np.unique(keys, return_index=True)
        return cls(keys, idf[first])

    def ids_of_keys(self, keys: np.ndarray) -> np.ndarray:
        """The id of each of ``keys``, -1 where it is not in the vocabulary."""
        if not len(self.keys):
            return np.full(len(keys), -1, dtype=np.int64)
        places = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[places] == keys, places, -1).astype(np.int64)

    def ids(self, features: set[str]) -> np.ndarray:
        ids = self.ids_of_keys(feature_keys(features))
        return ids[ids >= 0]

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The vocabulary as arrays (for ``numpy.savez``; no pickling)."""
        return {f"{prefix}keys": self.keys, f"{prefix}idf": self.idf}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> Vocabulary:
        return cls(arrays[f"{prefix}keys"], arrays[f"{prefix}idf"])

    def vector(self, features: set[str]) -> tuple[np.ndarray, np.ndarray]:
        """The ids of ``features`` and their TF-IDF values, scaled to unit length."""
        return self.unit(self.ids(features))

    def unit(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``ids`` and their TF-IDF values, scaled to unit length."""
        values = self.idf[ids]
        norm = np.sqrt((values * values).sum())
        return ids, values / norm if norm else values


class FeatureTable:
    """The n-gram features of training texts, each text's computed once and numbered: the
    models of one training are fitted on overlapping sets of the same texts (a split of the
    data, then all of it), and computing features and looking them up in a vocabulary cost
    more than fitting."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._names: list[str] = []
        self._rows: dict[str, np.ndarray] = {}
        self._key_array = np.zeros(0, dtype=np.uint64)

    def rows(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The numbers of each text's features."""
        for text in texts:
            if text not in self._rows:
                self._rows[text] = np.array([self._number(feature) for feature in ngram_features(text)], dtype=np.int32)
        return [self._rows[text] for text in texts]

    def _keys(self) -> np.ndarray:
        """The key of every feature numbered so far, by number."""
        if len(self._key_array) < len(self._names):
            self._key_array = np.concatenate([self._key_array, feature_keys(self._names[len(self._key_array):])])
        return self._key_array

    def _number(self, feature: str) -> int:
        number = self._numbers.get(feature)
        if number is None:
            number = self._numbers[feature] = len(self._names)
            self._names.append(feature)
        return number

    def vocabulary(self, texts: Sequence[str], min_count: int) -> Vocabulary:
        """The features seen in at least ``min_count`` of ``texts`` (rarer ones only overfit)."""
        rows = self.rows(texts)
        counts = np.bincount(np.concatenate([np.zeros(0, np.int32), *rows]), minlength=len(self._names))
        kept = np.flatnonzero(counts >= min_count)
        idf = np.log((1 + len(texts)) / (1 + counts[kept].astype(float))) + 1
        return Vocabulary.of(self._keys()[kept], idf)

    def vectors(self, vocabulary: Vocabulary, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``texts``' TF-IDF vectors in ``vocabulary`` (as ``Vocabulary.vector``)."""
        rows = self.rows(texts)
        local = vocabulary.ids_of_keys(self._keys())
        return [vocabulary.unit(ids[ids >= 0]) for ids in (local[row] for row in rows)]


class _SparseRows:
    """Unit vectors as a sparse matrix of float32, kept by row and by column, so that both its
    product with a vector and its transpose's add up contiguous runs: four times faster than
    scattering into one array."""

    def __init__(self, rows: list[tuple[np.ndarray, np.ndarray]], columns: int):
        lengths = np.array([len(ids) for ids, _ in rows])
        ids = np.concatenate([np.zeros(0, np.int64), *(ids for ids, _ in rows)])
        self.values = np.concatenate([np.zeros(0), *(values for _, values in rows)]).astype(np.float32)
        self.ids, self.size, self.columns = ids, len(rows), columns
        self.filled = np.flatnonzero(lengths)
        self.row_starts = (np.cumsum(lengths) - lengths)[self.filled]
        order = np.argsort(ids, kind="stable")
        self.by_column_owners = np.repeat(np.arange(len(rows)), lengths)[order]
        self.by_column_values = self.values[order]
        self.present, self.column_starts = np.unique(ids[order], return_index=True)

    def times(self, weights: np.ndarray) -> np.ndarray:
        """One value a row: the row times ``weights``."""
        result = np.zeros(self.size)
        if len(self.ids):
            result[self.filled] = np.add.reduceat(weights.astype(np.float32)[self.ids] * self.values, self.row_starts)
        return result

    def transposed_times(self, error: np.ndarray) -> np.ndarray:
        """One value a column: the column times ``error`` (one value a row)."""
        result = np.zeros(self.columns)
        if len(self.ids):
            result[self.present] = np.add.reduceat(error.astype(np.float32)[self.by_column_owners]
                                                   * self.by_column_values, self.column_starts)
        return result


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
              min_count: int = 2, table: FeatureTable | None = None) -> LogisticModel:
        """Full-batch Adam on the weighted log loss; deterministic (no sampling). ``table``: the
        features of texts of the same training, computed once for all its models."""
        table = table or FeatureTable()
        vocabulary = table.vocabulary(texts, min_count)
        matrix = _SparseRows(table.vectors(vocabulary, texts), len(vocabulary))
        parameters = _fit_logistic(matrix.times, matrix.transposed_times, len(vocabulary), labels,
                                   sample_weights, epochs=epochs, learning_rate=learning_rate, l2=l2)
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
    def of(cls, vocabulary: Vocabulary, texts: Sequence[str], table: FeatureTable | None = None,
           max_postings: int | None = None) -> NgramIndex:
        """``max_postings``: a feature keeps the examples it weighs most in, at most that many. A
        common n-gram ("e ", " th") weighs little in each of thousands of examples: its postings are
        most of the walk and change which examples are nearest hardly at all."""
        rows = (table or FeatureTable()).vectors(vocabulary, texts)
        features = np.concatenate([np.zeros(0, np.int64), *(ids for ids, _ in rows)])
        owners = np.repeat(np.arange(len(rows)), [len(ids) for ids, _ in rows])
        values = np.concatenate([np.zeros(0), *(values for _, values in rows)])
        order = np.lexsort((-values, features))  # by feature, the heaviest first
        features, owners, values = features[order], owners[order], values[order]
        if max_postings is not None:
            keep = np.arange(len(features)) - np.searchsorted(features, features) < max_postings
            features, owners, values = features[keep], owners[keep], values[keep]
        starts = np.searchsorted(features, np.arange(len(vocabulary) + 1))
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
              min_count: int = 2, table: FeatureTable | None = None) -> NaiveBayes:
        table = table or FeatureTable()
        vocabulary = table.vocabulary(texts, min_count)
        classes = sorted(set(labels))
        counts = np.full((len(vocabulary), len(classes)), smoothing)
        for (ids, _), label in zip(table.vectors(vocabulary, texts), labels):
            counts[ids, classes.index(label)] += 1
        log_likelihood = np.log(counts / counts.sum(axis=0)).astype(np.float32)
        prior = np.array([labels.count(c) for c in classes], dtype=float)
        return cls(vocabulary, classes, log_likelihood, np.log(prior / prior.sum()))
