"""``python -m bot coverage``: which entry and conversation is in which
language, and whether a person wrote or checked it, or a machine made it;
then how plain the answers are (lengths per language, unexplained abbreviations)."""

from __future__ import annotations

from collections import Counter

from bot.content.conversations import Conversation
from bot.content.knowledge import KnowledgeBase, outdated_reviews
from bot.content.plain import BUDGET, Glossary, lengths, unglossed_abbreviations
from bot.understanding.languages import LANGUAGES

# "outdated": reviewed by a person, but its English original changed since (it needs a new check)
MARKS = {"original": "O", "reviewed": "R", "outdated": "!", "machine": "M", None: "·"}
LEGEND = ("O original  R reviewed by a person  ! reviewed, but the English changed since  "
          "M machine translation  · missing (readers get a fallback)")


def translation_rows(knowledge: KnowledgeBase,
                     conversations: dict[str, Conversation]) -> list[tuple[str, dict[str, str | None]]]:
    """(name, {language: status or None}) for every answered entry and every conversation."""
    def statuses(texts: dict[str, str], translation: dict[str, str], outdated: list[str]) -> dict[str, str | None]:
        return {lang: "outdated" if lang in outdated else translation.get(lang) if lang in texts else None
                for lang in LANGUAGES}

    rows = [(entry.id, statuses(entry.answer, entry.translation,
                                outdated_reviews(entry.answer.get("en", ""), entry.reviews)))
            for entry in knowledge.entries.values() if entry.answer]
    rows += [(f"conversation {c.id}", statuses(c.translation, c.translation, outdated_reviews(c.original(), c.reviews)))
             for c in conversations.values()]
    return rows


def coverage_totals(rows: list[tuple[str, dict[str, str | None]]]) -> dict[str, dict[str, int]]:
    """{"original or reviewed" | "machine" | "missing": {language: count}} over ``rows``."""
    counts = {lang: Counter(statuses[lang] for _, statuses in rows) for lang in LANGUAGES}
    kinds = {"original or reviewed": ("original", "reviewed"), "to check again": ("outdated",),
             "machine": ("machine",), "missing": (None,)}
    return {label: {lang: sum(counts[lang][s] for s in statuses) for lang in LANGUAGES}
            for label, statuses in kinds.items()}


def coverage_table(knowledge: KnowledgeBase, conversations: dict[str, Conversation], glossary: Glossary) -> str:
    rows = translation_rows(knowledge, conversations)
    width = max(len(name) for name, _ in rows)
    lines = [f"{'':{width}}  " + " ".join(f"{lang:>2}" for lang in LANGUAGES)]
    lines += [f"{name:{width}}  " + " ".join(f"{MARKS[statuses[lang]]:>2}" for lang in LANGUAGES)
              for name, statuses in rows]
    lines.append("")
    for label, per_language in coverage_totals(rows).items():
        lines.append(f"{label:{width}}  " + " ".join(f"{per_language[lang]:>2}" for lang in LANGUAGES))
    lines += ["", f"{len(rows)} rows. {LEGEND}", "", plain_language_table(knowledge, glossary)]
    return "\n".join(lines)


def plain_language_table(knowledge: KnowledgeBase, glossary: Glossary) -> str:
    """Answer lengths per language against the budget, and the abbreviations no answer explains."""
    per_language = lengths(knowledge)
    missing = unglossed_abbreviations(knowledge, glossary)
    lines = ["Answer lengths (characters)", "lang  budget  median  longest  over budget  unexplained abbreviations"]
    lines += [f"{lang:<4}  {BUDGET[lang]:>6}  {sizes.median:>6}  {sizes.longest:>7}  {sizes.over_budget:>4} of {sizes.count:<4}  "
              f"{sum(1 for _, missing_lang, _ in missing if missing_lang == lang):>4}"
              for lang, sizes in per_language.items()]
    lines.append(f"{len(missing)} abbreviations are not explained where an answer first uses them.")
    lines += [f"  {entry_id} {lang}: {name}" for entry_id, lang, name in missing[:20]]
    if len(missing) > 20:
        lines.append(f"  … and {len(missing) - 20} more: python -m bot check lists them all")
    return "\n".join(lines)
