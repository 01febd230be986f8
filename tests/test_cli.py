"""The command line as maintainers and scripts use it."""

import json
import os
import sqlite3
import subprocess
import sys

from bot.content.knowledge import DANGER_KINDS
from tests.conftest import PROJECT


def run_bot(*args, stdin="", env=None):
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
        cwd=PROJECT, env={**os.environ, **(env or {})}, timeout=120,
    )


def test_match_jsonl_answers_every_line_and_survives_malformed_ones():
    lines = [
        json.dumps({"text": "how much rental deposit can a landlord ask in flanders", "lang": "en"}),
        "this is not json",
        json.dumps({"lang": "en"}),
        json.dumps(["a", "list"]),
        "",
        json.dumps({"text": "ik wil mezelf doden"}),
        json.dumps({"text": 42}),
        json.dumps({"text": "wie wint de champions league"}),
    ]
    result = run_bot("match", "--jsonl", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 7  # the blank line is not an input
    assert out[0]["entry"] == "housing.rental-deposit" and out[0]["action"] == "answer"
    assert set(out[0]) == {"entry", "action", "lang", "score", "candidates"}
    assert out[0]["lang"] == "en" and isinstance(out[0]["score"], float)
    assert out[1]["error"].startswith("line 2:") and out[1]["line"] == 2
    assert "text" in out[2]["error"] and "text" in out[3]["error"]
    assert out[4]["action"] == "emergency" and out[4]["lang"] == "nl" and out[4]["emergency_kind"] in DANGER_KINDS
    assert "error" in out[5]
    assert out[6]["entry"] is None and out[6]["action"] == "escalate"


def test_check_passes_on_the_bundled_knowledge_base():
    result = run_bot("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout


def test_check_fails_with_file_and_line_on_a_broken_file(tmp_path):
    (tmp_path / "broken.yaml").write_text("topic:\n  id: x\n  title: {en: X\nentries: []\n", encoding="utf-8")
    result = run_bot("--knowledge", str(tmp_path), "check")
    assert result.returncode == 1
    assert f"{tmp_path / 'broken.yaml'}:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_broken_knowledge_base_stops_chat_with_a_clear_message(tmp_path):
    (tmp_path / "broken.yaml").write_text("entries: 3\n", encoding="utf-8")
    result = run_bot("--knowledge", str(tmp_path), "chat", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert "broken.yaml:1: error" in result.stderr and "Traceback" not in result.stderr


def test_eval_prints_the_quality_figures(tmp_path):
    questions = tmp_path / "set.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"text": "hoeveel mag de huurwaarborg zijn", "lang": "nl", "expect": "housing.rental-deposit"},
        {"text": "I want to die", "lang": "en", "expect": "meta.emergency"},
        {"text": "recipe for pancakes please", "lang": "en", "expect": None},
    ]) + "\n", encoding="utf-8")
    result = run_bot("eval", str(questions))
    assert result.returncode == 0, result.stderr
    assert "emergency recall 1/1" in result.stdout
    assert "top-1 correct" in result.stdout and "language identification" in result.stdout
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "en.jsonl").write_text(json.dumps(
        {"text": "where can i find a family doctor", "lang": "en", "expect": "health.find-doctor", "style": "plain"})
        + "\n" + json.dumps({"text": "famly docter", "lang": "en", "expect": "health.find-doctor", "style": "typo"})
        + "\n", encoding="utf-8")
    result = run_bot("eval", str(questions), str(tmp_path / "folder"))
    assert result.returncode == 0, result.stderr
    assert "== side by side" in result.stdout and "style" in result.stdout and "typo" in result.stdout


def test_terminal_chat_driven_through_stdin(tmp_path):
    script = "\n".join([
        "2",  # English, from the language picker
        "how much is the rental deposit in flanders",
        "/topics",
        "1",
        "/human",
        "my landlord keeps my deposit",
        "/queue",
        "/quit",
    ]) + "\n"
    result = run_bot("chat", "--data-dir", str(tmp_path), stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Choose your language:" in out and "[2]\u00a0English" in out
    assert "Language set to English" in out
    assert "woninghuur.vlaanderen" in out  # the answer's official link
    assert "Choose a topic:" in out
    assert "ticket #1" in out and "Sent to the volunteer." in out
    assert "#1 · English · housing · waiting 0 min" in out
    with sqlite3.connect(tmp_path / "wegwijs.sqlite3") as db:
        assert db.execute("select status from tickets").fetchall() == [("open",)]
        assert db.execute("select text from ticket_messages").fetchall() == [("my landlord keeps my deposit",)]


def test_a_guided_conversation_in_the_terminal(tmp_path):
    script = "\n".join([
        "2",  # English
        "/topics",
        "16",  # 🧭 Enrolling a child in school
        "1",  # in Flanders
        "4",  # 12 to 17
        "1",  # now
        "1",  # low income
        "/quit",
    ]) + "\n"
    result = run_bot("chat", "--data-dir", str(tmp_path), stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout.replace("\u00a0", " ")
    assert "== Enrolling a child in school ==" in out and "Where will your child go to school?" in out
    assert "Your checklist:" in out and "☐ School is compulsory until 18. Little Dutch? OKAN (reception class)" in out
    assert "Reception class (OKAN)" in out  # a button to the knowledge entry


def test_coverage_shows_every_entry_and_conversation_per_language():
    result = run_bot("coverage")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["nl", "en", "fr", "ar", "fa", "ps", "ti", "so", "tr", "uk", "ru"]
    rental = next(line for line in lines if line.startswith("housing.rental-deposit "))
    assert rental.split()[1:] == ["M", "O", "M", "M", "M", "M", "M", "M", "M", "M", "M"]
    assert any(line.startswith("conversation family-join ") for line in lines)


def test_run_without_a_token_names_the_missing_setting(tmp_path):
    result = run_bot("run", "--data-dir", str(tmp_path), env={"WEGWIJS_TELEGRAM_TOKEN": "", "WEGWIJS_VOLUNTEER_GROUPS": ""})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Cannot start: WEGWIJS_TELEGRAM_TOKEN is not set (for example WEGWIJS_TELEGRAM_TOKEN=123456:ABC-from-BotFather)"]


def test_run_with_a_malformed_group_id_says_which_setting(tmp_path):
    env = {"WEGWIJS_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOP", "WEGWIJS_VOLUNTEER_GROUPS": "12345"}
    result = run_bot("run", "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 2 and "WEGWIJS_VOLUNTEER_GROUPS" in result.stderr and "Traceback" not in result.stderr


def test_chat_with_a_data_dir_that_is_a_file_stops_with_one_clear_line(tmp_path):
    data = tmp_path / "data"
    data.write_text("not a directory")
    result = run_bot("chat", "--data-dir", str(data))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Cannot start: The data directory {data} is a file, not a directory. "
        "Move that file aside, or choose another WEGWIJS_DATA_DIR (or --data-dir)."]


def test_chat_with_a_data_dir_that_cannot_be_created_stops_with_one_clear_line(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    result = run_bot("chat", "--data-dir", str(blocker / "data"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Cannot start: The data directory {blocker / 'data'} cannot be created")
    assert f"{blocker} is a file" in lines[0] and "WEGWIJS_DATA_DIR" in lines[0]
