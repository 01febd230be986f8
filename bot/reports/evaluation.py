"""Measure answer quality on JSON-lines sets of questions with expected entries: per language,
per style of writing, and several sets side by side (the tuning part beside the held-out one)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.understanding.danger import NOT_ORDINARY
from bot.understanding.engine import Engine, Match


def served_by_emergency(expected: str | None, match: Match) -> bool:
    """Whether the emergency answer of the question's kind of danger served it ("I was raped two days
    ago, where can I go": the care centres come first)."""
    return expected in NOT_ORDINARY and match.action == "emergency" and match.emergency_kind == NOT_ORDINARY[expected]


def is_correct(expected: str | None, match: Match) -> bool:
    if expected is None:
        return match.entry is None and match.action == "escalate"
    return served_by_emergency(expected, match) or match.entry == expected and match.action != "clarify"


@dataclass
class Tally:
    total: int = 0
    top1: int = 0
    reached: int = 0
    wrong: int = 0
    expected_emergencies: int = 0
    emergencies_found: int = 0
    false_emergencies: int = 0
    lang_right: int = 0

    def add(self, expected: str | None, lang: str, match: Match) -> None:
        self.total += 1
        correct = is_correct(expected, match)
        self.top1 += correct
        self.reached += correct or (match.action == "clarify" and expected in match.candidates)
        # Answering with the wrong entry, or answering what must not be answered.
        self.wrong += match.action in ("answer", "smalltalk") and match.entry != expected
        if expected == "meta.emergency":
            self.expected_emergencies += 1
            self.emergencies_found += match.action == "emergency"
        elif match.action == "emergency" and not served_by_emergency(expected, match):
            self.false_emergencies += 1
        self.lang_right += match.lang == lang


@dataclass
class Report:
    name: str = ""
    overall: Tally = field(default_factory=Tally)
    per_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_style: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    confusions: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)


def questions_in(path: Path) -> list[dict]:
    """The questions of a JSON-lines file, or of every ``*.jsonl`` file of a folder."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return [json.loads(line) for file in files for line in file.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def evaluate(engine: Engine, path: Path, *, use_language: bool = False) -> Report:
    """Run every question of ``path`` (a file, or a folder of them) through the engine. With
    ``use_language`` the question's language is passed as the person's choice."""
    report = Report(name=str(path))
    for item in questions_in(path):
        match = engine.understand(item["text"], item["lang"] if use_language else None)
        expected = item.get("expect")
        for tally in (report.overall, report.per_language[item["lang"]], report.per_style[item.get("style", "-")]):
            tally.add(expected, item["lang"], match)
        report.actions[match.action] += 1
        got = match.entry if match.action != "clarify" else f"clarify{match.candidates}"
        if not is_correct(expected, match):
            report.confusions[(expected, got, match.action)] += 1
    return report


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def _table(rows: list[tuple[str, Tally]], heading: str, out: TextIO) -> None:
    """One line a row, and a last line for ``all`` when it is given."""
    width = max(6, *(len(name) + 1 for name, _ in rows))
    header = f"{heading:{width}}{'n':>5}  {'top-1':>7}{'reached':>9}{'wrong':>7}{'emerg.':>8}{'lang-id':>9}"
    print(header, file=out)
    for name, t in rows:
        if name == "all":
            print("-" * len(header), file=out)
        emergency = f"{t.emergencies_found}/{t.expected_emergencies}" if t.expected_emergencies else "-"
        print(f"{name:{width}}{t.total:5d}  {_pct(t.top1, t.total):>7}{_pct(t.reached, t.total):>9}"
              f"{_pct(t.wrong, t.total):>7}{emergency:>8}{_pct(t.lang_right, t.total):>9}", file=out)


def print_report(report: Report, out: TextIO, worst: int = 15) -> None:
    if report.name:
        print(f"== {report.name}", file=out)
    by_size = sorted(report.per_language.items(), key=lambda kv: -kv[1].total)
    _table([*by_size, ("all", report.overall)], "lang", out)
    if len(report.per_style) > 1:
        print(file=out)
        _table(sorted(report.per_style.items(), key=lambda kv: -kv[1].total), "style", out)
    o = report.overall
    print(file=out)
    print(f"top-1 correct {_pct(o.top1, o.total).strip()}, reached {_pct(o.reached, o.total).strip()}, "
          f"wrong answers {_pct(o.wrong, o.total).strip()} ({o.wrong}), "
          f"emergency recall {o.emergencies_found}/{o.expected_emergencies}, "
          f"false emergencies {o.false_emergencies}, language identification {_pct(o.lang_right, o.total).strip()}",
          file=out)
    print("actions: " + ", ".join(f"{a} {n}" for a, n in report.actions.most_common()), file=out)
    if report.confusions:
        print("\nworst confusions (expected -> got, action):", file=out)
        for (expected, got, action), n in report.confusions.most_common(worst):
            print(f"  {n:3d}  {expected} -> {got} ({action})", file=out)


def print_side_by_side(reports: list[Report], out: TextIO) -> None:
    """The overall figures of several sets, one line each: the held-out part beside the tuned-on one."""
    print("== side by side", file=out)
    _table([(report.name, report.overall) for report in reports], "set", out)
