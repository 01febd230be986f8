"""The command line and composition root: reads the environment, builds the
engine, store and front end, and runs one of the commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.understanding.engine import Engine, KnowledgeError
from bot.understanding.languages import LANGUAGES

if TYPE_CHECKING:
    from bot.people.store import Store

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"
# What ``python -m bot eval`` measures by default: the shared dev set, our tuning part and our held-out part.
EVALUATION_SETS = (SHARED / "eval" / "dev.jsonl", PROJECT_ROOT / "eval" / "tune", PROJECT_ROOT / "eval" / "heldout")


def _environment_path(name: str, default: Path) -> Path:
    return Path(os.environ[name]) if os.environ.get(name) else default


def _load_engine(args: argparse.Namespace) -> Engine:
    try:
        return Engine.from_directory(args.knowledge, conversations=args.conversations)
    except KnowledgeError as error:
        for problem in error.errors:
            print(problem, file=sys.stderr)
        print(f"{args.knowledge} or {args.conversations} has errors; run 'python -m bot check'.", file=sys.stderr)
        raise SystemExit(1) from None


def _open_store(data_dir: Path) -> "Store":
    """The store in ``data_dir``; a damaged, locked or unwritable database, or a data directory
    that cannot be created, ends the command with one clear line (exit status 2)."""
    from bot.people.store import Store, StoreError

    try:
        return Store(data_dir / "wegwijs.sqlite3")
    except StoreError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def command_match(args: argparse.Namespace) -> int:
    """JSON lines in, one JSON line out per input line; bad lines get an error line."""
    engine = _load_engine(args)
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected an object with a "text" string')
            lang = item.get("lang")
            if lang is not None and not isinstance(lang, str):
                raise ValueError('"lang" must be a string')
        except ValueError as error:
            print(json.dumps({"error": f"line {number}: {error}", "line": number}), flush=True)
            continue
        match = engine.understand(item["text"], lang)
        print(json.dumps(match.as_json(), ensure_ascii=False), flush=True)
    return 0


def command_eval(args: argparse.Namespace) -> int:
    from bot.reports.evaluation import evaluate, print_report, print_side_by_side
    from bot.reports.safety import evaluate_safety, print_safety_report

    engine = _load_engine(args)
    if args.safety:
        print_safety_report(evaluate_safety(engine, args.safety), sys.stdout)
        return 0
    sets = args.sets or [path for path in EVALUATION_SETS if path.exists()]
    reports = [evaluate(engine, path, use_language=args.use_language) for path in sets]
    for report in reports:
        print_report(report, sys.stdout)
        print()
    if len(reports) > 1:
        print_side_by_side(reports, sys.stdout)
    return 0


def command_check(args: argparse.Namespace) -> int:
    from bot.content.check import check_all

    problems = check_all(args.knowledge, args.conversations, args.intents or sorted(SHARED.glob("intents*.yaml")))
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def _load_content(args: argparse.Namespace):
    """The knowledge base and the conversations, without building an engine (no models to train)."""
    from bot.content.conversations import load_conversations
    from bot.content.knowledge import load_knowledge
    from bot.content.yamlfile import errors_in

    result = load_knowledge(args.knowledge)
    conversations, problems = load_conversations(args.conversations, result.knowledge)
    if errors := errors_in(result.problems + problems):
        for problem in errors:
            print(problem, file=sys.stderr)
        print(f"{args.knowledge} or {args.conversations} has errors; run 'python -m bot check'.", file=sys.stderr)
        raise SystemExit(1)
    return result.knowledge, conversations


def command_coverage(args: argparse.Namespace) -> int:
    from bot.content.coverage import coverage_table
    from bot.content.plain import load_glossary

    knowledge, conversations = _load_content(args)
    print(coverage_table(knowledge, conversations, load_glossary(args.knowledge)[0]))
    return 0


def command_translations_export(args: argparse.Namespace) -> int:
    from bot.content.translations import export_catalog

    knowledge, conversations = _load_content(args)
    if args.output is None:
        count = export_catalog(knowledge, conversations, args.lang, sys.stdout.buffer)
    else:
        with args.output.open("wb") as out:
            count = export_catalog(knowledge, conversations, args.lang, out)
    print(f"{count} texts in '{args.lang}'" + (f" written to {args.output}" if args.output else ""), file=sys.stderr)
    return 0


def command_translations_import(args: argparse.Namespace) -> int:
    from bot.content.translations import import_catalog

    try:
        result = import_catalog(args.file, args.knowledge, args.conversations, machine=args.machine)
    except (OSError, ValueError) as error:  # babel's PoFileError is a ValueError too
        print(f"{args.file}: cannot be read as a PO file ({error})", file=sys.stderr)
        return 1
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.refused:
        print(f"Nothing was imported: fix the errors above in {args.file} and import it again.", file=sys.stderr)
        return 1
    print(f"{result.imported} {'machine-translated' if args.machine else 'reviewed'} '{result.lang}' texts written to "
          f"{', '.join(path.name for path in result.files) or 'no file'}; run 'python -m bot check'.")
    return 0


def command_report(args: argparse.Namespace) -> int:
    """What to improve: coverage, unanswered and 👎 questions, tickets (text, or --html FILE)."""
    from bot.reports.report import as_html, as_text, build_report

    engine = _load_engine(args)
    store = _open_store(args.data_dir)
    try:
        report = build_report(store, engine, args.days)
    finally:
        store.close()
    if args.html:
        args.html.write_text(as_html(report, engine), encoding="utf-8")
        print(f"Report written to {args.html}")
    else:
        print(as_text(report, engine))
    return 0


def command_chat(args: argparse.Namespace) -> int:
    from bot.assistant import Assistant
    from bot.terminal.chat import TerminalChat

    engine = _load_engine(args)
    store = _open_store(args.data_dir)
    try:
        TerminalChat(Assistant(engine, store), sys.stdin, sys.stdout).run(args.lang)
    finally:
        store.close()
    return 0


def command_run(args: argparse.Namespace) -> int:
    """The Telegram bot, configured from the environment (see README)."""
    import logging

    from bot.assistant import Assistant
    from bot.publishing import Publisher
    from bot.settings import SettingsError, settings_from
    from bot.telegram.app import run
    from bot.telegram.logs import install as install_privacy_filter

    try:
        settings = settings_from(os.environ, args.data_dir)
    except SettingsError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # RetryAfter as a timedelta, as in the next major version
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # On the handlers, so every logger is covered (python-telegram-bot's, aiohttp's): no update bodies,
    # names or texts, no token, no webhook secret, in messages and tracebacks alike.
    install_privacy_filter(settings.token, secrets=[settings.webhook_secret])
    engine = _load_engine(args)
    store = _open_store(settings.data_dir)
    assistant = Assistant(engine, store, office_hours=settings.office_hours, retention_days=settings.retention_days)
    try:
        return run(settings, assistant, store, Publisher(assistant, args.knowledge, args.conversations))
    finally:
        store.close()


def build_parser() -> argparse.ArgumentParser:
    knowledge = _environment_path("WEGWIJS_KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge")
    data_dir = _environment_path("WEGWIJS_DATA_DIR", PROJECT_ROOT / "data")
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    conversations = _environment_path("WEGWIJS_CONVERSATIONS_DIR", PROJECT_ROOT / "conversations")
    parser.add_argument("--knowledge", type=Path, default=knowledge, help=f"knowledge directory (default {knowledge})")
    parser.add_argument("--conversations", type=Path, default=conversations,
                        help=f"guided conversations directory (default {conversations})")
    commands = parser.add_subparsers(dest="command", required=True)

    match = commands.add_parser("match", help="match JSON lines from stdin, one JSON line out per line")
    match.add_argument("--jsonl", action="store_true", required=True, help="read and write JSON lines")
    match.set_defaults(run=command_match)

    evaluation = commands.add_parser("eval", help="measure answer quality on evaluation sets")
    evaluation.add_argument("sets", nargs="*", type=Path, metavar="SET",
                            help="JSON-lines files or folders of them (default: ../shared/eval/dev.jsonl, "
                                 "eval/tune and eval/heldout)")
    evaluation.add_argument("--use-language", action="store_true",
                            help="pass each question's language as the person's chosen language")
    evaluation.add_argument("--safety", type=Path, nargs="?", const=PROJECT_ROOT / "safety" / "heldout",
                            metavar="DIR", help="measure danger recognition instead, on the safety data "
                                                "(default safety/heldout): recall and false alarms")
    evaluation.set_defaults(run=command_eval)

    check = commands.add_parser("check", help="validate knowledge/ and conversations/")
    check.add_argument("--intents", type=Path, action="append",
                       help="a file of intent ids the knowledge base must cover (may be given again; "
                            "default: every intents*.yaml of ../shared)")
    check.set_defaults(run=command_check)

    coverage = commands.add_parser("coverage", help="translations: entries and conversations × languages")
    coverage.set_defaults(run=command_coverage)

    translations = commands.add_parser("translations", help="translators' files: PO export and import")
    steps = translations.add_subparsers(dest="step", required=True)
    export = steps.add_parser("export", help="write one language's texts as a gettext PO file")
    export.add_argument("--lang", required=True, choices=[code for code in LANGUAGES if code != "en"])
    export.add_argument("--output", type=Path, metavar="FILE", help="the PO file to write (default: standard output)")
    export.set_defaults(run=command_translations_export)
    import_ = steps.add_parser("import", help="write a PO file's reviewed texts into knowledge/ and conversations/")
    import_.add_argument("file", type=Path, help="the PO file (its language is in its header)")
    import_.add_argument("--machine", action="store_true",
                         help="the file was translated by a machine: mark its texts 'machine', not 'reviewed'")
    import_.set_defaults(run=command_translations_import)

    report = commands.add_parser("report", help="what to improve: coverage, unanswered and 👎 questions, tickets")
    report.add_argument("--data-dir", type=Path, default=data_dir)
    report.add_argument("--days", type=int, default=30, help="the period to report on (default 30 days)")
    report.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained HTML page with charts")
    report.set_defaults(run=command_report)

    chat = commands.add_parser("chat", help="talk to the assistant in this terminal")
    chat.add_argument("--data-dir", type=Path, default=data_dir)
    chat.add_argument("--lang", help="the language to greet in (as a phone would report it)")
    chat.set_defaults(run=command_chat)

    run = commands.add_parser("run", help="run the Telegram bot (settings from the environment, see README)")
    run.add_argument("--data-dir", type=Path, default=data_dir)
    run.set_defaults(run=command_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
