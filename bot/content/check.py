"""``python -m bot check``: everything a maintainer must fix or should know
about the knowledge and conversation files, each with file and line."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from bot.content.conversations import load_conversations
from bot.content.knowledge import KnowledgeBase, load_knowledge
from bot.content.plain import load_glossary, plain_language_problems
from bot.content.translations import Text, numbers_in, texts_of, units_of
from bot.content.yamlfile import LineList, Problem, YamlError, line_of, load_yaml
from bot.understanding.languages import LANGUAGES

STALE_AFTER = dt.timedelta(days=365)
# Phrasings per language an entry should have for matching to work in that language.
MIN_PHRASINGS = 4


def check_all(knowledge_dir: Path, conversations_dir: Path, intents_files: list[Path],
              today: dt.date | None = None) -> list[Problem]:
    """All problems, errors first, each with file and line. Every intent of
    every file of ``intents_files`` needs an entry."""
    result = load_knowledge(knowledge_dir)
    problems = list(result.problems)
    if not intents_files:
        problems.append(Problem(knowledge_dir, 0, "no intents file: coverage of required ids not checked", "warning"))
    for intents_file in intents_files:
        problems += _missing_intents(result.knowledge, intents_file, knowledge_dir)
    problems += _stale_reviews(result.knowledge, today or dt.date.today())
    problems += _thin_languages(result.knowledge)
    problems += _missing_translations(result.knowledge, knowledge_dir)
    glossary, glossary_problems = load_glossary(knowledge_dir)
    problems += glossary_problems + plain_language_problems(result.knowledge, glossary)
    conversations, conversation_problems = load_conversations(conversations_dir, result.knowledge)
    texts = list(texts_of(result.knowledge, conversations))
    problems += conversation_problems + _outdated_translation_reviews(texts) + _changed_numbers(texts)
    return sorted(problems, key=lambda p: (p.severity != "error", str(p.path), p.line))


def _missing_intents(knowledge: KnowledgeBase, intents_file: Path, knowledge_dir: Path) -> list[Problem]:
    if not intents_file.exists():
        return [Problem(knowledge_dir, 0, f"intents file {intents_file} not found: coverage of required ids not checked",
                        "warning")]
    try:
        document = load_yaml(intents_file)
    except YamlError as error:
        return [error.problem]
    intents = document.get("intents") if isinstance(document, dict) else None
    if not isinstance(intents, LineList):
        return [Problem(intents_file, line_of(document, "intents") if isinstance(document, dict) else 1,
                        "'intents' must be a list of {id: <entry id>}")]
    return [
        Problem(intents_file, intents.item_lines[i], f"intent '{intent['id']}' has no knowledge entry")
        for i, intent in enumerate(intents)
        if isinstance(intent, dict) and intent.get("id") not in knowledge.entries
    ]


def _stale_reviews(knowledge: KnowledgeBase, today: dt.date) -> list[Problem]:
    return [
        Problem(entry.path, entry.line, f"'{entry.id}' was last reviewed on {entry.reviewed}, over a year ago", "warning")
        for entry in knowledge.entries.values()
        if entry.reviewed and today - entry.reviewed > STALE_AFTER
    ]


def _thin_languages(knowledge: KnowledgeBase) -> list[Problem]:
    problems = []
    for entry in knowledge.entries.values():
        thin = [lang for lang in LANGUAGES if len(entry.questions.get(lang, [])) < MIN_PHRASINGS]
        if thin:
            problems.append(Problem(entry.path, entry.line,
                                    f"'{entry.id}' has fewer than {MIN_PHRASINGS} phrasings in: {' '.join(thin)}",
                                    "warning"))
    return problems


def _missing_translations(knowledge: KnowledgeBase, knowledge_dir: Path) -> list[Problem]:
    """One line per language, not per entry: the list would drown everything else."""
    missing: dict[str, list] = defaultdict(list)
    for entry in knowledge.entries.values():
        if entry.answer:
            for lang in LANGUAGES:
                if lang not in entry.answer:
                    missing[lang].append(entry)
    return [
        Problem(entries[0].path, entries[0].line,
                f"{len(entries)} entries have no '{lang}' answer (first: {entries[0].id}); readers get a fallback",
                "warning")
        for lang, entries in missing.items()
    ]


def _outdated_translation_reviews(texts: list[Text]) -> list[Problem]:
    """A reviewed translation whose English original changed since: it needs a person's check again."""
    return [Problem(unit.path, unit.line, f"'{unit.name}': the English changed after the review of "
                                          f"{' '.join(langs)}; those translations need a new check", "warning")
            for unit in units_of(texts) if (langs := unit.outdated())]


def _changed_numbers(texts: list[Text]) -> list[Problem]:
    """A translation whose numbers (amounts, phone numbers, dates) are not its English original's:
    the most dangerous translation error, so an error."""
    problems = []
    for text in texts:
        english = numbers_in(text.texts.get("en", ""))
        for lang, translated in text.texts.items():
            if lang != "en" and (found := numbers_in(translated)) != english:
                problems.append(Problem(text.path, text.line, f"'{text.context}' in '{lang}' has other numbers than "
                                        f"the English: {_listed(found - english)} more, {_listed(english - found)} missing"))
    return problems


def _listed(numbers) -> str:
    return ", ".join(sorted(numbers.elements())) or "none"
