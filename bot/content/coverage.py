"""``python -m bot coverage``: which entry and conversation is in which
language, and whether a person wrote or checked it, or a machine made it."""

from __future__ import annotations

from collections import Counter

from bot.content.conversations import Conversation
from bot.content.knowledge import KnowledgeBase
from bot.understanding.languages import LANGUAGES

MARKS = {"original": "O", "reviewed": "R", "machine": "M", None: "·"}
LEGEND = "O original  R reviewed by a person  M machine translation  · missing (readers get a fallback)"


def translation_rows(knowledge: KnowledgeBase,
                     conversations: dict[str, Conversation]) -> list[tuple[str, dict[str, str | None]]]:
    """(name, {language: status or None}) for every answered entry and every conversation."""
    rows = [(entry.id, {lang: entry.translation.get(lang) if lang in entry.answer else None for lang in LANGUAGES})
            for entry in knowledge.entries.values() if entry.answer]
    rows += [(f"conversation {c.id}", {lang: c.translation.get(lang) for lang in LANGUAGES}) for c in conversations.values()]
    return rows


def coverage_totals(rows: list[tuple[str, dict[str, str | None]]]) -> dict[str, dict[str, int]]:
    """{"original or reviewed" | "machine" | "missing": {language: count}} over ``rows``."""
    counts = {lang: Counter(statuses[lang] for _, statuses in rows) for lang in LANGUAGES}
    kinds = {"original or reviewed": ("original", "reviewed"), "machine": ("machine",), "missing": (None,)}
    return {label: {lang: sum(counts[lang][s] for s in statuses) for lang in LANGUAGES}
            for label, statuses in kinds.items()}


def coverage_table(knowledge: KnowledgeBase, conversations: dict[str, Conversation]) -> str:
    rows = translation_rows(knowledge, conversations)
    width = max(len(name) for name, _ in rows)
    lines = [f"{'':{width}}  " + " ".join(f"{lang:>2}" for lang in LANGUAGES)]
    lines += [f"{name:{width}}  " + " ".join(f"{MARKS[statuses[lang]]:>2}" for lang in LANGUAGES)
              for name, statuses in rows]
    lines.append("")
    for label, per_language in coverage_totals(rows).items():
        lines.append(f"{label:{width}}  " + " ".join(f"{per_language[lang]:>2}" for lang in LANGUAGES))
    lines += ["", f"{len(rows)} rows. {LEGEND}"]
    return "\n".join(lines)
