"""Plain language on a phone: how long the answers are, which abbreviations
are not explained where a reader first meets them, and the glossary
(``knowledge/glossary.yaml``): one term per concept per language.

``check`` warns about what breaks these rules; ``coverage`` counts it.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.knowledge import GLOSSARY_FILE, KnowledgeBase
from bot.content.yamlfile import FileReader, LineDict, LineList, Problem, YamlError, load_yaml
from bot.understanding.languages import LANGUAGES
from bot.understanding.normalize import fold

# Characters an answer may have: English is the shortest; translations run longer.
BUDGET = {lang: 550 if lang == "en" else 700 for lang in LANGUAGES}
MAX_BULLETS = 5
BULLET = "•"
# Two or more capitals (Latin or Cyrillic, digits allowed), joined by slashes: OCMW, CPAS/OCMW, 9TER is not.
_ABBREVIATION = re.compile(r"(?<![\w])[A-ZА-ЯЁЄІЇҐ][A-ZА-ЯЁЄІЇҐ0-9]*[A-ZА-ЯЁЄІЇҐ](?:/[A-ZА-ЯЁЄІЇҐ0-9]+)*(?![\w])")
# Prefixes written together with the next word: Arabic-script "and", "with", "for", "the" …
# (والحماية), Ethiopic "to", "with", "from" … (ንመቐበሊ). A term is found as a whole word
# or after one of these, never inside another word ("ولي" is not in "الأولى").
_PREFIXES = {"arabic": "و|ف|ب|ل|ك|ال|وال|بال|لل|فال|کال|د|به", "ethiopic": "ን|ብ|ካብ|ናብ|ኣብ|ከም|ዝ|ና"}
_SCRIPT = {"arabic": re.compile(r"[\u0600-\u06ff]"), "ethiopic": re.compile(r"[\u1200-\u137f]")}


@dataclass(frozen=True)
class Term:
    """One concept's word in one language, and the words that must not stand for it."""

    concept: str
    lang: str
    use: str
    avoid: tuple[str, ...]
    line: int

    def avoided_in(self, text: str) -> list[str]:
        folded = fold(text)
        return [word for word in self.avoid if _contains(folded, fold(word))]


@dataclass
class Glossary:
    terms: list[Term] = field(default_factory=list)
    # abbreviation → {language: its gloss}; the reference for writers and translators
    abbreviations: dict[str, dict[str, str]] = field(default_factory=dict)
    # known to every reader (EU, SIM, PIN …): no gloss needed
    plain: frozenset[str] = frozenset()
    path: Path = Path()


def _contains(folded_text: str, folded_word: str) -> bool:
    prefixes = next((_PREFIXES[script] for script, letters in _SCRIPT.items() if letters.search(folded_word)), None)
    prefix = f"(?:{prefixes})?" if prefixes else ""
    return re.search(rf"(?<!\w){prefix}{re.escape(folded_word)}(?!\w)", folded_text) is not None


def load_glossary(knowledge_dir: Path) -> tuple[Glossary, list[Problem]]:
    """The glossary of ``knowledge_dir`` (empty when there is none) and its problems."""
    path = knowledge_dir / GLOSSARY_FILE
    if not path.exists():
        return Glossary(path=path), []
    try:
        document = load_yaml(path)
    except YamlError as error:
        return Glossary(path=path), [error.problem]
    reader = FileReader(path)
    if not isinstance(document, LineDict):
        reader.problems.append(Problem(path, 1, "the glossary must be a mapping with 'terms' and 'abbreviations'"))
        return Glossary(path=path), reader.problems
    reader.check_keys(document, {"terms", "abbreviations", "plain"}, "the glossary")
    glossary = Glossary(terms=list(_terms(reader, document)), abbreviations=_abbreviations(reader, document),
                        plain=frozenset(reader.text_list(document, "plain")), path=path)
    return glossary, reader.problems


def _terms(reader: FileReader, document: LineDict) -> Iterator[Term]:
    items = document.get("terms") or []
    if not isinstance(items, LineList):
        reader.problem(document, "terms", "'terms' must be a list of {concept, <language>: {use, avoid}}")
        return
    for index, item in enumerate(items):
        if not isinstance(item, LineDict) or not isinstance(item.get("concept"), str):
            reader.problem(items, index, "a term needs 'concept' and, per language, {use: …, avoid: […]}")
            continue
        reader.check_keys(item, {"concept", *LANGUAGES}, f"the term '{item['concept']}'")
        for lang in LANGUAGES:
            words = item.get(lang)
            if words is None:
                continue
            if not isinstance(words, LineDict) or not isinstance(words.get("use"), str):
                reader.problem(item, lang, f"'{lang}' of '{item['concept']}' must be {{use: …, avoid: […]}}")
                continue
            reader.check_keys(words, {"use", "avoid"}, f"'{lang}' of '{item['concept']}'")
            yield Term(item["concept"], lang, words["use"], tuple(reader.text_list(words, "avoid")), words.line)


def _abbreviations(reader: FileReader, document: LineDict) -> dict[str, dict[str, str]]:
    value = document.get("abbreviations") or {}
    if not isinstance(value, LineDict):
        reader.problem(document, "abbreviations", "'abbreviations' must map an abbreviation to its gloss per language")
        return {}
    result = {}
    for name in value:
        glosses = reader.per_language(value, name, lists=False)
        if "en" not in glosses:
            reader.problem(value, name, f"the abbreviation '{name}' needs an English gloss")
        result[str(name)] = glosses
    return result


def unglossed(text: str, plain: frozenset[str]) -> list[str]:
    """The abbreviations of ``text`` whose first appearance is neither followed by
    a gloss in brackets ("OCMW (social welfare office)") nor inside brackets
    ("Immigration Office (DVZ)"), in order; ``plain`` ones need no gloss."""
    seen, missing = set(), []
    for match in _ABBREVIATION.finditer(text):
        name = match.group()
        if name in seen:
            continue
        seen.add(name)
        if all(part in plain for part in name.split("/")):
            continue
        line_before = text[:match.start()].rsplit("\n", 1)[-1]
        inside_brackets = line_before.count("(") > line_before.count(")")
        if not inside_brackets and not text[match.end():].lstrip(" ").startswith("("):
            missing.append(name)
    return missing


def bullets(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.lstrip().startswith(BULLET))


@dataclass(frozen=True)
class LanguageLengths:
    median: int
    longest: int
    over_budget: int
    count: int


def answer_texts(knowledge: KnowledgeBase) -> Iterator[tuple[str, str, str]]:
    """(entry id, language, text) of every knowledge answer (not the emergency numbers or small talk)."""
    for entry in knowledge.entries_of("answer"):
        for lang, text in entry.answer.items():
            yield entry.id, lang, text.strip()


def lengths(knowledge: KnowledgeBase) -> dict[str, LanguageLengths]:
    """Per language: the median and longest answer, and how many are over ``BUDGET``."""
    per_language: dict[str, list[int]] = {lang: [] for lang in LANGUAGES}
    for _, lang, text in answer_texts(knowledge):
        per_language[lang].append(len(text))
    return {lang: LanguageLengths(round(statistics.median(sizes)), max(sizes),
                                  sum(size > BUDGET[lang] for size in sizes), len(sizes))
            for lang, sizes in per_language.items() if sizes}


def unglossed_abbreviations(knowledge: KnowledgeBase, glossary: Glossary) -> list[tuple[str, str, str]]:
    """(entry id, language, abbreviation) for every abbreviation an answer does not explain."""
    return [(entry_id, lang, name) for entry_id, lang, text in answer_texts(knowledge)
            for name in unglossed(text, glossary.plain)]


def plain_language_problems(knowledge: KnowledgeBase, glossary: Glossary) -> list[Problem]:
    """Warnings: answers over the length budget or with too many bullets, unexplained
    abbreviations, and words the glossary says to avoid."""
    problems = []
    terms_by_language: dict[str, list[Term]] = {}
    for term in glossary.terms:
        terms_by_language.setdefault(term.lang, []).append(term)
    for entry in knowledge.entries_of("answer"):
        def warn(message: str) -> None:
            problems.append(Problem(entry.path, entry.line, f"'{entry.id}' {message}", "warning"))

        for lang, text in entry.answer.items():
            text = text.strip()
            if len(text) > BUDGET[lang]:
                warn(f"'{lang}' answer has {len(text)} characters; at most {BUDGET[lang]} fit a phone")
            if bullets(text) > MAX_BULLETS:
                warn(f"'{lang}' answer has {bullets(text)} bullets; at most {MAX_BULLETS}")
            if missing := unglossed(text, glossary.plain):
                warn(f"'{lang}' answer does not explain {', '.join(missing)} where it first appears")
            for term in terms_by_language.get(lang, []):
                if found := term.avoided_in(text):
                    warn(f"'{lang}' answer says {', '.join(found)}; the glossary's word for "
                         f"'{term.concept}' is '{term.use}' ({glossary.path.name}:{term.line})")
    return problems
