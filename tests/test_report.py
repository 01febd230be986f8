"""The maintainers' report: grouped unanswered and 👎 questions without
personal data, ticket figures, and the HTML page as a browser shows it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from bot.cli import main
from bot.reports.report import build_report, group_similar
from bot.people.store import Store

UNANSWERED = ["waar kan ik mijn rijbewijs omwisselen", "rijbewijs omwisselen waar", "hoe rijbewijs omwisselen gent",
              "كيف ابدل رخصة القيادة", "call me on 0470 12 34 56 please", "my mail is amina@example.org"]
BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


@pytest.fixture
def data_dir(tmp_path):
    """A store with a month of use: unanswered questions, 👎, tickets answered after 10, 20 and 90 minutes."""
    store = Store(tmp_path / "wegwijs.sqlite3")
    for n, text in enumerate(UNANSWERED * 2 + UNANSWERED[:3]):
        store.record_exchange(store.person("t", str(n)).id, text, "nl", "escalate", None, 0.2, [])
    for n in range(3):
        person = store.person("t", f"down{n}")
        store.record_exchange(person.id, "hoeveel huurwaarborg", "nl", "answer", "housing.rental-deposit", 0.9, [])
        store.record_feedback(person.id, "housing.rental-deposit", helpful=False)
    now = dt.datetime.now(dt.timezone.utc)
    for n, (lang, topic, minutes) in enumerate([("ar", "family", 10), ("ar", "housing", 20), ("fa", "housing", 90),
                                                ("so", "health", None)]):
        ticket = store.open_ticket(store.person("t", f"ticket{n}").id, lang, topic)
        if minutes:
            store.db.execute("update tickets set created = ? where id = ?",
                             [(now - dt.timedelta(minutes=minutes)).isoformat(timespec="seconds"), ticket.id])
            store.add_ticket_message(ticket.id, "volunteer", "hello")
    store.close()
    return tmp_path


def test_similar_questions_are_grouped_most_frequent_first():
    groups = group_similar([(text, None) for text in ["free bike", "rijbewijs omwisselen waar",
                                                       "waar rijbewijs omwisselen", "Rijbewijs omwisselen?"]])
    assert [g.count for g in groups] == [3, 1]
    assert groups[0].examples[0] == "rijbewijs omwisselen waar"


def test_the_text_report_has_the_figures_and_no_personal_data(data_dir, capsys):
    assert main(["report", "--data-dir", str(data_dir), "--days", "7"]) == 0
    out = capsys.readouterr().out
    assert "Questions without an answer: 15" in out
    assert re.search(r"9 × .*rijbewijs", out)
    assert "3 × hoeveel huurwaarborg  → Rental deposit (housing.rental-deposit)" in out
    assert "0470" not in out and "amina@example.org" not in out and "[phone]" in out and "[e-mail]" in out
    assert "median 20 min, 90th percentile 90 min (3 answered, 1 not yet)" in out
    assert "2  housing" in out and "ar 2" in out
    assert "nl  en  fr  ar" in out


def test_old_rows_are_outside_the_period(data_dir, engine):
    store = Store(data_dir / "wegwijs.sqlite3")
    report = build_report(store, engine, 30, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=40))
    store.close()
    assert report.unanswered == [] and sum(report.tickets_by_topic.values()) == 0


@pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine (make test installs it where it can)")
def test_the_html_report_renders_in_a_browser_with_its_figures(data_dir, tmp_path):
    page = tmp_path / "report.html"
    assert main(["report", "--data-dir", str(data_dir), "--html", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "<script" not in html  # self-contained
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([BROWSER, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    figures = dict(re.findall(r'<div class="figure" id="figure-(\d)">([^<]*)</div>', dom))
    assert figures == {"0": "15", "1": "3", "2": "4", "3": "20 min", "4": "90 min"}
    assert dom.count('class="bar"') >= 11 + 2 + 1 + 3 + 3  # coverage, unanswered, 👎, topics, languages
    assert "[phone]" in dom and "0470" not in dom
    shot = tmp_path / "report.png"
    subprocess.run([BROWSER, *flags, f"--screenshot={shot}", "--window-size=1100,1400", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
