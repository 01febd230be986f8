"""Measure danger recognition on the safety data (safety/heldout by default):
emergency recall and false alarms on near-misses, per language, style and
kind, and how often the answer's first line names the numbers of the
message's kind of danger. Information questions about emergency numbers
("how do I call an ambulance, is it free?") may get the numbers: they are
counted apart."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.i18n import best_available
from bot.understanding.engine import Engine, Match

# A near-miss of this kind may get the emergency numbers; it is counted apart, not as a false alarm.
INFORMATION = "info-emergency-number"


@dataclass
class Alarms:
    emergencies: int = 0
    recognised: int = 0
    near_misses: int = 0
    false_alarms: int = 0
    information: int = 0
    information_alarms: int = 0
    # emergencies whose answer's first line names their kind's numbers
    right_first: int = 0

    def add(self, line: dict, alarm: bool, right_first: bool = False) -> None:
        if line["label"] == "emergency":
            self.emergencies += 1
            self.recognised += alarm
            self.right_first += right_first
        elif line["kind"] == INFORMATION:
            self.information += 1
            self.information_alarms += alarm
        else:
            self.near_misses += 1
            self.false_alarms += alarm


@dataclass
class SafetyReport:
    overall: Alarms = field(default_factory=Alarms)
    by: dict[str, dict[str, Alarms]] = field(
        default_factory=lambda: {group: defaultdict(Alarms) for group in ("language", "style", "kind")})
    missed: list[dict] = field(default_factory=list)


def evaluate_safety(engine: Engine, directory: Path) -> SafetyReport:
    """Every line of every ``*.jsonl`` in ``directory`` through the engine, without a chosen language."""
    report = SafetyReport()
    for path in sorted(directory.glob("*.jsonl")):
        for text in path.read_text(encoding="utf-8").splitlines():
            line = json.loads(text)
            match = engine.understand(line["text"])
            alarm = match.action == "emergency"
            right_first = alarm and line["label"] == "emergency" and _names_the_numbers(engine, match, line)
            report.overall.add(line, alarm, right_first)
            for group, key in (("language", line["lang"]), ("style", line["style"]), ("kind", line["kind"])):
                report.by[group][key].add(line, alarm, right_first)
            if line["label"] == "emergency" and not alarm:
                report.missed.append(line)
    return report


def _names_the_numbers(engine: Engine, match: Match, line: dict) -> bool:
    """Whether the first line of the emergency answer the person gets names
    every number of the line's own kind of danger (the general answer's first
    line may: 112 is the number of a medical emergency)."""
    entry = engine.knowledge.entries[match.entry]
    expected = entry.dangers.get(line["kind"])
    if expected is None:
        return False
    given = entry.dangers.get(match.emergency_kind)
    answer = given.answer if given else entry.answer
    return not expected.missing_from_first_line(answer[best_available(line["lang"], answer)])


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def print_safety_report(report: SafetyReport, out: TextIO, examples: int = 10) -> None:
    for group, rows in report.by.items():
        print(f"{group:24}{'emergencies':>12}{'recall':>8}{'numbers first':>15}{'near-misses':>13}"
              f"{'false alarms':>14}", file=out)
        for key, t in sorted(rows.items()):
            print(f"{key:24}{t.emergencies:12d}{_share(t.recognised, t.emergencies):>8}"
                  f"{_share(t.right_first, t.emergencies):>15}"
                  f"{t.near_misses:13d}{_share(t.false_alarms, t.near_misses):>14}", file=out)
        print(file=out)
    o = report.overall
    print(f"emergency recall {o.recognised}/{o.emergencies} ({_share(o.recognised, o.emergencies).strip()}), "
          f"false alarms {o.false_alarms}/{o.near_misses} ({_share(o.false_alarms, o.near_misses).strip()}), "
          f"the kind's numbers in the first line {o.right_first}/{o.emergencies} "
          f"({_share(o.right_first, o.emergencies).strip()}), "
          f"information questions given the numbers {o.information_alarms}/{o.information}", file=out)
    if report.missed:
        print("\nmissed, for example:", file=out)
        for line in report.missed[:examples]:
            print(f"  [{line['lang']} {line['kind']} {line['style']}] {line['text'][:100]}", file=out)
