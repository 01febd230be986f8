"""A learned check for danger to life or safety, and which kind of danger.

Trained at start-up from ``safety/train/`` (messages of people in danger and
near-misses, see ``safety/README.md``) and, as ordinary questions, the
phrasings of the bundled knowledge base (``knowledge/``): the project's own
data, read once, so a reload of the knowledge base does not retrain it.
Training takes a few minutes, so the trained model is kept in ``.cache/`` beside
the project, named by a checksum of its data and of this module: the next
start with the same data loads it (the four used last are kept, older ones
removed). Two models over character and word n-grams:

- a logistic model scores how much a text reads like danger. Two thresholds
  are chosen on a validation split of the training set, for recall: above
  ``threshold`` lie 95% of the split's emergencies (recall first: a missed
  emergency is the worst failure), but never below even odds (a logit of 0:
  below it, "ok", "I live in Gent" or "I have a question" would too often
  raise the alarm); above ``strong`` lie 70% of them. The models are then
  fitted again on all of the training set and read with those thresholds
  (a quarter more to learn from counts for more than thresholds read on the
  very model they are used with). Between the two, the
  engine raises the alarm only when the knowledge base has no confident
  answer: an ordinary question that it answers well is not danger;
- the nearest examples by n-gram vectors: how much closer the message is to
  its nearest emergencies of the safety data than to its nearest near-misses,
  scaled to the spread of the logistic logits and added to them (short
  messages say too little for the logistic model alone: "fire kids inside");
- a naive Bayes model names the kind (suicide, poisoning, …) when it is clear,
  averaged with the kinds of the nearest emergencies.

Each emergency told in several sentences also teaches its danger sentence
alone, the one a first model of whole messages reads as most dangerous.
A message is scored whole and sentence by sentence: one crisis sentence
inside a long story is enough when it reaches ``strong`` (below that, a
sentence of background would too often sound like danger on its own); from
halfway there, it makes danger possible, like the whole message from
``threshold``.

Where sentence embeddings work (``embeddings.py``, an optional extra), two
more models learn from the embeddings of the same examples: a logistic one,
and the nearest examples by embedding. Their scores are added to the n-gram
models' logit, with thresholds of their own chosen the same way. Embeddings
carry meaning across languages and wordings that share no n-grams; n-grams
carry misspellings and Latin-letter writing, which embeddings do not. The model kept in ``.cache/`` then names the encoder too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from bot.content.knowledge import load_knowledge
from bot.understanding import linear
from bot.understanding.embeddings import EmbeddingCache, Encoder
from bot.understanding.kept import MODEL_CACHE, KeptModels, save_arrays
from bot.understanding.linear import FeatureTable, LogisticModel, NaiveBayes, NgramIndex, VectorLogistic, Vocabulary
from bot.understanding.normalize import fold

log = logging.getLogger(__name__)

_PROJECT = Path(__file__).resolve().parents[2]
SAFETY_DATA = _PROJECT / "safety"
BUNDLED_KNOWLEDGE = _PROJECT / "knowledge"

# Share of the validation split's emergencies above ``threshold`` and above ``strong``.
TARGET_RECALL = 0.95
STRONG_RECALL = 0.7
# ``threshold`` is never below even odds: messages unlike anything in the data score about 0.
_LOWEST_THRESHOLD = 0.0
# Knowledge phrasings weigh less than the safety data's near-misses, which are chosen to be hard.
_QUESTION_WEIGHT = 0.3
_VALIDATION_SHARE = 0.2
# The kind is named only when the kind model gives it at least this share of belief
# (chosen on writers the model was not trained on: 0.3 named the right numbers first most often).
_CLEAR_KIND = 0.3
# The nearest examples that vote (chosen on writers the models were not trained on: 3 to 5 did best).
_NEIGHBOURS = 5
# A feature of the nearest examples' index keeps its heaviest postings only (see NgramIndex.of): of a
# message's 280,000 postings on average, 30,000 are left, and the emergency check takes a sixth of the time.
_NEIGHBOUR_POSTINGS = 250
# How much more a nearer emergency counts when the nearest ones name the kind (cosine / temperature).
_KIND_TEMPERATURE = 0.05
# Sentence ends in the scripts we serve (Latin, Arabic, Ethiopic), and line breaks.
_SENTENCE_END = re.compile(r"[.!?؟።\n]+")
_MIN_SENTENCE_WORDS = 2
# Models kept in ``.cache/``: with and without embeddings, for the data of now and of before.
_KEPT_MODELS = 4


@dataclass(frozen=True)
class Bands:
    """Danger is possible from ``threshold`` (the whole message) and certain
    from ``strong`` (the message or one of its sentences)."""

    threshold: float
    strong: float


@dataclass(frozen=True)
class Danger:
    """The learned check's reading of a message."""

    score: float  # the logit of the whole message
    sentence_score: float  # the highest logit of the message and its sentences
    threshold: float  # danger is possible from here (the whole message)
    strong: float  # danger whatever else the message matches (the message or one sentence)
    kind: str | None  # None: danger of no clear kind, or no danger
    sentence_scores: tuple[float, ...] = ()  # the logit of each of its sentences (none: a single one)

    @property
    def possible(self) -> bool:
        """The whole message from ``threshold``, or one of its sentences from halfway to ``strong``:
        in a long story the danger sentence weighs little in the whole (on writers the model was
        not trained on, 7 of 834 emergencies more, no false alarm more)."""
        return (self.score >= self.threshold or self.sentence_score >= (self.threshold + self.strong) / 2
                or self.certain)

    @property
    def certain(self) -> bool:
        return self.sentence_score >= self.strong


@dataclass(frozen=True)
class SafetyLine:
    text: str
    lang: str
    label: str
    kind: str
    style: str

    @property
    def emergency(self) -> bool:
        return self.label == "emergency"


def read_safety_lines(directory: Path) -> list[SafetyLine]:
    """Every line of the ``*.jsonl`` files of ``directory``, in file order."""
    return [
        SafetyLine(**{key: record[key] for key in ("text", "lang", "label", "kind", "style")})
        for path in sorted(directory.glob("*.jsonl"))
        for record in map(json.loads, filter(str.strip, path.read_text(encoding="utf-8").splitlines()))
    ]


def sentences(text: str) -> list[str]:
    """The message itself, and its sentences when it has more than one."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if len(p.split()) >= _MIN_SENTENCE_WORDS]
    return [text, *parts] if len(parts) > 1 else [text]


@dataclass(frozen=True)
class NearestExamples:
    """From a text's similarity to each example: how much closer it is to its
    nearest emergencies than to its nearest near-misses (the mean similarity
    of each side's nearest few), and the kinds of those emergencies."""

    emergency: np.ndarray  # one boolean per example
    kinds: np.ndarray  # of the emergencies, in order

    def scores(self, similarity: np.ndarray) -> np.ndarray:
        """One score a row of ``similarity`` (texts × examples)."""
        def nearest(side: np.ndarray) -> np.ndarray:
            count = min(_NEIGHBOURS, side.shape[1])
            if not count:
                return np.zeros(len(side))
            return np.partition(side, -count, axis=1)[:, -count:].mean(axis=1)
        return nearest(similarity[:, self.emergency]) - nearest(similarity[:, ~self.emergency])

    def score_of_cosines(self, cosines: np.ndarray) -> float:
        """``scores`` of one row of n-gram cosines, which are never negative and mostly 0: read from
        the examples it touches only (the others are 0 on either side)."""
        touched = np.flatnonzero(cosines)
        values, emergency = cosines[touched], self.emergency[touched]
        emergencies = self._emergency_count
        return (_mean_of_largest(values[emergency], emergencies)
                - _mean_of_largest(values[~emergency], len(self.emergency) - emergencies))

    @cached_property
    def _emergency_count(self) -> int:
        return int(self.emergency.sum())

    def kind_shares(self, similarity: np.ndarray) -> dict[str, float]:
        """The kinds of the nearest emergencies, the nearest counting most."""
        similarity = similarity[self.emergency]
        count = min(_NEIGHBOURS, len(similarity))
        nearest = np.argpartition(similarity, -count)[-count:]
        weights = np.exp((similarity[nearest] - similarity[nearest].max()) / _KIND_TEMPERATURE)
        shares: dict[str, float] = {}
        for kind, weight in zip(self.kinds[nearest].tolist(), weights / weights.sum()):
            shares[kind] = shares.get(kind, 0.0) + float(weight)
        return shares

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}emergency": self.emergency, f"{prefix}kinds": self.kinds}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> NearestExamples:
        return cls(arrays[f"{prefix}emergency"], arrays[f"{prefix}kinds"])

    @classmethod
    def of(cls, labels: list[bool], kinds: list[str]) -> NearestExamples:
        return cls(np.array(labels, dtype=bool), np.array(kinds))


def _mean_of_largest(values: np.ndarray, examples: int) -> float:
    """The mean of the _NEIGHBOURS largest similarities of a side of ``examples``, of which ``values``
    are those above 0."""
    count = min(_NEIGHBOURS, examples)
    if not count:
        return 0.0
    if len(values) > count:
        values = np.partition(values, -count)[-count:]
    return float(values.sum()) / count


def _scale(logits: np.ndarray, scores: np.ndarray) -> float:
    """The weight that gives the nearest examples' ``scores`` the spread of a model's ``logits``
    (on the validation split): both count about the same."""
    return float(logits.std() / max(scores.std(), 1e-9))


@dataclass
class NgramNeighbours:
    """The nearest examples by n-gram vectors. On writers the model was not trained on,
    they found 94% of the emergencies instead of 90%, at the same rate of false alarms."""

    index: NgramIndex
    nearest: NearestExamples
    scale: float

    def logits(self, vectors: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Of texts' TF-IDF ``vectors`` (those of the logistic model, whose vocabulary the index shares)."""
        return self.scale * np.array([self.nearest.score_of_cosines(self.index.similarities_of(vector))
                                      for vector in vectors])

    def arrays(self) -> dict[str, np.ndarray]:
        return {**self.index.arrays("neighbours_"), **self.nearest.arrays("neighbours_"),
                "neighbours_scale": np.array([self.scale])}

    @classmethod
    def from_arrays(cls, arrays, vocabulary: Vocabulary) -> NgramNeighbours:
        return cls(NgramIndex.from_arrays(arrays, "neighbours_", vocabulary),
                   NearestExamples.from_arrays(arrays, "neighbours_"), float(arrays["neighbours_scale"][0]))

    @classmethod
    def train(cls, model: LogisticModel, texts: list[str], labels: list[bool], kinds: list[str],
              validation: list[str], table: FeatureTable) -> NgramNeighbours:
        neighbours = cls(NgramIndex.of(model.vocabulary, texts, table, _NEIGHBOUR_POSTINGS),
                         NearestExamples.of(labels, kinds), 1.0)
        if validation:
            vectors = table.vectors(model.vocabulary, validation)
            neighbours.scale = _scale(np.array([model.logit_of(vector) for vector in vectors]),
                                      neighbours.logits(vectors))
        return neighbours


@dataclass
class SentenceModel:
    """The models over sentence embeddings, and the bands of their scores
    and the n-gram logit added together."""

    encoder: Encoder
    model: VectorLogistic
    examples: np.ndarray  # the unit vectors of the nearest examples, one row each
    nearest: NearestExamples
    scale: float  # of the nearest examples' score
    bands: Bands

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        return self.model.logits(vectors) + self.scale * self.nearest.scores(vectors @ self.examples.T)

    def arrays(self) -> dict[str, np.ndarray]:
        return {**self.model.arrays("semantic_"), **self.nearest.arrays("semantic_"),
                "semantic_encoder": np.array(self.encoder.name), "semantic_examples": self.examples.astype(np.float16),
                "semantic_scale_and_bands": np.array([self.scale, self.bands.threshold, self.bands.strong])}

    @classmethod
    def from_arrays(cls, arrays, encoder: Encoder) -> SentenceModel:
        scale, threshold, strong = arrays["semantic_scale_and_bands"].tolist()
        return cls(encoder, VectorLogistic.from_arrays(arrays, "semantic_"),
                   arrays["semantic_examples"].astype(np.float32), NearestExamples.from_arrays(arrays, "semantic_"),
                   scale, Bands(threshold, strong))

    @classmethod
    def train(cls, embeddings: EmbeddingCache, texts: list[str], labels: list[bool], weights: list[float],
              voters: int, kinds: list[str], validation: list[str]) -> SentenceModel:
        """The first ``voters`` examples (the safety data's) are the nearest examples: the
        knowledge base's phrasings, short questions that weigh less in the other models, would
        crowd out short messages (on unseen writers, 1.5% of the emergencies). ``kinds``: of the
        emergencies among them, in order."""
        vectors = embeddings.embed(texts)
        model = cls(embeddings, VectorLogistic.train(vectors, labels, weights), vectors[:voters],
                    NearestExamples.of(labels[:voters], kinds), 1.0, Bands(0.0, 0.0))
        if validation:
            held = embeddings.embed(validation)
            model.scale = _scale(model.model.logits(held), model.nearest.scores(held @ model.examples.T))
        return model


class DangerModel:
    def __init__(self, danger: LogisticModel, kinds: NaiveBayes, bands: Bands,
                 neighbours: NgramNeighbours | None = None, semantic: SentenceModel | None = None,
                 near_miss_words: frozenset[str] = frozenset()):
        self._danger = danger
        self._kinds = kinds
        self.bands = bands  # of the n-gram models alone
        self.neighbours = neighbours
        self.semantic = semantic
        # the words of the safety data's near-misses, folded: which trigger words they hold too
        self.near_miss_words = near_miss_words

    def _logits(self, parts: list[str], quick: bool) -> tuple[np.ndarray, Bands, np.ndarray | None]:
        """The parts' logits, the bands they are read with, and the parts' embeddings (None: not used)."""
        ngrams = [self._danger.vector(part) for part in parts]  # once for both n-gram models
        logits = np.array([self._danger.logit_of(vector) for vector in ngrams])
        if self.neighbours is not None:
            logits += self.neighbours.logits(ngrams)
        if quick or self.semantic is None:
            return logits, self.bands, None
        vectors = self.semantic.encoder.embed(parts)
        return logits + self.semantic.logits(vectors), self.semantic.bands, vectors

    def score(self, text: str) -> float:
        """The danger logit of the whole message."""
        return float(self._logits([text], quick=False)[0][0])

    def kind_of(self, text: str, vector: np.ndarray | None = None) -> str | None:
        """The kind of danger of ``text``, when it is clear: the kind model's belief, and with
        ``text``'s embedding, averaged with the kinds of its nearest emergencies (on unseen
        writers, the kind right 89% of the times it was named, from 83%)."""
        posterior = self._kinds.posterior(text)
        if vector is not None and self.semantic is not None:
            nearest = self.semantic.nearest.kind_shares(self.semantic.examples @ vector)
            posterior = {kind: (share + nearest.get(kind, 0.0)) / 2 for kind, share in posterior.items()}
        kind = max(posterior, key=posterior.get)
        return kind if posterior[kind] >= _CLEAR_KIND else None

    def assess(self, text: str, quick: bool = False, name_kind: bool = False) -> Danger:
        """``quick``: the n-gram model alone (a fraction of a millisecond),
        without the sentence embeddings (about 13 ms a sentence). The kind is
        named when danger is possible, or when ``name_kind`` (a trigger hit)."""
        parts = sentences(text)
        logits, bands, vectors = self._logits(parts, quick)
        worst = int(logits.argmax())
        danger = Danger(float(logits[0]), float(logits[worst]), bands.threshold, bands.strong, None,
                        tuple(float(logit) for logit in logits[1:]))
        if not (danger.possible or name_kind):
            return danger
        # the kind of the whole message when it reads like danger, else of its most dangerous sentence
        read = 0 if danger.score >= danger.threshold and not danger.certain else worst
        return replace(danger, kind=self.kind_of(parts[read], None if vectors is None else vectors[read]))

    def save(self, path: Path) -> None:
        save_arrays(path, {**self._danger.arrays("danger_"), **self._kinds.arrays("kinds_"),
                           "thresholds": np.array([self.bands.threshold, self.bands.strong]),
                           "near_miss_words": np.frombuffer("\n".join(sorted(self.near_miss_words)).encode("utf-8"),
                                                            dtype=np.uint8),
                           **(self.neighbours.arrays() if self.neighbours else {}),
                           **(self.semantic.arrays() if self.semantic else {})})

    @classmethod
    def load(cls, path: Path, encoder: Encoder | None = None) -> DangerModel:
        """The sentence model is used with ``encoder`` only if it was trained on that encoder's vectors."""
        with np.load(path, allow_pickle=False) as arrays:
            semantic = None
            if encoder is not None and "semantic_encoder" in arrays and str(arrays["semantic_encoder"]) == encoder.name:
                semantic = SentenceModel.from_arrays(arrays, encoder)
            danger = LogisticModel.from_arrays(arrays, "danger_")
            neighbours = NgramNeighbours.from_arrays(arrays, danger.vocabulary) if "neighbours_scale" in arrays else None
            near_miss_words = frozenset(arrays["near_miss_words"].tobytes().decode("utf-8").split("\n"))
            return cls(danger, NaiveBayes.from_arrays(arrays, "kinds_"), Bands(*arrays["thresholds"].tolist()),
                       neighbours, semantic, near_miss_words)

    @classmethod
    def train(cls, lines: list[SafetyLine], questions: list[str] = (),
              embeddings: EmbeddingCache | None = None) -> DangerModel:
        """Fit on a split of ``lines`` (and all ``questions``, ordinary ones) and choose, on the
        rest, the thresholds and how much the nearest examples count; then fit every model again
        on all of ``lines`` and read it with those. On writers the models had not seen, the models
        fitted on all found 98.0% of the emergencies instead of 96.8%, with fewer false alarms: a
        quarter more examples to learn from. With ``embeddings``, the sentence models too."""
        shuffled = sorted(lines, key=lambda line: line.text)
        random.Random(11).shuffle(shuffled)
        cut = int(len(shuffled) * (1 - _VALIDATION_SHARE))
        fitted, validation = shuffled[:cut], shuffled[cut:]
        table = FeatureTable()
        kinds = _fit_kinds(lines, table)
        near_miss_words = frozenset(word for line in lines if not line.emergency for word in fold(line.text).split())
        stories = _danger_sentences(lines, questions, table)
        trial = cls._fit(fitted + [stories[line] for line in fitted if line in stories], questions, embeddings,
                         kinds, near_miss_words, [part for line in validation for part in sentences(line.text)], table)
        emergencies = [line.text for line in validation if line.emergency]
        if emergencies:
            trial.bands = _bands(trial, emergencies, quick=True)
            if trial.semantic:
                trial.semantic.bands = _bands(trial, emergencies, quick=False)
        model = cls._fit(lines + list(stories.values()), questions, embeddings, kinds, near_miss_words, [], table)
        model.bands = trial.bands
        model.neighbours.scale = trial.neighbours.scale
        if model.semantic:
            model.semantic.scale, model.semantic.bands = trial.semantic.scale, trial.semantic.bands
            model.semantic.encoder = embeddings.encoder
        return model

    @classmethod
    def _fit(cls, lines: list[SafetyLine], questions: list[str], embeddings: EmbeddingCache | None,
             kinds: NaiveBayes, near_miss_words: frozenset[str], validation: list[str],
             table: FeatureTable) -> DangerModel:
        """The models of ``lines`` and ``questions``, without thresholds; the nearest examples
        scaled on the texts of ``validation`` (none: by 1)."""
        texts, labels, weights = _examples(lines, questions)
        model = cls(LogisticModel.train(texts, labels, weights, table=table), kinds, Bands(0.0, 0.0),
                    near_miss_words=near_miss_words)
        voters = len(texts) - len(questions)
        emergency_kinds = [line.kind for line in lines if line.emergency]
        model.neighbours = NgramNeighbours.train(model._danger, texts[:voters], labels[:voters], emergency_kinds,
                                                 validation, table)
        if embeddings is not None:
            # The project's own texts go through the kept vectors; a person's messages, later, never do.
            model.semantic = SentenceModel.train(embeddings, texts, labels, weights, voters, emergency_kinds,
                                                 validation)
        return model


def _bands(model: DangerModel, emergencies: list[str], quick: bool) -> Bands:
    """Above ``threshold``, TARGET_RECALL of ``emergencies`` (whole); above ``strong``, STRONG_RECALL
    (the message or a sentence)."""
    scores = [model._logits(sentences(text), quick)[0] for text in emergencies]
    return Bands(max(_LOWEST_THRESHOLD, float(np.quantile([s[0] for s in scores], 1 - TARGET_RECALL))),
                 float(np.quantile([s.max() for s in scores], 1 - STRONG_RECALL)))


def _examples(lines: list[SafetyLine], questions: list[str]) -> tuple[list[str], list[bool], list[float]]:
    """Texts, labels and weights to learn from. Whole messages, and every
    sentence of a near-miss as a near-miss too: a sentence of background
    ("they beat me in prison back home") must not raise the alarm on its own.
    The sentences of an emergency are not all danger, so they are not
    examples. The phrasings come last. Both labels weigh the same in total, whatever their counts."""
    examples = [(line.text, line.emergency, 1.0) for line in lines]
    examples += [(part, False, 1.0) for line in lines if not line.emergency for part in sentences(line.text)[1:]]
    examples += [(question, False, _QUESTION_WEIGHT) for question in questions]
    totals = {label: sum(weight for _, is_danger, weight in examples if is_danger == label) for label in (True, False)}
    return ([text for text, _, _ in examples], [label for _, label, _ in examples],
            [weight / max(totals[label], 1e-9) for _, label, weight in examples])


def _danger_sentences(lines: list[SafetyLine], questions: list[str],
                      table: FeatureTable) -> dict[SafetyLine, SafetyLine]:
    """Of each emergency told in several sentences, the sentence that is the danger, as an emergency of
    its own: the one a model of whole messages reads as most dangerous. A story holds one sentence of
    danger among background; learning from whole messages alone, the sentence scored too low to count
    (n-grams on sets M and N, each measured before it was added: 4 more emergencies found in each,
    and no false alarm more)."""
    stories = {line: parts for line in lines if line.emergency and (parts := sentences(line.text)[1:])}
    if not stories:
        return {}
    whole = LogisticModel.train(*_examples(lines, questions), table=table)
    every_part = [part for parts in stories.values() for part in parts]  # one lookup in the table for all
    logit = dict(zip(every_part, map(whole.logit_of, table.vectors(whole.vocabulary, every_part))))
    return {line: replace(line, text=max(parts, key=logit.get)) for line, parts in stories.items()}


def _fit_kinds(lines: list[SafetyLine], table: FeatureTable) -> NaiveBayes:
    emergencies = [line for line in lines if line.emergency]
    return NaiveBayes.train([line.text for line in emergencies], [line.kind for line in emergencies], table=table)


# Entries whose questions are told by people who may be in danger now ("I was raped last night,
# where can I go"): their phrasings are not examples of ordinary questions. Each with the kind of
# danger whose emergency answer serves such a question too (the care centres first, and a volunteer).
NOT_ORDINARY = {"health.sexual-violence": "sexual-violence"}


def ordinary_questions(knowledge: Path) -> list[str]:
    """The phrasings of the knowledge base's entries, but the emergency entry's and ``NOT_ORDINARY``'s."""
    base = load_knowledge(knowledge).knowledge
    return [question for entry in base.entries.values() if entry.kind != "emergency" and entry.id not in NOT_ORDINARY
            for phrasings in entry.questions.values() for question in phrasings]


def load_danger_model(directory: Path = SAFETY_DATA / "train", knowledge: Path = BUNDLED_KNOWLEDGE,
                      cache: Path | None = MODEL_CACHE, encoder: Encoder | None = None) -> DangerModel | None:
    """The model of the safety data of ``directory`` and the phrasings of
    ``knowledge`` (with a sentence model on ``encoder``'s embeddings), or None
    when there are no emergencies to learn from: kept in memory for the
    process (engines are rebuilt on reload) and in ``cache`` (None: not kept
    on disk)."""
    digest = hashlib.sha256(Path(__file__).read_bytes() + Path(linear.__file__).read_bytes())
    digest.update(f"encoder:{encoder.name if encoder else None}".encode())
    for path in [*sorted(directory.glob("*.jsonl")), *sorted(knowledge.glob("*.yaml"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return _trained(directory, knowledge, cache, encoder, digest.hexdigest()[:24])


@lru_cache(maxsize=4)
def _trained(directory: Path, knowledge: Path, cache: Path | None, encoder: Encoder | None,
             digest: str) -> DangerModel | None:
    kept = KeptModels(cache, "danger", _KEPT_MODELS)
    model = kept.load(digest, lambda path: DangerModel.load(path, encoder))
    if model is not None:
        return model
    lines = read_safety_lines(directory)
    if not any(line.emergency for line in lines):
        log.warning("no safety data in %s: the emergency check has its triggers only", directory)
        return None
    model = DangerModel.train(lines, ordinary_questions(knowledge), EmbeddingCache(encoder, cache) if encoder else None)
    kept.save(digest, model.save)  # about 100 MB a model
    return model
