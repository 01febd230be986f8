"""A learned check for danger to life or safety, and which kind of danger.

Trained at start-up from ``safety/train/`` (messages of people in danger and
near-misses, see ``safety/README.md``) and, as ordinary questions, the
phrasings of the bundled knowledge base (``knowledge/``): the project's own
data, read once, so a reload of the knowledge base does not retrain it.
Training takes seconds, so the trained model is kept in ``.cache/`` beside
the project, named by a checksum of its data and of this module: the next
start with the same data loads it. Two models over character and word
n-grams:

- a logistic model scores how much a text reads like danger. Two thresholds
  are chosen on a validation split of the training set, for recall: above
  ``threshold`` lie 95% of the split's emergencies (recall first: a missed
  emergency is the worst failure), but never below even odds (a logit of 0:
  below it, "ok", "I live in Gent" or "I have a question" would too often
  raise the alarm); above ``strong`` lie 70% of them. Between the two, the
  engine raises the alarm only when the knowledge base has no confident
  answer: an ordinary question that it answers well is not danger;
- a naive Bayes model names the kind (suicide, poisoning, …) when it is clear.

A message is scored whole and sentence by sentence: one crisis sentence
inside a long story is enough when it reaches ``strong`` (below that, a
sentence of background would too often sound like danger on its own).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from bot.content.knowledge import load_knowledge
from bot.understanding import linear
from bot.understanding.linear import LogisticModel, NaiveBayes

log = logging.getLogger(__name__)

_PROJECT = Path(__file__).resolve().parents[2]
SAFETY_DATA = _PROJECT / "safety"
BUNDLED_KNOWLEDGE = _PROJECT / "knowledge"
MODEL_CACHE = _PROJECT / ".cache"

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
# Sentence ends in the scripts we serve (Latin, Arabic, Ethiopic), and line breaks.
_SENTENCE_END = re.compile(r"[.!?؟።\n]+")
_MIN_SENTENCE_WORDS = 2


@dataclass(frozen=True)
class Danger:
    """The learned check's reading of a message."""

    score: float  # the logit of the whole message
    sentence_score: float  # the highest logit of the message and its sentences
    threshold: float  # danger is possible from here (the whole message)
    strong: float  # danger whatever else the message matches (the message or one sentence)
    kind: str | None  # None: danger of no clear kind, or no danger

    @property
    def possible(self) -> bool:
        return self.score >= self.threshold or self.certain

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


class DangerModel:
    def __init__(self, danger: LogisticModel, kinds: NaiveBayes, threshold: float, strong: float):
        self._danger = danger
        self._kinds = kinds
        self.threshold = threshold
        self.strong = strong

    def score(self, text: str) -> float:
        """The danger logit of the whole message."""
        return self._danger.logit(text)

    def sentence_score(self, text: str) -> float:
        """The highest danger logit of the message and its sentences."""
        return max(self._danger.logit(part) for part in sentences(text))

    def kind_of(self, text: str) -> str | None:
        posterior = self._kinds.posterior(text)
        kind = max(posterior, key=posterior.get)
        return kind if posterior[kind] >= _CLEAR_KIND else None

    def assess(self, text: str) -> Danger:
        parts = sentences(text)
        logits = [self._danger.logit(part) for part in parts]
        danger = Danger(logits[0], max(logits), self.threshold, self.strong, None)
        if not danger.possible:
            return danger
        return replace(danger, kind=self.kind_of(parts[logits.index(max(logits))] if danger.certain else text))

    def save(self, path: Path) -> None:
        """Written beside and then renamed: a reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, **self._danger.arrays("danger_"), **self._kinds.arrays("kinds_"),
                 thresholds=np.array([self.threshold, self.strong]))
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> DangerModel:
        with np.load(path, allow_pickle=False) as arrays:
            threshold, strong = arrays["thresholds"].tolist()
            return cls(LogisticModel.from_arrays(arrays, "danger_"), NaiveBayes.from_arrays(arrays, "kinds_"),
                       threshold, strong)

    @classmethod
    def train(cls, lines: list[SafetyLine], questions: list[str] = ()) -> DangerModel:
        """Fit on a split of ``lines`` (and all ``questions``, ordinary ones),
        choose the thresholds on the rest, then fit the kinds on all emergencies."""
        shuffled = sorted(lines, key=lambda line: line.text)
        random.Random(11).shuffle(shuffled)
        cut = int(len(shuffled) * (1 - _VALIDATION_SHARE))
        fitted, validation = shuffled[:cut], shuffled[cut:]
        model = cls(_fit_danger(fitted, questions), _fit_kinds(lines), threshold=0.0, strong=0.0)
        emergencies = [line.text for line in validation if line.emergency]
        if emergencies:
            model.threshold = max(_LOWEST_THRESHOLD,
                                  float(np.quantile([model.score(text) for text in emergencies], 1 - TARGET_RECALL)))
            model.strong = float(np.quantile([model.sentence_score(text) for text in emergencies], 1 - STRONG_RECALL))
        return model


def _fit_danger(lines: list[SafetyLine], questions: list[str]) -> LogisticModel:
    """Whole messages, and every sentence of a near-miss as a near-miss too: a
    sentence of background ("they beat me in prison back home") must not raise
    the alarm on its own. The sentences of an emergency are not all danger, so
    they are not examples."""
    examples = [(line.text, line.emergency, 1.0) for line in lines]
    examples += [(part, False, 1.0) for line in lines if not line.emergency for part in sentences(line.text)[1:]]
    examples += [(question, False, _QUESTION_WEIGHT) for question in questions]
    totals = {label: sum(weight for _, is_danger, weight in examples if is_danger == label) for label in (True, False)}
    # Both labels weigh the same in total, whatever their counts.
    return LogisticModel.train([text for text, _, _ in examples], [label for _, label, _ in examples],
                               [weight / max(totals[label], 1e-9) for _, label, weight in examples])


def _fit_kinds(lines: list[SafetyLine]) -> NaiveBayes:
    emergencies = [line for line in lines if line.emergency]
    return NaiveBayes.train([line.text for line in emergencies], [line.kind for line in emergencies])


def load_danger_model(directory: Path = SAFETY_DATA / "train", knowledge: Path = BUNDLED_KNOWLEDGE,
                      cache: Path | None = MODEL_CACHE) -> DangerModel | None:
    """The model of the safety data of ``directory`` and the phrasings of
    ``knowledge``, or None when there are no emergencies to learn from: kept
    in memory for the process (engines are rebuilt on reload) and in
    ``cache`` (None: not kept on disk)."""
    digest = hashlib.sha256(Path(__file__).read_bytes() + Path(linear.__file__).read_bytes())
    for path in [*sorted(directory.glob("*.jsonl")), *sorted(knowledge.glob("*.yaml"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return _trained(directory, knowledge, cache, digest.hexdigest()[:24])


@lru_cache(maxsize=4)
def _trained(directory: Path, knowledge: Path, cache: Path | None, digest: str) -> DangerModel | None:
    kept = cache / f"danger-{digest}.npz" if cache else None
    if kept and kept.exists():
        try:
            return DangerModel.load(kept)
        except (OSError, ValueError, KeyError) as error:
            log.warning("the kept danger model %s cannot be read (%s): training it again", kept.name, error)
    lines = read_safety_lines(directory)
    if not any(line.emergency for line in lines):
        log.warning("no safety data in %s: the emergency check has its triggers only", directory)
        return None
    base = load_knowledge(knowledge).knowledge
    questions = [question for entry in base.entries.values() if entry.kind != "emergency"
                 for phrasings in entry.questions.values() for question in phrasings]
    model = DangerModel.train(lines, questions)
    if kept:
        try:
            model.save(kept)
        except OSError as error:  # a read-only installation: trained at every start
            log.info("the danger model is not kept (%s)", error)
    return model
