"""The quality bars of the knowledge base, measured on the shared evaluation
set (../shared/eval/dev.jsonl, as ``python -m bot eval`` prints them): the
suite fails when an edit of the knowledge makes answers worse."""

from __future__ import annotations

import json

import pytest

from bot.cli import SHARED
from bot.reports.evaluation import evaluate

DEV_SET = SHARED / "eval" / "dev.jsonl"
# Questions the dev set says no entry may answer, which an intent added since (../shared/intents-added.yaml)
# covers word for word: "Preparing for the CGRS personal interview" is asylum.interview now. Measured with
# that expectation until the shared set is relabelled.
SUPERSEDED = {
    "what questions do they ask at the cgvs interview? any tips how to prepare": "asylum.interview",
    "tips voor mijn persoonlijk onderhoud bij het cgvs volgende week? wat moet ik zeggen": "asylum.interview",
}

pytestmark = pytest.mark.skipif(not DEV_SET.exists(), reason=f"{DEV_SET} is not beside the project")


@pytest.fixture(scope="module")
def report(engine, tmp_path_factory):
    lines = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert {line["text"] for line in lines} >= SUPERSEDED.keys(), "the dev set changed: look at SUPERSEDED again"
    relabelled = tmp_path_factory.mktemp("dev") / "dev.jsonl"
    relabelled.write_text("".join(json.dumps({**line, "expect": SUPERSEDED.get(line["text"], line["expect"])},
                                             ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return evaluate(engine, relabelled)


def share(part: int, whole: int) -> float:
    return 100 * part / whole


def test_overall_bars(report):
    tally = report.overall
    assert share(tally.top1, tally.total) >= 90, "top-1 correct below 90%"
    # Recall first: the learned emergency check (issue 11) also alarms on a few ordinary
    # questions (6 of 347 when it came); each costs this set an answer. 97% before it.
    assert share(tally.reached, tally.total) >= 95.5, "right entry answered or offered below 95.5%"
    assert share(tally.wrong, tally.total) <= 3, "wrong answers above 3%"
    assert tally.emergencies_found == tally.expected_emergencies, "an emergency was not recognised"
    # 6 when the learned check came; 7 since another entry needs a surer match against a message that
    # reads more like danger (Thresholds.answer_in_danger: on unseen writers, 0.7% more emergencies found).
    # With sentence embeddings (not installed for the tests): 2.
    assert tally.false_emergencies <= 7, "more false emergencies than when the sliding danger gate came (7)"
    assert share(tally.lang_right, tally.total) >= 95, "language identification below 95%"


def test_every_language_is_served(report):
    # 85% before the learned emergency check; Somali lost 1 of its 21 questions to a false alarm.
    low = {lang: round(share(t.top1, t.total), 1) for lang, t in report.per_language.items()
           if share(t.top1, t.total) < 80}
    assert low == {}, f"top-1 below 80% in {low}"
