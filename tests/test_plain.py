"""Plain language: lengths, unexplained abbreviations and the glossary's terms, as check reports them."""

import datetime as dt

from bot.content.check import check_all
from bot.content.knowledge import load_knowledge
from bot.content.plain import BUDGET, Glossary, lengths, load_glossary, unglossed
from tests.test_knowledge import GOOD_ENTRY, topic_file, write

GLOSSARY = """\
terms:
  - concept: you (Dutch, informal)
    nl: {use: je, avoid: [u, uw]}
  - concept: subsidiary protection
    ar: {use: الحماية الثانوية, avoid: [الحماية الفرعية]}
abbreviations:
  OCMW: {en: social welfare office, nl: sociaal huis}
plain: [EU]
"""


def warnings_of(tmp_path, answer_nl, answer_ar="اسأل.", answer_en="Ask the OCMW (social welfare office)."):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    entry = GOOD_ENTRY.replace("      en: At most three months of rent in Flanders.\n",
                               f"      en: {answer_en}\n      nl: {answer_nl}\n      ar: {answer_ar}\n")
    entry = entry.replace("translation: {en: original}", "translation: {en: original, nl: machine, ar: machine}")
    write(knowledge, "housing.yaml", topic_file(entry))
    write(knowledge, "glossary.yaml", GLOSSARY)
    problems = check_all(knowledge, tmp_path / "conversations", [], today=dt.date(2026, 11, 23))
    assert not [p for p in problems if p.severity == "error"]
    return [p.message for p in problems if p.severity == "warning"]


def test_an_abbreviation_needs_a_gloss_where_it_first_appears():
    assert unglossed("Go to the OCMW (social welfare office). The OCMW pays.", frozenset()) == []
    assert unglossed("Ask the Immigration Office (DVZ), then the CGRS.", frozenset()) == ["CGRS"]
    assert unglossed("In FL/BXL ask the OCMW/CPAS (social welfare office).", frozenset()) == ["FL/BXL"]
    assert unglossed("An EU card, a SIM card.", frozenset({"EU"})) == ["SIM"]
    assert unglossed("Офіс OCMW (соціальна служба) і ЄС", frozenset()) == ["ЄС"]


def test_check_warns_about_avoided_terms_unexplained_abbreviations_and_long_answers(tmp_path):
    messages = warnings_of(tmp_path, answer_nl="Vraag het OCMW. Bel uw maatschappelijk werker.",
                           answer_ar="لديك الحماية الفرعية. " + "ا" * BUDGET["ar"])
    assert any("'nl' answer does not explain OCMW" in m for m in messages)
    assert any("'nl' answer says uw; the glossary's word for 'you (Dutch, informal)' is 'je'" in m for m in messages)
    assert any("'ar' answer says الحماية الفرعية" in m for m in messages)
    assert any(f"'ar' answer has {BUDGET['ar'] + 22} characters; at most 700" in m for m in messages)
    assert not any("'en' answer" in m for m in messages)


def test_words_that_merely_contain_an_avoided_term_pass(tmp_path):
    messages = warnings_of(tmp_path, answer_nl="Vraag het OCMW (sociaal huis) om uitleg, je krijgt hulp.",
                           answer_ar="الخطوة الأولى، الحماية الفرعيةجدا.")
    assert not any("'nl' answer" in m or "'ar' answer" in m for m in messages)


def test_an_avoided_term_is_found_after_a_prefix_written_with_it(tmp_path):
    messages = warnings_of(tmp_path, answer_nl="Vraag je OCMW (sociaal huis).", answer_ar="لديك والحماية الفرعية.")
    assert any("'ar' answer says الحماية الفرعية" in m for m in messages)


def test_the_glossary_is_not_read_as_a_topic_and_its_mistakes_have_lines(tmp_path):
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY))
    write(tmp_path, "glossary.yaml", "terms:\n  - concept: x\n    nl: je\nabbreviations:\n  DVZ: {nl: DVZ}\n")
    assert load_knowledge(tmp_path).problems == []
    glossary, problems = load_glossary(tmp_path)
    assert {(p.line, p.message) for p in problems} == {
        (3, "'nl' of 'x' must be {use: …, avoid: […]}"), (5, "the abbreviation 'DVZ' needs an English gloss")}
    assert isinstance(glossary, Glossary)


def test_lengths_per_language_count_the_answers_over_budget(tmp_path):
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY.replace(
        "      en: At most three months of rent in Flanders.\n", f"      en: {'a' * 600}\n")))
    sizes = lengths(load_knowledge(tmp_path).knowledge)["en"]
    assert (sizes.median, sizes.longest, sizes.over_budget, sizes.count) == (600, 600, 1, 1)
