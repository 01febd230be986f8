"""The knowledge base: topics and entries loaded from knowledge/*.yaml.

Every problem found while loading is reported with file and line; an entry
with an error is left out, so callers decide whether a base with errors may
be used (the bot refuses it, ``check`` lists everything).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.understanding.languages import LANGUAGES
from bot.understanding.normalize import fold
from bot.content.yamlfile import (SLUG, FileReader, LineList, Problem, documents, errors_in, line_of, total_size,
                          total_size_problem)

# The one file of knowledge/ that is not a topic: the terms and abbreviations of the answers (glossary.py).
GLOSSARY_FILE = "glossary.yaml"
KINDS = ("answer", "human", "emergency", "smalltalk", "decline")
TRANSLATION_STATUSES = ("original", "machine", "reviewed")
_ENTRY_FIELDS = {
    "id", "topic", "kind", "title", "keywords", "questions", "answer", "translation",
    "links", "sources", "reviewed", "related", "triggers", "dangers",
}
# The kinds of danger the emergency check names (see safety/README.md); each may have its own answer.
DANGER_KINDS = (
    "suicide", "self-harm", "overdose-poisoning", "medical", "bleeding", "sick-child", "pregnancy",
    "violence", "sexual-violence", "weapon", "fire-gas-trapped", "missing-child", "trafficking",
)


@dataclass(frozen=True)
class Review:
    """A person's check of one translation: when, and which English original
    (its digest) it was checked against. A changed original needs a new check."""

    date: dt.date
    original: str

    def outdated_by(self, original: str) -> bool:
        return self.original != digest(original)


def digest(text: str) -> str:
    """A short fingerprint of an English original, kept with the reviews of its translations."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:12]


def outdated_reviews(original: str, reviews: dict[str, "Review"]) -> list[str]:
    """The languages whose reviewed translation was checked against another English ``original``."""
    return [lang for lang, review in reviews.items() if review.outdated_by(original)]


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class DangerAnswer:
    """The emergency answer for one kind of danger: its own numbers first."""

    answer: dict[str, str]
    translation: dict[str, str]
    # what the first line must name in every language (the kind's numbers)
    first_line: list[str]
    reviews: dict[str, Review] = field(default_factory=dict)

    def missing_from_first_line(self, text: str) -> list[str]:
        """What of ``first_line`` the first line of ``text`` does not name."""
        first = text.strip().splitlines()[0] if text.strip() else ""
        return [name for name in self.first_line if name not in first]


@dataclass
class Entry:
    id: str
    topic: str
    kind: str
    title: dict[str, str]
    questions: dict[str, list[str]]
    answer: dict[str, str] = field(default_factory=dict)
    translation: dict[str, str] = field(default_factory=dict)
    reviews: dict[str, Review] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    reviewed: dt.date | None = None
    related: list[str] = field(default_factory=list)
    triggers: dict[str, list[str]] = field(default_factory=dict)
    dangers: dict[str, DangerAnswer] = field(default_factory=dict)
    path: Path = Path()
    line: int = 0


@dataclass
class Topic:
    id: str
    title: dict[str, str]
    entry_ids: list[str]
    path: Path = Path()


@dataclass
class KnowledgeBase:
    topics: dict[str, Topic]
    entries: dict[str, Entry]
    # Bytes of the files it was read from: the conversations count against the same total limit.
    source_bytes: int = 0

    def entries_of(self, kind: str) -> Iterator[Entry]:
        return (entry for entry in self.entries.values() if entry.kind == kind)

    @property
    def phrasing_count(self) -> int:
        return sum(len(qs) for e in self.entries.values() for qs in e.questions.values())


@dataclass
class LoadResult:
    knowledge: KnowledgeBase
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return errors_in(self.problems)


class _TopicReader(FileReader):
    """Checks and converts one topic file, collecting problems."""

    def topic(self, document) -> Topic | None:
        if not isinstance(document, dict):
            self.problems.append(Problem(self.path, 1, "a topic file must be a mapping with 'topic' and 'entries'"))
            return None
        self.check_keys(document, {"topic", "entries"}, "the file")
        header = document.get("topic")
        if not isinstance(header, dict):
            self.problem(document, "topic" if "topic" in document else None, "'topic' must be a mapping with 'id' and 'title'")
            return None
        self.check_keys(header, {"id", "title"}, "the topic")
        topic_id = self.text(header, "id")
        if topic_id and not SLUG.match(topic_id):
            self.problem(header, "id", f"topic id '{topic_id}' must be lower-case letters, digits and dashes")
            topic_id = None
        title = self.per_language(header, "title", lists=False)
        if "en" not in title and "title" in header:
            self.problem(header, "title", "the topic needs an English title")
        if topic_id is None:
            return None
        return Topic(topic_id, title, [], self.path)

    def entry(self, raw, topic: Topic, index: int, container) -> Entry | None:
        if not isinstance(raw, dict):
            self.problem(container, index, f"entry {index + 1} must be a mapping")
            return None
        before = len(self.problems)
        self.check_keys(raw, _ENTRY_FIELDS, "an entry")
        entry_id = self.text(raw, "id")
        if entry_id:
            prefix, _, slug = entry_id.partition(".")
            if prefix != topic.id or not SLUG.match(slug):
                self.problem(raw, "id", f"id '{entry_id}' must be '{topic.id}.<slug>' (lower-case, dashes)")
        if self.text(raw, "topic") not in (None, topic.id):
            self.problem(raw, "topic", f"topic '{raw['topic']}' differs from the file's topic '{topic.id}'")
        kind = raw.get("kind", "answer")
        if kind not in KINDS:
            self.problem(raw, "kind", f"kind '{kind}' must be one of {', '.join(KINDS)}")
        title = self.per_language(raw, "title", lists=False)
        if "title" in raw and "en" not in title:
            self.problem(raw, "title", "an English title is required")
        questions = self.per_language(raw, "questions", lists=True)
        answer = self.per_language(raw, "answer", lists=False, required=kind != "decline")
        translation, reviews = self.translation(raw, answer)
        links = self.links(raw)
        sources = self.text_list(raw, "sources")
        reviewed = raw.get("reviewed")
        if reviewed is not None and not is_date(reviewed):
            self.problem(raw, "reviewed", "'reviewed' must be a date, YYYY-MM-DD")
            reviewed = None
        if kind == "answer":
            for key, value in (("links", links), ("sources", sources), ("reviewed", reviewed)):
                if not value and key not in raw:
                    self.problem(raw, None, f"'{key}' is missing (every answer is sourced and dated)")
        triggers = self.per_language(raw, "triggers", lists=True, required=kind == "emergency")
        if triggers and kind != "emergency":
            self.problem(raw, "triggers", "only the emergency entry has 'triggers'")
        dangers = self.dangers(raw)
        if dangers and kind != "emergency":
            self.problem(raw, "dangers", "only the emergency entry has 'dangers'")
        if len(self.problems) > before or not entry_id:
            return None
        return Entry(
            id=entry_id, topic=topic.id, kind=kind, title=title, questions=questions,
            answer=answer, translation=translation, reviews=reviews, keywords=self.text_list(raw, "keywords"),
            links=links, sources=sources, reviewed=reviewed, related=self.text_list(raw, "related"),
            triggers=triggers, dangers=dangers, path=self.path, line=raw.line,
        )

    def translation(self, raw, answer: dict[str, str]) -> tuple[dict[str, str], dict[str, Review]]:
        """The translation status of every language of ``answer`` in ``raw``, and the reviews."""
        translation, reviews = read_translation(self, raw, required=bool(answer))
        for lang in answer:
            if lang not in translation and "translation" in raw:
                self.problem(raw["translation"], None, f"no translation status for the '{lang}' answer")
        return translation, reviews

    def dangers(self, raw) -> dict[str, DangerAnswer]:
        """The per-kind answers of the emergency entry; every language's first
        line must name the kind's numbers (a translation may not lose one)."""
        value = raw.get("dangers")
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(raw, "dangers", "'dangers' must map a kind of danger to its answer")
            return {}
        dangers = {}
        for kind, item in value.items():
            if kind not in DANGER_KINDS:
                self.problem(value, kind, f"'{kind}' is not a kind of danger ({', '.join(DANGER_KINDS)})")
                continue
            if not isinstance(item, dict):
                self.problem(value, kind, "a kind of danger needs 'first_line', 'answer' and 'translation'")
                continue
            self.check_keys(item, {"first_line", "answer", "translation"}, f"the '{kind}' answer")
            first_line = self.text_list(item, "first_line")
            answer = self.per_language(item, "answer", lists=False, required=True)
            translation, reviews = self.translation(item, answer)
            danger = DangerAnswer(answer, translation, first_line, reviews)
            for lang, text in answer.items():
                if missing := danger.missing_from_first_line(text):
                    self.problem(item["answer"], lang, f"the first line of the '{kind}' answer does not name {', '.join(missing)}")
            dangers[kind] = danger
        return dangers

    def links(self, raw) -> list[Link]:
        value = raw.get("links")
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(raw, "links", "'links' must be a list of {title, url}")
            return []
        links = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                self.problem(value, index, "a link must have 'title' and 'url'")
                continue
            title, url = self.text(item, "title"), self.text(item, "url")
            if url and not url.startswith(("https://", "http://")):
                self.problem(item, "url", f"'{url}' is not a web address")
            elif title and url:
                links.append(Link(title, url))
        return links


def read_translation(reader: FileReader, container, *, required: bool) -> tuple[dict[str, str], dict[str, Review]]:
    """``translation``: per language a status, or for a reviewed translation
    ``{status: reviewed, date: YYYY-MM-DD, original: <digest>}`` (written by
    ``python -m bot translations import``)."""
    value = container.get("translation")
    if value is None:
        if required:
            reader.problem(container, None, "'translation' is missing")
        return {}, {}
    if not isinstance(value, dict):
        reader.problem(container, "translation", "'translation' must map language codes to a status")
        return {}, {}
    statuses, reviews = {}, {}
    for lang, item in value.items():
        if lang not in LANGUAGES:
            reader.problem(value, lang, f"unknown language '{lang}' in 'translation' (use one of {' '.join(LANGUAGES)})")
            continue
        status = item.get("status") if isinstance(item, dict) else item
        if isinstance(item, dict):
            reader.check_keys(item, {"status", "date", "original"}, f"the '{lang}' translation")
            date, original = item.get("date"), item.get("original")
            if status != "reviewed" or not is_date(date) or not isinstance(original, str):
                reader.problem(value, lang, "a reviewed translation is {status: reviewed, date: YYYY-MM-DD, "
                                            "original: <digest of the English it was checked against>}")
                continue
            reviews[lang] = Review(date, original)
        if status not in TRANSLATION_STATUSES:
            reader.problem(value, lang, f"status '{status}' must be one of {', '.join(TRANSLATION_STATUSES)}")
            continue
        statuses[lang] = status
    return statuses, reviews


def load_knowledge(directory: Path) -> LoadResult:
    """Load every ``*.yaml`` topic file of ``directory``.

    Problems are returned, never raised: a broken file gives file and line.
    Files over the size limits are refused before they are parsed.
    """
    problems: list[Problem] = []
    topics: dict[str, Topic] = {}
    entries: dict[str, Entry] = {}
    phrasing_owner: dict[str, tuple[str, Path, int]] = {}
    files = sorted(path for path in directory.glob("*.yaml") if path.name != GLOSSARY_FILE) if directory.is_dir() else []
    if not files:
        problems.append(Problem(directory, 0, "no knowledge files (*.yaml) found"))
    size = total_size(files)
    if too_big := total_size_problem(directory, size, "knowledge"):
        return LoadResult(KnowledgeBase({}, {}, size), [too_big])
    for path, document in documents(files, problems):
        reader = _TopicReader(path)
        topic = reader.topic(document)
        raw_entries = document.get("entries") if isinstance(document, dict) else None
        if topic is not None and topic.id in topics:
            reader.problem(document["topic"], "id", f"topic '{topic.id}' is also defined in {topics[topic.id].path.name}")
            topic = None
        if topic is not None:
            if not isinstance(raw_entries, LineList):
                reader.problem(document, "entries" if "entries" in document else None, "'entries' must be a list")
                raw_entries = []
            topics[topic.id] = topic
            for index, raw in enumerate(raw_entries):
                entry = reader.entry(raw, topic, index, raw_entries)
                if entry is None:
                    continue
                if entry.id in entries:
                    other = entries[entry.id]
                    reader.problem(raw, "id", f"duplicate id '{entry.id}' (first at {other.path.name}:{other.line})")
                    continue
                _claim_phrasings(reader, raw, entry, phrasing_owner)
                entries[entry.id] = entry
                topic.entry_ids.append(entry.id)
        problems.extend(reader.problems)
    for entry in entries.values():
        for related in entry.related:
            if related not in entries:
                problems.append(Problem(entry.path, entry.line, f"'{entry.id}' is related to '{related}', which does not exist"))
    return LoadResult(KnowledgeBase(topics, entries, size), problems)


def is_date(value) -> bool:
    """A date as YAML reads YYYY-MM-DD; not a date with a time (which a date cannot be compared with)."""
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _claim_phrasings(reader: _TopicReader, raw, entry: Entry, owner: dict) -> None:
    """Report a phrasing that another entry already uses (after folding)."""
    for lang, phrasings in entry.questions.items():
        lines = raw["questions"][lang]
        for index, phrasing in enumerate(phrasings):
            key = fold(phrasing)
            line = line_of(lines, index)
            if key in owner and owner[key][0] != entry.id:
                other_id, other_path, other_line = owner[key]
                reader.problems.append(Problem(
                    reader.path, line,
                    f"phrasing '{phrasing}' of '{entry.id}' is also in '{other_id}' ({other_path.name}:{other_line})",
                ))
            elif key in owner:
                reader.problems.append(Problem(reader.path, line, f"phrasing '{phrasing}' appears twice in '{entry.id}'", "warning"))
            else:
                owner[key] = (entry.id, reader.path, line)
