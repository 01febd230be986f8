"""The knowledge loader: every problem is reported with file and line, never a traceback."""

import textwrap

import pytest

from bot.content.knowledge import load_knowledge
from bot.i18n import translator
from tests.conftest import CONVERSATIONS, KNOWLEDGE

GOOD_ENTRY = """\
  - id: housing.rental-deposit
    topic: housing
    title: {en: Rental deposit}
    questions:
      en: [how much deposit can the landlord ask]
    answer:
      en: At most three months of rent in Flanders.
    translation: {en: original}
    links: [{title: Woninghuur, url: "https://www.woninghuur.vlaanderen/huurwaarborg-0"}]
    sources: ["https://www.woninghuur.vlaanderen/huurwaarborg-0"]
    reviewed: 2026-11-01
"""


def write(directory, name, text):
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def topic_file(entries: str, topic: str = "housing") -> str:
    return f"topic:\n  id: {topic}\n  title: {{en: Housing}}\nentries:\n{entries}"


def test_a_valid_file_loads_with_no_problem(tmp_path):
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY))
    result = load_knowledge(tmp_path)
    assert result.problems == []
    entry = result.knowledge.entries["housing.rental-deposit"]
    assert entry.answer["en"].startswith("At most")
    assert entry.links[0].url.endswith("huurwaarborg-0")
    assert result.knowledge.topics["housing"].entry_ids == ["housing.rental-deposit"]


def test_broken_yaml_gives_file_and_line(tmp_path):
    path = write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY + "    related: [unclosed\n  - id: x\n"))
    [problem] = load_knowledge(tmp_path).problems
    assert problem.path == path
    assert problem.line >= 14
    assert "YAML syntax" in problem.message
    assert str(problem).startswith(f"{path}:{problem.line}: error:")


def test_schema_errors_name_the_line_of_the_field(tmp_path):
    broken = GOOD_ENTRY.replace("reviewed: 2026-11-01", "reviewed: last week").replace(
        "kind", "kind").replace("    topic: housing\n", "    topic: housing\n    kind: poem\n")
    write(tmp_path, "housing.yaml", topic_file(broken))
    problems = load_knowledge(tmp_path).problems
    messages = {p.message: p.line for p in problems}
    assert any("kind 'poem'" in m for m in messages)
    assert any("'reviewed' must be a date" in m for m in messages)
    kind_line = next(line for m, line in messages.items() if "kind 'poem'" in m)
    assert kind_line == 7


def test_duplicate_ids_and_shared_phrasings_are_errors(tmp_path):
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY + GOOD_ENTRY))
    second = GOOD_ENTRY.replace("housing.rental-deposit", "housing.tenant-rights").replace(
        "how much deposit", "How much DEPOSIT")
    write(tmp_path, "more.yaml", topic_file(second).replace("id: housing\n", "id: housing\n", 1))
    messages = [str(p) for p in load_knowledge(tmp_path).problems]
    assert any("duplicate id 'housing.rental-deposit'" in m for m in messages)
    assert any("topic 'housing' is also defined" in m for m in messages)


def test_a_phrasing_in_two_entries_is_reported(tmp_path):
    second = GOOD_ENTRY.replace("housing.rental-deposit", "housing.tenant-rights").replace(
        "how much deposit", "How much DEPOSIT")
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY + second))
    [problem] = load_knowledge(tmp_path).problems
    assert "also in 'housing.rental-deposit'" in problem.message
    assert problem.line == 20


def test_missing_related_entry_and_unknown_language(tmp_path):
    entry = GOOD_ENTRY + "    related: [housing.nowhere]\n"
    entry = entry.replace("      en: [how much", "      xx: [hoi]\n      en: [how much")
    write(tmp_path, "housing.yaml", topic_file(entry))
    messages = [p.message for p in load_knowledge(tmp_path).problems]
    assert any("unknown language 'xx'" in m for m in messages)


def test_related_to_a_missing_entry(tmp_path):
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY + "    related: [housing.nowhere]\n"))
    [problem] = load_knowledge(tmp_path).problems
    assert "'housing.nowhere', which does not exist" in problem.message


def test_answers_must_be_sourced_and_dated(tmp_path):
    entry = "\n".join(line for line in GOOD_ENTRY.splitlines() if not line.strip().startswith(("sources", "reviewed")))
    write(tmp_path, "housing.yaml", topic_file(entry + "\n"))
    messages = [p.message for p in load_knowledge(tmp_path).problems]
    assert any("'sources' is missing" in m for m in messages)
    assert any("'reviewed' is missing" in m for m in messages)


def test_not_a_mapping_binary_and_empty_directory(tmp_path):
    write(tmp_path, "list.yaml", "- just\n- a list\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    messages = [str(p) for p in load_knowledge(tmp_path).problems]
    assert any("list.yaml:1: error: a topic file must be a mapping" in m for m in messages)
    assert any("binary.yaml:1: error: not UTF-8" in m for m in messages)
    assert "no knowledge files" in str(load_knowledge(tmp_path / "nowhere").problems[0])


def test_duplicate_keys_are_reported(tmp_path):
    entry = GOOD_ENTRY.replace("    reviewed: 2026-11-01\n", "    reviewed: 2026-11-01\n    reviewed: 2026-11-02\n")
    write(tmp_path, "housing.yaml", topic_file(entry))
    [problem] = load_knowledge(tmp_path).problems
    assert "'reviewed' appears twice" in problem.message and problem.line == 16


def test_the_bundled_knowledge_base_loads_cleanly():
    from tests.conftest import KNOWLEDGE

    result = load_knowledge(KNOWLEDGE)
    assert result.errors == []
    assert len(result.knowledge.entries) >= 58


def test_an_impossible_date_is_a_problem_at_its_line_not_a_traceback(tmp_path):
    path = write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY.replace("reviewed: 2026-11-01", "reviewed: 2026-02-30")))
    [problem] = load_knowledge(tmp_path).problems
    assert str(problem).startswith(f"{path}:15: error: '2026-02-30' is not a valid date")
    assert "day is out of range for month" in problem.message


@pytest.mark.parametrize("value, reason", [
    ("2026-13-01", "month must be in 1..12"),
    ("0000-01-01", "year 0 is out of range"),
    ("2026-02-30 10:00:00", "day is out of range"),
    ("2026-02-10 25:00:00", "hour must be in 0..23"),
    ("2026-02-10T10:00:00+25:00", "offset must be"),
])
def test_every_impossible_timestamp_is_a_problem_at_its_line(tmp_path, value, reason):
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY.replace("reviewed: 2026-11-01", f"reviewed: {value}")))
    [problem] = load_knowledge(tmp_path).problems
    assert problem.line == 15 and f"'{value}' is not a valid date" in problem.message and reason in problem.message


def test_other_values_that_cannot_be_built_are_problems_at_their_line(tmp_path):
    huge = "9" * 5000  # more digits than Python converts to an int
    entry = GOOD_ENTRY.replace("    keywords", "    keywords").replace(
        "    sources:", f"    keywords: [{huge}]\n    sources:")
    write(tmp_path, "housing.yaml", topic_file(entry))
    [problem] = load_knowledge(tmp_path).problems
    assert problem.line == 14 and problem.message.startswith("'99999") and "cannot be read" in problem.message
    assert len(problem.message) < 200
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY) + "  - {2026-02-30: key}\n")
    [problem] = load_knowledge(tmp_path).problems
    assert problem.line == 16 and "'2026-02-30' is not a valid date" in problem.message


def test_deep_nesting_is_a_problem_not_a_recursion_error(tmp_path):
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY) + "  - " + "[" * 900 + "]" * 900 + "\n")
    [problem] = load_knowledge(tmp_path).problems
    assert problem.path.name == "housing.yaml" and problem.line >= 1 and "nested too deeply" in problem.message


def test_a_date_with_a_time_is_refused_as_reviewed(tmp_path):
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY.replace("reviewed: 2026-11-01", "reviewed: 2026-11-01 10:00:00")))
    [problem] = load_knowledge(tmp_path).problems
    assert problem.line == 15 and "'reviewed' must be a date, YYYY-MM-DD" in problem.message


def test_a_directory_named_like_a_topic_file_is_a_problem(tmp_path):
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY))
    (tmp_path / "odd.yaml").mkdir()
    [problem] = load_knowledge(tmp_path).problems
    assert problem.path.name == "odd.yaml" and "cannot be read" in problem.message


def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path):
    from bot.content import yamlfile

    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY))
    big = tmp_path / "big.yaml"
    big.write_text("topic: [" + "x" * (yamlfile.MAX_FILE_BYTES + 10), encoding="utf-8")  # a syntax error if parsed
    [problem] = load_knowledge(tmp_path).problems
    size = big.stat().st_size
    assert str(problem) == f"{big}:1: error: the file is 2.0 MiB ({size} bytes); the limit is 2.0 MiB a file"


def test_a_base_over_the_total_limit_is_refused_before_anything_is_parsed(tmp_path, monkeypatch):
    from bot.content import yamlfile

    monkeypatch.setattr(yamlfile, "MAX_TOTAL_BYTES", 3000)
    write(tmp_path, "housing.yaml", topic_file(GOOD_ENTRY))
    write(tmp_path, "more.yaml", topic_file(GOOD_ENTRY.replace("housing", "more"), topic="more") + "#" * 2500 + "\n")
    total = sum(p.stat().st_size for p in tmp_path.glob("*.yaml"))
    parsed = []
    monkeypatch.setattr(yamlfile, "load_yaml", parsed.append)
    result = load_knowledge(tmp_path)
    [problem] = result.problems
    assert str(problem) == (f"{tmp_path}:0: error: the knowledge files are 0.0 MiB ({total} bytes) in all; "
                            f"the limit is 0.0 MiB (3000 bytes) for the knowledge and conversation files together")
    assert parsed == [] and result.knowledge.entries == {}


def test_the_bundled_base_is_well_within_the_size_limits():
    from bot.content.yamlfile import MAX_FILE_BYTES, MAX_TOTAL_BYTES
    from tests.conftest import CONVERSATIONS, KNOWLEDGE

    files = [*KNOWLEDGE.glob("*.yaml"), *CONVERSATIONS.glob("*.yaml")]
    assert max(p.stat().st_size for p in files) * 4 < MAX_FILE_BYTES
    assert sum(p.stat().st_size for p in files) * 4 < MAX_TOTAL_BYTES


def test_people_are_never_sent_to_the_professionals_line_of_myria():
    knowledge = load_knowledge(KNOWLEDGE).knowledge
    texts = [text for entry in knowledge.entries.values() for text in entry.answer.values()]
    texts += [path.read_text(encoding="utf-8") for path in CONVERSATIONS.glob("*.yaml")]
    assert not [text for text in texts if "212 30 87" in text]


def test_every_asylum_answer_ends_by_offering_a_volunteer_in_every_language():
    knowledge = load_knowledge(KNOWLEDGE).knowledge
    asylum = [entry for entry in knowledge.entries.values() if entry.topic == "asylum"]
    assert len(asylum) == 8
    for entry in asylum:
        for lang, text in entry.answer.items():
            assert translator(lang).gettext("Talk to a volunteer") in text.strip().splitlines()[-1], (entry.id, lang)
