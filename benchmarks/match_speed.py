"""Speed of matching: the engine against a baseline that scores every phrasing
with rapidfuzz WRatio, on the bundled knowledge base and on a synthetic one
fifty times larger, side by side in one run, on one core.

    python benchmarks/match_speed.py [--queries 2000] [--scale 50]

Queries are the base's own phrasings with typing mistakes added, plus
out-of-scope sentences, so that both hits and misses are timed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import time
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.understanding.engine import Engine  # noqa: E402
from bot.content.knowledge import KnowledgeBase, load_knowledge  # noqa: E402
from bot.understanding.normalize import fold  # noqa: E402

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
OUT_OF_SCOPE = [
    "what will the weather be like on sunday", "wie heeft de match gewonnen gisteren",
    "recette de couscous facile", "какой курс доллара сегодня", "best phone under 300 euro",
]


def typo(text: str, rng: random.Random) -> str:
    """The text with one or two letters dropped, doubled or swapped."""
    chars = list(text)
    for _ in range(rng.randint(1, 2)):
        if len(chars) < 4:
            break
        i = rng.randrange(len(chars) - 1)
        operation = rng.choice(("drop", "double", "swap"))
        if operation == "drop":
            del chars[i]
        elif operation == "double":
            chars.insert(i, chars[i])
        else:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def scaled(knowledge: KnowledgeBase, factor: int, rng: random.Random) -> KnowledgeBase:
    """A base ``factor`` times larger: copies of every entry whose phrasings carry
    other typing mistakes, so the vocabulary grows as a real base would."""
    entries = {}
    for copy in range(factor):
        for entry in knowledge.entries.values():
            new_id = entry.id if copy == 0 else f"{entry.id}-{copy}"
            questions = entry.questions if copy == 0 else {
                lang: [typo(q, rng) for q in qs] for lang, qs in entry.questions.items()}
            entries[new_id] = dataclasses.replace(entry, id=new_id, questions=questions, related=[])
    return KnowledgeBase(knowledge.topics, entries)


def time_calls(function, queries: list[str]) -> list[float]:
    latencies = []
    for query in queries:
        start = time.perf_counter()
        function(query)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def summary(latencies: list[float]) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return 1000 * len(latencies) / sum(latencies), statistics.median(ordered), p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--scale", type=int, default=50)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(7)
    bundled = load_knowledge(KNOWLEDGE).knowledge
    phrasings = [q for e in bundled.entries.values() for qs in e.questions.values() for q in qs]
    queries = [typo(rng.choice(phrasings), rng) for _ in range(args.queries)]
    queries += [rng.choice(OUT_OF_SCOPE) for _ in range(args.queries // 20)]

    rows = []
    for label, knowledge in (("bundled", bundled), (f"{args.scale}x", scaled(bundled, args.scale, rng))):
        started = time.perf_counter()
        engine = Engine(knowledge)
        build = time.perf_counter() - started
        folded = [fold(q) for e in knowledge.entries.values() for qs in e.questions.values() for q in qs]
        engine_latencies = time_calls(engine.understand, queries)
        # the lexical path alone: language, lexical ranking fused with the entry classifier
        ranking_latencies = time_calls(lambda q: engine.matcher.rank(q, engine.languages.identify(q)), queries)
        baseline_queries = queries[: max(200, len(queries) // (10 if label != "bundled" else 1))]
        baseline_latencies = time_calls(
            lambda q: process.extractOne(fold(q), folded, scorer=fuzz.WRatio), baseline_queries)
        rows.append((label, len(knowledge.entries), knowledge.phrasing_count, build,
                     summary(engine_latencies), summary(ranking_latencies), summary(baseline_latencies)))

    print(f"{len(queries)} queries, one core, Python {sys.version.split()[0]}\n")
    print("| base | entries | phrasings | build s | engine q/s | engine p50 ms | engine p99 ms "
          "| ranking p50 ms | ranking p99 ms | WRatio-all q/s | WRatio-all p50 ms | WRatio-all p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, n_entries, n_phrasings, build, (qps, p50, p99), (_, rp50, rp99), (bqps, bp50, bp99) in rows:
        print(f"| {label} | {n_entries} | {n_phrasings} | {build:.1f} | {qps:,.0f} | {p50:.3f} | {p99:.3f} "
              f"| {rp50:.3f} | {rp99:.3f} | {bqps:,.0f} | {bp50:.3f} | {bp99:.3f} |")


if __name__ == "__main__":
    main()
