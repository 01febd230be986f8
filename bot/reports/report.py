"""``python -m bot report``: what maintainers should improve next.

Translation coverage per language; the questions of the last N days that
found no answer, and the answers that got a 👎, grouped by similarity with
counts and example texts (scrubbed of personal data), most frequent first;
tickets per topic and language and the time to a volunteer's first answer.
As plain text, or as one self-contained HTML page with charts (no script,
no outside resource: it opens from a file, offline).
"""

from __future__ import annotations

import datetime as dt
import html
import statistics
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.content.coverage import coverage_totals, translation_rows
from bot.understanding.engine import Engine
from bot.i18n import native_name
from bot.understanding.languages import LANGUAGES
from bot.understanding.normalize import fold
from bot.people.scrub import scrub
from bot.people.store import Store

# Two questions belong together when their words overlap this much (rapidfuzz token_sort_ratio, 0-100).
SIMILAR = 65
EXAMPLES = 3
MAX_GROUPS = 20


@dataclass
class Group:
    """Similar questions: how many, a few different examples, and (for 👎) the answer given."""

    count: int = 0
    examples: list[str] = field(default_factory=list)
    entry: str | None = None


@dataclass(frozen=True)
class Report:
    days: int
    until: dt.datetime
    coverage: dict[str, dict[str, int]]
    unanswered: list[Group]
    unhelpful: list[Group]
    tickets_by_topic: Counter
    tickets_by_language: Counter
    first_answer_minutes: list[float]
    unanswered_tickets: int

    @property
    def median_minutes(self) -> float | None:
        return statistics.median(self.first_answer_minutes) if self.first_answer_minutes else None

    @property
    def p90_minutes(self) -> float | None:
        """The 90th percentile (nearest rank): nine tickets in ten got an answer sooner."""
        times = sorted(self.first_answer_minutes)
        return times[max(0, -(-len(times) * 9 // 10) - 1)] if times else None


def group_similar(texts: list[tuple[str, str | None]]) -> list[Group]:
    """(text, entry) pairs grouped by similar wording (and the same entry),
    largest group first. Each text joins the first group whose first text
    is close enough."""
    groups: list[Group] = []
    keys: list[str] = []
    for text, entry in texts:
        key = fold(text)
        candidates = [k if g.entry == entry else "" for k, g in zip(keys, groups)]
        found = process.extractOne(key, candidates, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR) if key else None
        if found is None:
            groups.append(Group(entry=entry))
            keys.append(key)
            group = groups[-1]
        else:
            group = groups[found[2]]
        group.count += 1
        clean = scrub(text)  # stored scrubbed already; again for rows kept before scrubbing existed
        if len(group.examples) < EXAMPLES and clean not in group.examples:
            group.examples.append(clean)
    return sorted(groups, key=lambda g: -g.count)[:MAX_GROUPS]


def build_report(store: Store, engine: Engine, days: int, now: dt.datetime | None = None) -> Report:
    now = now or dt.datetime.now(dt.timezone.utc)
    since = now - dt.timedelta(days=days)
    tickets = store.tickets_since(since)
    waits = [(dt.datetime.fromisoformat(t["first_answer"]) - dt.datetime.fromisoformat(t["created"])).total_seconds() / 60
             for t in tickets if t["first_answer"]]
    return Report(
        days=days, until=now,
        coverage=coverage_totals(translation_rows(engine.knowledge, engine.conversations)),
        unanswered=group_similar([(row["text"], None) for row in store.unanswered_since(since) if row["text"]]),
        unhelpful=group_similar([(row["question"] or "", row["entry_id"]) for row in store.unhelpful_since(since)]),
        tickets_by_topic=Counter(t["topic"] or "-" for t in tickets),
        tickets_by_language=Counter(t["language"] or "?" for t in tickets),
        first_answer_minutes=waits,
        unanswered_tickets=sum(1 for t in tickets if not t["first_answer"]),
    )


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} min" if value < 120 else f"{value / 60:.1f} h"


def _title(engine: Engine, entry_id: str | None) -> str:
    entry = engine.knowledge.entries.get(entry_id or "")
    return f"{entry.title.get('en', entry_id)} ({entry_id})" if entry else (entry_id or "-")


# plain text

def as_text(report: Report, engine: Engine) -> str:
    lines = [f"Wegwijs report: the {report.days} days up to {report.until:%Y-%m-%d %H:%M} UTC", ""]
    lines.append("Translations (answers and conversations) per language")
    lines.append(f"{'':22}" + " ".join(f"{lang:>3}" for lang in LANGUAGES))
    for label, per_language in report.coverage.items():
        lines.append(f"{label:22}" + " ".join(f"{per_language[lang]:>3}" for lang in LANGUAGES))
    for heading, groups in (("Questions without an answer", report.unanswered),
                            ("Answers that did not help (👎)", report.unhelpful)):
        lines += ["", f"{heading}: {sum(g.count for g in groups)}, in {len(groups)} group(s), most frequent first"]
        for group in groups:
            about = f"  → {_title(engine, group.entry)}" if group.entry else ""
            lines.append(f"{group.count:>5} × {group.examples[0] if group.examples else '(no text kept)'}{about}")
            lines += [f"        also: {example}" for example in group.examples[1:]]
    total = sum(report.tickets_by_topic.values())
    lines += ["", f"Tickets: {total}"]
    lines += [f"{count:>5}  {topic}" for topic, count in report.tickets_by_topic.most_common()]
    lines.append("  by language: " + ", ".join(f"{lang} {count}" for lang, count in report.tickets_by_language.most_common()))
    lines.append(f"  time to a volunteer's first answer: median {_minutes(report.median_minutes)}, "
                 f"90th percentile {_minutes(report.p90_minutes)} "
                 f"({len(report.first_answer_minutes)} answered, {report.unanswered_tickets} not yet)")
    return "\n".join(lines)


# HTML

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:.2rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}.ex{color:#555;font-size:.9rem}
.figures{display:flex;gap:2rem;flex-wrap:wrap}.figure{font-size:2rem;font-weight:600}
svg text{font-size:12px;font-family:system-ui,sans-serif}
"""
_COLOURS = {"original or reviewed": "#2a7d4f", "to check again": "#7b5ea7", "machine": "#e0a526", "missing": "#c0392b"}


def _bars(items: list[tuple[str, int]], colour: str = "#3465a4") -> str:
    """A horizontal bar chart as inline SVG."""
    if not items:
        return "<p>None.</p>"
    top = max(count for _, count in items) or 1
    row, label_width, bar_width = 22, 260, 400
    parts = [f'<svg role="img" width="{label_width + bar_width + 60}" height="{row * len(items) + 4}">']
    for n, (label, count) in enumerate(items):
        y = n * row
        width = max(1, round(bar_width * count / top))
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{html.escape(label[:40])}</text>'
                     f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{width}" height="{row - 6}" fill="{colour}"/>'
                     f'<text x="{label_width + width + 4}" y="{y + 15}">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _coverage_chart(coverage: dict[str, dict[str, int]]) -> str:
    """One stacked bar per language: original or reviewed, to check again, machine, missing."""
    row, label_width, bar_width, legend_width = 22, 140, 420, 140
    total = max(sum(per[lang] for per in coverage.values()) for lang in LANGUAGES) or 1
    svg_width = label_width + max(bar_width, legend_width * len(coverage)) + 20
    parts = [f'<svg role="img" width="{svg_width}" height="{row * len(LANGUAGES) + 30}">']
    for n, lang in enumerate(LANGUAGES):
        y, x = n * row, label_width
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{html.escape(native_name(lang))}'
                     f" ({lang})</text>")
        for label, per_language in coverage.items():
            width = round(bar_width * per_language[lang] / total)
            if width:
                parts.append(f'<rect class="bar" x="{x}" y="{y + 3}" width="{width}" height="{row - 6}" '
                             f'fill="{_COLOURS[label]}"><title>{label}: {per_language[lang]}</title></rect>')
            x += width
    legend_y = row * len(LANGUAGES) + 18
    for n, label in enumerate(coverage):
        parts.append(f'<rect x="{label_width + n * legend_width}" y="{legend_y - 10}" width="10" height="10" '
                     f'fill="{_COLOURS[label]}"/><text x="{label_width + n * legend_width + 14}" y="{legend_y}">'
                     f'{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _group_table(groups: list[Group], engine: Engine) -> str:
    if not groups:
        return "<p>None.</p>"
    rows = []
    for group in groups:
        examples = "".join(f'<div class="ex" dir="auto">{html.escape(e)}</div>' for e in group.examples[1:])
        about = f"<td>{html.escape(_title(engine, group.entry))}</td>" if group.entry else ""
        rows.append(f'<tr><td class="n">{group.count}</td><td dir="auto">{html.escape(group.examples[0] if group.examples else "")}'
                    f"{examples}</td>{about}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def as_html(report: Report, engine: Engine) -> str:
    title = f"Wegwijs report: the {report.days} days up to {report.until:%Y-%m-%d %H:%M} UTC"
    answered = len(report.first_answer_minutes)
    figures = [("questions without an answer", sum(g.count for g in report.unanswered)),
               ("👎 on answers", sum(g.count for g in report.unhelpful)),
               ("tickets", sum(report.tickets_by_topic.values())),
               ("median first answer", _minutes(report.median_minutes)),
               ("90% answered within", _minutes(report.p90_minutes))]
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<div class="figures">' + "".join(
            f'<div><div class="figure" id="figure-{n}">{html.escape(str(value))}</div>{html.escape(label)}</div>'
            for n, (label, value) in enumerate(figures)) + "</div>",
        "<h2>Translations per language</h2>", _coverage_chart(report.coverage),
        "<h2>Questions without an answer (most frequent first)</h2>",
        _bars([(g.examples[0] if g.examples else "", g.count) for g in report.unanswered[:10]], "#c0392b"),
        _group_table(report.unanswered, engine),
        "<h2>Answers that did not help (👎)</h2>",
        _bars([(_title(engine, g.entry), g.count) for g in report.unhelpful[:10]], "#e0a526"),
        _group_table(report.unhelpful, engine),
        "<h2>Tickets per topic</h2>", _bars(report.tickets_by_topic.most_common()),
        "<h2>Tickets per language</h2>",
        _bars([(native_name(lang) if lang in LANGUAGES else lang, count)
               for lang, count in report.tickets_by_language.most_common()]),
        f"<p>Time to a volunteer's first answer: median {_minutes(report.median_minutes)}, 90th percentile "
        f"{_minutes(report.p90_minutes)} ({answered} answered, {report.unanswered_tickets} not yet).</p>",
        "</body></html>",
    ])
