"""``python -m bot translations export|import``: the texts of one language as a
gettext PO file for translators (Poedit, Weblate, Transifex), and the reviewed
texts back into the YAML files.

Each message is one text a person reads: an entry's title or answer, an
emergency kind's answer, a conversation's title, question, button or
checklist line. Its context names where it lives (``family.costs answer``,
``conversation family-join status ask``); the English original is the source;
the current text is the translation, marked ``fuzzy`` when a machine made it or
when its English changed after a person checked it.

Import writes every finished (not fuzzy) translation back, marks it reviewed
with the date and the English it was checked against, and refuses the whole
file when a translation's numbers differ from its original's: a changed
amount or phone number is the most dangerous translation error.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from bot.content.conversations import ORIGINAL_LANGUAGE, Conversation, load_conversations
from bot.content.knowledge import KnowledgeBase, Review, digest, load_knowledge, outdated_reviews
from bot.content.yamlfile import Problem, errors_in, rewrite_yaml
from bot.understanding.languages import LANGUAGES

# A number, with the separators of thousands and decimals that languages write inside it.
_NUMBER = re.compile(r"\d+(?:[ .,'’\u00a0\u202f\u066b\u066c]\d+)*")


def numbers_in(text: str) -> Counter:
    """The numbers of ``text``, written alike whatever their digits and separators
    ("€2,360", "2.360 €", "۲٬۳۶۰" are all 2360; "0800 30 030" is 080030030)."""
    text = _ALWAYS_OPEN.sub(" 24/7 ", text.translate(_FRACTIONS))
    return Counter(re.sub(r"\D", "", "".join(str(unicodedata.digit(c, c)) for c in number))
                   for number in _NUMBER.findall(text))


# "2½" is "2,5" in other languages
_FRACTIONS = str.maketrans({"½": ".5", "¼": ".25", "¾": ".75"})
# "Open day and night" as languages write it: 24/7, 7/24, 24h/24, 24 h/24 et 7 j/7 …
_ALWAYS_OPEN = re.compile(r"(?<!\d)(?:24\s*h?\s*/\s*24(?:\s*(?:,|et|en|and|и|і)?\s*7\s*[jd]?\s*/\s*7)?"
                          r"|24\s*/\s*7|7\s*/\s*24)(?!\d)")


_HEADER = """\
# The texts of the Wegwijs knowledge base, for translators.
# Each msgid is the English original; translate msgstr and remove "fuzzy" when the text is right.
# Keep every number exactly (amounts, phone numbers, dates): a file with a changed number is refused.
# Then: python -m bot translations import THIS-FILE"""


@dataclass(frozen=True)
class Text:
    """One text a person reads, in all its languages, and where it is kept."""

    context: str
    texts: dict[str, str]
    # the YAML keys from the file's root to the mapping of languages
    keys: tuple
    path: Path
    line: int
    # the unit whose translation status the text shares: an entry's answer, a danger kind, a conversation
    # (None: a text without a status, such as a topic's title)
    unit: "Unit | None"


@dataclass(frozen=True)
class Unit:
    """What one translation status covers: its status and reviews per language,
    and where ``translation`` is kept."""

    name: str
    translation: dict[str, str]
    reviews: dict[str, Review]
    original: str
    keys: tuple
    path: Path
    line: int
    # A conversation's status speaks for all of its texts: only all of them together change it.
    # Otherwise the answer decides (a title alone does not).
    whole: bool = False

    def outdated(self) -> list[str]:
        """The languages a person checked against another English original."""
        return outdated_reviews(self.original, self.reviews)

    def is_settled(self, lang: str) -> bool:
        """Written or checked by a person, against today's English."""
        status = self.translation.get(lang)
        return status == "original" or (status == "reviewed" and lang not in self.outdated())


def units_of(texts: Iterable[Text]) -> list[Unit]:
    """The units of ``texts``, each once, in order."""
    return list({text.unit.name: text.unit for text in texts if text.unit}.values())


def texts_of(knowledge: KnowledgeBase, conversations: dict[str, Conversation]) -> Iterator[Text]:
    """Every text a person reads: topic titles, entries (in file order), then conversations.
    Topic titles and the titles of entries without an answer have no translation status."""
    for topic in knowledge.topics.values():
        yield Text(f"topic {topic.id} title", topic.title, ("topic", "title"), topic.path, 1, None)
    for entry in knowledge.entries.values():
        root = ("entries", _index_in_file(knowledge, entry.id))
        if not entry.answer:
            yield Text(f"{entry.id} title", entry.title, (*root, "title"), entry.path, entry.line, None)
            continue
        unit = Unit(entry.id, entry.translation, entry.reviews, entry.answer.get(ORIGINAL_LANGUAGE, ""),
                    (*root, "translation"), entry.path, entry.line)
        yield Text(f"{entry.id} title", entry.title, (*root, "title"), entry.path, entry.line, unit)
        yield Text(f"{entry.id} answer", entry.answer, (*root, "answer"), entry.path, entry.line, unit)
        for kind, danger in entry.dangers.items():
            kind_unit = Unit(f"{entry.id} {kind}", danger.translation, danger.reviews,
                             danger.answer.get(ORIGINAL_LANGUAGE, ""), (*root, "dangers", kind, "translation"),
                             entry.path, entry.line)
            yield Text(f"{entry.id} {kind} answer", danger.answer, (*root, "dangers", kind, "answer"),
                       entry.path, entry.line, kind_unit)
    for conversation in conversations.values():
        unit = Unit(f"conversation {conversation.id}", conversation.translation, conversation.reviews,
                    conversation.original(), ("translation",), conversation.path, conversation.line, whole=True)
        name = f"conversation {conversation.id}"
        yield Text(f"{name} title", conversation.title, ("title",), conversation.path, conversation.line, unit)
        for step_id, step in conversation.steps.items():
            for field in ("say", "ask"):
                if texts := getattr(step, field):
                    yield Text(f"{name} {step_id} {field}", texts, ("steps", step_id, field),
                               conversation.path, step.line, unit)
            for index, choice in enumerate(step.choices):
                for field in ("label", "add"):
                    if texts := getattr(choice, field):
                        yield Text(f"{name} {step_id} choice {index + 1} {field}", texts,
                                   ("steps", step_id, "choices", index, field), conversation.path, step.line, unit)


def _index_in_file(knowledge: KnowledgeBase, entry_id: str) -> int:
    topic = knowledge.topics[knowledge.entries[entry_id].topic]
    return topic.entry_ids.index(entry_id)


def export_catalog(knowledge: KnowledgeBase, conversations: dict[str, Conversation], lang: str,
                   out: IO[bytes]) -> int:
    """Write the PO file of ``lang`` to ``out``; the number of messages."""
    catalog = Catalog(locale=lang, project="Wegwijs knowledge base", fuzzy=False, header_comment=_HEADER)
    count = 0
    for text in texts_of(knowledge, conversations):
        if ORIGINAL_LANGUAGE not in text.texts:
            continue
        settled = text.unit is None or text.unit.is_settled(lang)
        flags = () if settled or lang not in text.texts else ("fuzzy",)
        status = text.unit.translation.get(lang, "missing") if text.unit else "none"
        message = catalog.add(text.texts[ORIGINAL_LANGUAGE].strip(), text.texts.get(lang, "").strip(),
                              context=text.context, locations=[(text.path.name, text.line)], flags=flags,
                              auto_comments=[f"status: {status}"])
        message.flags.discard("python-format")  # "110%" is not a format string
        count += 1
    write_po(out, catalog, width=0, omit_header=False, sort_output=False)
    return count


@dataclass
class ImportResult:
    lang: str
    problems: list[Problem]
    imported: int = 0
    files: tuple[Path, ...] = ()

    @property
    def refused(self) -> bool:
        return any(problem.severity == "error" for problem in self.problems)


def import_catalog(po_file: Path, knowledge_dir: Path, conversations_dir: Path,
                   today: dt.date | None = None, machine: bool = False) -> ImportResult:
    """Write the finished translations of ``po_file`` into the YAML files, or
    nothing at all when one of them changed a number (the problems say which).
    ``machine``: the file was translated by a machine, and its texts are marked so."""
    with po_file.open("rb") as file:
        catalog = read_po(file)
    lang = str(catalog.locale) if catalog.locale else ""
    if lang not in LANGUAGES or lang == ORIGINAL_LANGUAGE:
        return ImportResult(lang, [Problem(po_file, 1, f"the file's language '{lang}' is not one of "
                                                       f"{' '.join(code for code in LANGUAGES if code != ORIGINAL_LANGUAGE)}")])
    loaded = load_knowledge(knowledge_dir)
    conversations, conversation_problems = load_conversations(conversations_dir, loaded.knowledge)
    # An entry left out for an error would shift the places the texts are written to.
    if errors := errors_in(loaded.problems + conversation_problems):
        return ImportResult(lang, [Problem(po_file, 0, f"{knowledge_dir} or {conversations_dir} has {len(errors)} "
                                                       "error(s): fix them first (python -m bot check)")])
    knowledge = loaded.knowledge
    every_text = list(texts_of(knowledge, conversations))
    by_context = {text.context: text for text in every_text}
    problems, accepted = [], []
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        line = message.lineno or 0
        text = by_context.get(message.context)
        if text is None:
            problems.append(Problem(po_file, line, f"'{message.context}' is no longer in the knowledge base", "warning"))
        elif text.texts.get(ORIGINAL_LANGUAGE, "").strip() != message.id:
            problems.append(Problem(po_file, line, f"'{message.context}': its English changed after the export; "
                                                   "export again and translate the new text", "warning"))
        elif numbers_in(message.id) != numbers_in(message.string):
            problems.append(Problem(po_file, line, f"'{message.context}': the numbers differ from the original's "
                                                   f"({_numbers(message.id)} in English, {_numbers(message.string)} here)"))
        else:
            accepted.append((text, message.string))
    if any(problem.severity == "error" for problem in problems):
        return ImportResult(lang, problems)
    files = _write(accepted, every_text, lang, today or dt.date.today(), machine)
    return ImportResult(lang, problems, len(accepted), files)


def _numbers(text: str) -> str:
    return ", ".join(sorted(numbers_in(text).elements())) or "none"


def _write(accepted: list[tuple[Text, str]], every_text: list[Text], lang: str, today: dt.date,
           machine: bool) -> tuple[Path, ...]:
    """Set each text and mark what a person checked as reviewed (or a machine made,
    as machine): an entry's answer or a danger kind when its answer came, a
    conversation when all of its texts did."""
    texts_of_unit: dict[str, set[tuple]] = defaultdict(set)
    for text in every_text:
        if text.unit:
            texts_of_unit[text.unit.name].add(text.keys)
    by_path: dict[Path, list[tuple[Text, str]]] = defaultdict(list)
    for text, translation in accepted:
        by_path[text.path].append((text, translation))

    for path, items in by_path.items():
        def change(document, items=items):
            imported: dict[str, set[tuple]] = defaultdict(set)
            for text, translation in items:
                texts = _at(document, text.keys)
                texts[lang] = _as_yaml_text(translation, texts.get(ORIGINAL_LANGUAGE))
                if text.unit:
                    imported[text.unit.name].add(text.keys)
            for unit in units_of(text for text, _ in items):
                keys = imported[unit.name]
                if keys >= texts_of_unit[unit.name] if unit.whole else any(key[-1] == "answer" for key in keys):
                    _at(document, unit.keys)[lang] = "machine" if machine else _review(today, digest(unit.original))
        rewrite_yaml(path, change)
    return tuple(by_path)


def _at(document, keys: tuple):
    for key in keys:
        document = document[key]
    return document


def _as_yaml_text(text: str, original) -> str:
    """The translation in the style of the English original: a block (ending as
    the original's does) when the original is one or the text has lines."""
    text = text.strip()
    if isinstance(original, LiteralScalarString) or "\n" in text:
        return LiteralScalarString(text + ("\n" if str(original or "").endswith("\n") else ""))
    return text


def _review(date: dt.date, original: str) -> CommentedMap:
    """``{status: reviewed, date: …, original: "…"}`` on one line (the digest quoted: it may be all digits)."""
    review = CommentedMap(status="reviewed", date=date, original=DoubleQuotedScalarString(original))
    review.fa.set_flow_style()
    return review
