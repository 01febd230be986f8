"""The check for danger to life, run on every message before matching.

Two paths, either of which raises the alarm:

- triggers, the fast high-precision path: words and phrases of the emergency
  entry of the knowledge base (all languages at once: people mix languages,
  and the chosen language may be wrong). They match as whole words or phrases
  on folded text; a single-word trigger of six letters or more also matches a
  misspelling of it (one or two letters off). A phrase ("want to die") is an
  alarm by itself, and so is a word that no near-miss of the safety data
  holds. A word that near-misses hold too ("knife", "raped", "hits me": past
  violence told as background to a question about the procedure) is an alarm
  alone in a message of one or two words, and otherwise unless the learned
  model reads the whole message as clearly not danger. In a story of three
  sentences or more, a trigger counts only in a sentence that the model reads
  as danger ("two years ago he threatened me with a knife" is background);
- the learned model (``danger``), which recognises danger described in a
  person's own words, and names its kind.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from dataclasses import dataclass

from bot.content.knowledge import KnowledgeBase
from bot.understanding.danger import Danger, DangerModel, sentences
from bot.understanding.normalize import fold

# A single word at least this long, this similar (rapidfuzz ratio), counts as the trigger.
_FUZZY_MIN_LENGTH = 6
_FUZZY_MIN_RATIO = 88
# A trigger word that near-misses hold too is no alarm when the model's logit of the whole message
# lies below its threshold by this share of the danger band (threshold to strong). On writers the
# model was not trained on, triggers raised half of the false alarms, nearly all of them single words
# told of past violence ("he used to beat me", "raped on the way, two years ago"); this rule left out
# 13 of 94 false alarms (n-grams) and 15 of 86 (with embeddings), and no emergency of 1,423.
_TRIGGER_WORD_DOUBT = 0.7
# A message of this many words or fewer is about its trigger word: nothing in it tells of the past.
_TRIGGER_ALONE_WORDS = 2
# A message of this many sentences or more is a story: its triggers count only in sentences that read
# as danger. On writers the model was not trained on, triggers in the background of stories (knives
# at work, a rape on the journey years ago) raised half of the false alarms; this left out 13 of 43
# (n-grams) and no emergency of 947: every story's trigger sentence read as danger.
_STORY_SENTENCES = 3


@dataclass(frozen=True)
class EmergencyCheck:
    """What the check found in a message."""

    trigger: str | None
    danger: Danger | None  # None: no learned model
    kind: str | None  # the kind of danger, when there is one and it is clear
    # the trigger is a word that near-misses of the safety data hold too: it needs the model's assent
    trigger_doubtful: bool = False

    @property
    def alarm(self) -> bool:
        """Danger whatever the message otherwise asks."""
        return self._trigger_counts or (self.danger is not None and self.danger.certain)

    @property
    def _trigger_counts(self) -> bool:
        if self.trigger is None:
            return False
        if not self.trigger_doubtful or self.danger is None:
            return True
        danger = self.danger
        return danger.score >= danger.threshold - _TRIGGER_WORD_DOUBT * (danger.strong - danger.threshold)

    @property
    def possible(self) -> bool:
        """Danger unless the message is an ordinary question answered with confidence."""
        return self.alarm or (self.danger is not None and self.danger.possible)


class EmergencyDetector:
    def __init__(self, knowledge: KnowledgeBase, model: DangerModel | None):
        self.model = model
        # The last message checked, and what was found: on Telegram a message is checked on
        # receipt (for the urgent lane) and again when it is answered.
        self._last: tuple[tuple[str, bool], EmergencyCheck] | None = None
        triggers = {
            fold(trigger)
            for entry in knowledge.entries_of("emergency")
            for phrases in entry.triggers.values()
            for trigger in phrases
        }
        triggers.discard("")
        self.entry_id = next((e.id for e in knowledge.entries_of("emergency")), None)
        alternatives = "|".join(re.escape(t) for t in sorted(triggers, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if triggers else None
        self._long_words = sorted(t for t in triggers if " " not in t and len(t) >= _FUZZY_MIN_LENGTH)
        # Folded text is words between single spaces: a trigger word occurs in it when it is one of its words.
        self._doubtful = {t for t in triggers if " " not in t and t in model.near_miss_words} if model else set()

    @property
    def slow(self) -> bool:
        """The check embeds sentences (milliseconds, not microseconds): run it off the event loop."""
        return self.model is not None and self.model.semantic is not None

    def check(self, text: str, quick: bool = False) -> EmergencyCheck:
        """``quick``: the triggers and the n-gram model, without sentence embeddings."""
        text = text.strip()
        last = self._last
        if last is not None and last[0] == (text, quick):
            return last[1]
        trigger = self.trigger_in(text)
        danger = self.model.assess(text, quick, name_kind=trigger is not None) if self.model else None
        if trigger is not None and danger is not None and self._background_only(text, danger):
            trigger = None
        doubtful = trigger in self._doubtful and len(fold(text).split()) > _TRIGGER_ALONE_WORDS
        found = EmergencyCheck(trigger, danger, danger.kind if danger else None, doubtful)
        self._last = ((text, quick), found)
        return found

    def _background_only(self, text: str, danger: Danger) -> bool:
        """``text`` is a story whose sentences that hold a trigger all read as no ``danger``."""
        if len(danger.sentence_scores) < _STORY_SENTENCES:
            return False
        holding = [score for part, score in zip(sentences(text)[1:], danger.sentence_scores)
                   if self.trigger_in(part)]
        return bool(holding) and max(holding) < danger.threshold

    def trigger_in(self, text: str) -> str | None:
        """The trigger found in ``text``, or None."""
        if self._pattern is None:
            return None
        folded = fold(text)
        found = self._pattern.search(folded)
        if found:
            return found.group(0)
        for word in folded.split():
            if len(word) < _FUZZY_MIN_LENGTH - 1:
                continue
            match = process.extractOne(word, self._long_words, scorer=fuzz.ratio, score_cutoff=_FUZZY_MIN_RATIO)
            if match:
                return match[0]
        return None
