"""The knowledge loader: every problem is reported with file and line, never a traceback."""

import textwrap

from bot.knowledge import load_knowledge

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
