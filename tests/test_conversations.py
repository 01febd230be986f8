"""Guided conversations: the format's checks, the bundled conversations, and walking a path."""

import textwrap

import pytest

from bot.content.conversations import load_conversations
from bot.content.knowledge import load_knowledge
from bot.understanding.languages import LANGUAGES
from tests.conftest import CONVERSATIONS, KNOWLEDGE
from bot.content.yamlfile import errors_in
from tests.test_knowledge import write


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge(KNOWLEDGE).knowledge


GOOD = """\
id: test-guide
topic: family
title: {en: Test guide, nl: Testgids}
offered_from: [family.who-can-come]
translation: {en: original, nl: machine}
reviewed: 2026-11-23
sources: [https://example.org/source]
start: first
steps:
  first:
    ask: {en: Which one?, nl: Welke?}
    choices:
      - label: {en: Left, nl: Links}
        next: end
        add: {en: "Left: go left.", nl: "Links: ga links."}
      - label: {en: Right, nl: Rechts}
        next: end
  end:
    say: {en: Done., nl: Klaar.}
    entries: [family.how-to-apply]
"""


def problems_of(tmp_path, knowledge, text):
    write(tmp_path, "guide.yaml", textwrap.dedent(text))
    conversations, problems = load_conversations(tmp_path, knowledge)
    return conversations, problems, errors_in(problems)


def test_a_good_conversation_loads_and_walks(tmp_path, knowledge):
    conversations, _, errors = problems_of(tmp_path, knowledge, GOOD)
    assert errors == []
    guide = conversations["test-guide"]
    assert guide.walk("").step.id == "first"
    end = guide.walk("0")
    assert end.step.is_end and end.checklist == ({"en": "Left: go left.", "nl": "Links: ga links."},)
    assert guide.walk("1").checklist == ()
    assert guide.walk("2") is None and guide.walk("00") is None and guide.walk("x") is None


@pytest.mark.parametrize(("change", "message"), [
    (("next: end\n        add", "next: nowhere\n        add"), "leads to 'nowhere', which does not exist"),
    (("start: first", "start: missing"), "'start' names step 'missing'"),
    (("  end:\n", "  lonely:\n    say: {en: x, nl: y}\n  end:\n"), "step 'lonely' cannot be reached"),
    (("entries: [family.how-to-apply]", "entries: [family.nothing]"), "names 'family.nothing', which is not an answer"),
    (("offered_from: [family.who-can-come]", "offered_from: [meta.greeting]"), "names 'meta.greeting'"),
    (("Done., nl: Klaar.}", "Done.}"), "lacks nl"),
    (("    ask: {en: Which one?, nl: Welke?}\n", ""), "has choices but no question"),
    (("    say: {en: Done., nl: Klaar.}\n    entries: [family.how-to-apply]\n", "    ask: {en: x, nl: y}\n"),
     "asks a question but offers no 'choices'"),
    (("topic: family", "topic: gardening"), "topic 'gardening' does not exist"),
    (("reviewed: 2026-11-23\n", ""), "every conversation is dated"),
    (("sources: [https://example.org/source]\n", ""), "every conversation is sourced"),
    (("translation: {en: original, nl: machine}", "translation: {en: original, nl: guessed}"), "status 'guessed'"),
])
def test_mistakes_are_errors_with_a_clear_message(tmp_path, knowledge, change, message):
    old, new = change
    assert old in GOOD
    conversations, _, errors = problems_of(tmp_path, knowledge, GOOD.replace(old, new))
    assert any(message in e.message for e in errors), [e.message for e in errors]
    assert all(e.path.name == "guide.yaml" and e.line > 0 for e in errors)
    assert "test-guide" not in conversations


def test_a_loop_without_an_end_is_a_dead_end(tmp_path, knowledge):
    looping = GOOD.replace("next: end\n        add", "next: first\n        add").replace(
        "      - label: {en: Right, nl: Rechts}\n        next: end\n",
        "      - label: {en: Right, nl: Rechts}\n        next: first\n")
    _, _, errors = problems_of(tmp_path, knowledge, looping)
    assert any("step 'first' is a dead end" in e.message for e in errors)


def test_too_many_choices_for_one_digit_are_refused(tmp_path, knowledge):
    many = "".join(f"      - label: {{en: c{n}, nl: c{n}}}\n        next: end\n" for n in range(10))
    text = GOOD.replace("      - label: {en: Right, nl: Rechts}\n        next: end\n", many)
    _, _, errors = problems_of(tmp_path, knowledge, text)
    assert any("at most 9" in e.message for e in errors)


def test_untranslated_languages_are_a_warning(tmp_path, knowledge):
    _, problems, _ = problems_of(tmp_path, knowledge, GOOD)
    [warning] = [p for p in problems if p.severity == "warning"]
    assert "not translated into fr ar" in warning.message


def test_the_bundled_conversations_are_complete_in_every_language(knowledge):
    conversations, problems = load_conversations(CONVERSATIONS, knowledge)
    assert problems == []
    assert set(conversations) == {"family-join", "leave-centre", "school-enrol", "refused"}
    for guide in conversations.values():
        assert set(guide.translation) == set(LANGUAGES)


def test_an_impossible_date_in_a_conversation_is_a_problem_at_its_line(tmp_path, knowledge):
    _, problems, errors = problems_of(tmp_path, knowledge, GOOD.replace("reviewed: 2026-11-23", "reviewed: 2026-02-30"))
    [error] = errors
    assert error.path.name == "guide.yaml" and error.line == 6
    assert "'2026-02-30' is not a valid date (day is out of range for month)" in error.message


def test_a_conversation_date_with_a_time_is_refused(tmp_path, knowledge):
    _, _, [error] = problems_of(tmp_path, knowledge, GOOD.replace("reviewed: 2026-11-23", "reviewed: 2026-11-23 10:00:00"))
    assert error.line == 6 and "'reviewed' must be a date, YYYY-MM-DD" in error.message


def test_a_conversation_file_over_the_size_limit_is_refused(tmp_path, knowledge, monkeypatch):
    from bot.content import yamlfile

    monkeypatch.setattr(yamlfile, "MAX_FILE_BYTES", 200)
    conversations, _, [error] = problems_of(tmp_path, knowledge, GOOD)
    size = (tmp_path / "guide.yaml").stat().st_size
    assert str(error) == f"{tmp_path / 'guide.yaml'}:1: error: the file is 0.0 MiB ({size} bytes); the limit is 0.0 MiB (200 bytes) a file"
    assert conversations == {}


def test_knowledge_and_conversations_together_over_the_total_limit_are_refused(tmp_path, knowledge, monkeypatch):
    from bot.content import yamlfile

    assert knowledge.source_bytes > 1_000_000  # the bundled knowledge files, counted when they were loaded
    monkeypatch.setattr(yamlfile, "MAX_TOTAL_BYTES", knowledge.source_bytes + 100)
    parsed = []
    monkeypatch.setattr(yamlfile, "load_yaml", parsed.append)
    conversations, problems, [error] = problems_of(tmp_path, knowledge, GOOD)
    total = knowledge.source_bytes + (tmp_path / "guide.yaml").stat().st_size
    assert str(error).startswith(f"{tmp_path}:0: error: the knowledge and conversation files are "
                                 f"{total / 2**20:.1f} MiB ({total} bytes) in all; the limit is ")
    assert conversations == {} and parsed == [] and problems == [error]


@pytest.fixture(scope="module")
def bundled(knowledge):
    return load_conversations(CONVERSATIONS, knowledge)[0]


def path_to(guide, *labels):
    """The path of choices whose English labels are ``labels``."""
    step, path = guide.steps[guide.start], ""
    for label in labels:
        [index] = [n for n, choice in enumerate(step.choices) if choice.label["en"] == label]
        path += str(index)
        step = guide.steps[step.choices[index].next]
    return path


def test_an_adult_child_with_a_disability_is_led_to_the_application(bundled):
    guide = bundled["family-join"]
    end = guide.walk(path_to(guide, "Refugee status", "Adult child with a disability", "Less than 6 months ago"))
    assert end.step is guide.steps["apply"]
    no_right = guide.walk(path_to(guide, "Refugee status", "Parents, siblings, adult child")).step
    assert "disability" in no_right.say["en"]


def test_temporary_protection_and_children_with_subsidiary_protection_reach_a_volunteer(bundled):
    guide = bundled["family-join"]
    ukraine = guide.walk(path_to(guide, "Temporary protection (Ukraine)")).step
    assert ukraine.handover and ukraine.entries == ("asylum.temporary-protection",)
    child = guide.walk(path_to(guide, "I came alone as a child", "Subsidiary protection")).step
    assert child.handover and "legal helpdesk" in child.say["en"]


def test_the_family_threshold_is_gross_and_dated_and_never_net(bundled, knowledge):
    texts = [step.say.get("en", "") for step in bundled["family-join"].steps.values()]
    texts += [knowledge.entries[e].answer["en"] for e in ("family.conditions-after-first-year",
                                                          "family.subsidiary-protection")]
    assert all("net" not in text.split() for text in texts)
    assert all("€2,360 gross" in text and "2026" in text
               for text in texts[-2:])


def test_the_french_language_brussels_path_has_its_own_steps_and_no_maximum_bill(bundled):
    guide = bundled["school-enrol"]
    french = guide.walk(path_to(guide, "Brussels: French-language", "2½ to 17"))
    said = " ".join([french.step.say["en"], *(line["en"] for line in french.checklist)])
    assert "enseignement.be" in said and "maximum" not in said.lower()
    secondary = guide.walk(path_to(guide, "In Flanders", "12 to 17", "Now, during the school year", "Yes"))
    assert not any("maximum bill" in line["en"] for line in secondary.checklist)
    primary = guide.walk(path_to(guide, "In Flanders", "5 to 11"))
    assert any("maximum bill" in line["en"].lower() for line in primary.checklist)


def test_every_end_of_the_refused_conversation_opens_a_volunteer_chat(bundled):
    ends = [step for step in bundled["refused"].steps.values() if step.is_end]
    assert len(ends) >= 5 and all(step.handover for step in ends)
