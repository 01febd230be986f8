"""``python -m bot check``: everything a maintainer must fix or should know
about the knowledge and conversation files, each with file and line."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from bot.content.conversations import load_conversations
from bot.content.knowledge import KnowledgeBase, load_knowledge
from bot.understanding.languages import LANGUAGES
from bot.content.yamlfile import LineList, Problem, YamlError, line_of, load_yaml

STALE_AFTER = dt.timedelta(days=365)
# Phrasings per language an entry should have for matching to work in that language.
MIN_PHRASINGS = 4


def check_all(knowledge_dir: Path, conversations_dir: Path, intents_file: Path | None,
              today: dt.date | None = None) -> list[Problem]:
    """All problems, errors first, each with file and line."""
    result = load_knowledge(knowledge_dir)
    problems = list(result.problems)
    problems += _missing_intents(result.knowledge, intents_file, knowledge_dir)
    problems += _stale_reviews(result.knowledge, today or dt.date.today())
    problems += _thin_languages(result.knowledge)
    problems += _missing_translations(result.knowledge, knowledge_dir)
    problems += load_conversations(conversations_dir, result.knowledge)[1]
    return sorted(problems, key=lambda p: (p.severity != "error", str(p.path), p.line))


def _missing_intents(knowledge: KnowledgeBase, intents_file: Path | None, knowledge_dir: Path) -> list[Problem]:
    if intents_file is None or not intents_file.exists():
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
