"""The log keeps no personal data and no token (bot/telegram/logs.py): the
records python-telegram-bot writes with whole update batches, a token in a
URL, a token in a traceback; and python -m bot run has the filter on."""

from __future__ import annotations

import asyncio
import io
import logging

import aiohttp
import pytest

from bot.telegram.logs import PrivacyFilter, install
from tests.fake_telegram import TOKEN
from tests.telegram_bot import PERSON, until
from tests.test_run import fake, start_bot, stop_bot  # noqa: F401 - fake is a fixture

REAL_LOOKING_TOKEN = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
OTHER_TOKEN = "987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDxyz"
PRIVATE = ("Zoya", "zoya_k", "my landlord keeps my deposit", "a question only I ask")
# A poll option without the field this python-telegram-bot requires: as from a newer Bot API.
UNREADABLE_POLL = {"id": "p1", "question": "a question only I ask", "options": [{"text": "a", "voter_count": 0}],
                   "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular",
                   "allows_multiple_answers": False}


@pytest.fixture
def captured():
    """A handler on the root logger with the filter installed, as python -m bot run has; its text."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    install(REAL_LOOKING_TOKEN, secrets=["a-long-enough-secret"], handlers=[handler])
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.setLevel(level)
        root.removeHandler(handler)


def say_privately(fake) -> None:
    """A person with a name and a username sends a text, then an update python-telegram-bot cannot read."""
    fake.person_says(PERSON, PRIVATE[2], first_name=PRIVATE[0])
    fake._users[PERSON]["username"] = PRIVATE[1]
    fake.person_sends(PERSON, poll=UNREADABLE_POLL)


# update bodies


async def test_an_unreadable_update_batch_is_logged_without_its_content(bot, captured):
    """The real path: python-telegram-bot's getUpdates fails to parse the batch and logs it at CRITICAL."""
    say_privately(bot.fake)
    await until(lambda: "cannot be read" in captured.getvalue(), 10)
    text = captured.getvalue()
    assert "CRITICAL telegram.ext.ExtBot: Error while parsing updates" in text  # the record is there...
    assert "left out of the log" in text and "update ids 1, 2" in text and "TypeError" in text
    assert not [word for word in PRIVATE if word in text], text  # ...without names, usernames or texts
    assert "Traceback" not in text


@pytest.mark.parametrize("logger, template, args", [
    ("telegram.Bot", "Error while parsing updates! Received data was %r",
     ([{"update_id": 5, "message": {"from": {"first_name": "Zoya", "username": "zoya_k"}, "text": "Zoya"}}],)),
    ("telegram.Bot", "Calling Bot API endpoint `%s` with parameters `%s`",
     ("sendMessage", {"chat_id": 1, "text": "Volunteer: Zoya, your appointment"})),
    ("telegram.Bot", "Call to Bot API endpoint `%s` finished with return value `%s`",
     ("getUpdates", [{"update_id": 5, "message": {"text": "Zoya"}}])),
    ("telegram.request.BaseRequest", 'Can not load invalid JSON data: "%s"', ('{"ok":true,"result":[{"text":"Zoya"',)),
    ("telegram.ext.Updater", "Webhook received data: %s", ('{"message": {"text": "Zoya"}}',)),
    ("telegram.ext.Updater", "Something went wrong processing the data received from Telegram. "
     "Received data was *not* processed! Received data was: %r", ({"message": {"text": "Zoya"}},)),
    ("telegram.ext.Application", "Processing update %s", ("Update(message=Message(text='Zoya'), update_id=5)",)),
    ("telegram.ext.Application", "Dropping pending update: %s", ("Update(message=Message(text='Zoya'))",)),
    ("telegram.ext.Application", "Error while building CallbackContext for update %s. Update will not be processed.",
     ("Update(message=Message(text='Zoya'))",)),
    # Not a known record, but it looks like an update: whoever wrote it.
    ("bot.somewhere", "got %s", ('{"update_id": 5, "message": {"from": {"first_name": "Zoya"}}}',)),
    ("aiohttp.server", "odd: %r", ({"from": {"id": 1, "username": "zoya_k", "first_name": "Zoya"}},)),
    ("bot.somewhere", "got %s", ("User(first_name='Zoya', id=1, is_bot=False)",)),
])
def test_records_with_update_or_request_bodies_are_left_out(captured, logger, template, args):
    logging.getLogger(logger).critical(template, *args)
    text = captured.getvalue()
    assert "left out of the log" in text and "Zoya" not in text and "zoya_k" not in text, text
    assert text.count("\n") == 1  # one line


def test_a_traceback_with_update_content_is_left_out_and_the_message_kept(captured):
    try:
        raise ValueError("{'update_id': 5, 'message': {'text': 'Zoya'}}")
    except ValueError:
        logging.getLogger("bot.telegram.people").exception("error while handling an update")
    text = captured.getvalue()
    assert "error while handling an update (traceback left out" in text and "ValueError" in text
    assert "Zoya" not in text and "Traceback" not in text


def test_ordinary_records_are_left_as_they_are(captured):
    log = logging.getLogger("bot.telegram.inbox")
    log.warning("update %s cannot be read by python-telegram-bot (fields: %s); skipped", 7, "message, update_id")
    log.info("update %s was handled before; skipped", 8)
    logging.getLogger("telegram.ext.Application").info("Application started")
    try:
        data = {"update_id": 1}
        raise KeyError(data["update_id"] + 1)
    except KeyError:
        log.exception("a bug")
    text = captured.getvalue()
    assert "update 7 cannot be read by python-telegram-bot (fields: message, update_id); skipped" in text
    assert "update 8 was handled before; skipped" in text and "Application started" in text
    assert "Traceback" in text and 'raise KeyError(data["update_id"] + 1)' in text  # source lines are not content
    assert "left out" not in text


# the token and the secret


def test_the_token_in_a_url_is_masked(captured):
    url = f"https://api.telegram.org/bot{REAL_LOOKING_TOKEN}/"
    logging.getLogger("telegram.Bot").warning("Set Bot API URL: %s", url)
    logging.getLogger("aiohttp.client").warning("GET https://api.telegram.org/bot%s/getMe failed", REAL_LOOKING_TOKEN)
    logging.getLogger("bot").warning("percent-encoded: bot110201543%%3A%s", REAL_LOOKING_TOKEN.split(":")[1])
    logging.getLogger("bot").warning(f"another bot's: https://api.telegram.org/bot{OTHER_TOKEN}/getMe")
    logging.getLogger("bot").warning("the webhook secret a-long-enough-secret")
    text = captured.getvalue()
    assert "Set Bot API URL: https://api.telegram.org/bot110201543:***/" in text
    assert "https://api.telegram.org/bot110201543:***/getMe failed" in text
    assert "bot987654321:***/getMe" in text
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in text and "ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDxyz" not in text
    assert "a-long-enough-secret" not in text


async def test_the_token_in_a_traceback_is_masked(captured):
    async with aiohttp.ClientSession() as session:
        try:  # a real aiohttp error, whose message holds the whole URL
            await session.get(f"http//api.telegram.org/bot{REAL_LOOKING_TOKEN}/getMe")
        except aiohttp.ClientError:
            logging.getLogger("bot.telegram.app").exception("could not start")
    text = captured.getvalue()
    assert "Traceback" in text and "InvalidUrlClientError" in text and "bot110201543:***/getMe" in text
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in text


def test_a_traceback_already_formatted_by_another_handler_is_masked_too(captured):
    plain = logging.StreamHandler(io.StringIO())  # without the filter, ahead of ours: it fills exc_text
    logging.getLogger().handlers.insert(0, plain)
    try:
        try:
            raise RuntimeError(f"https://api.telegram.org/bot{REAL_LOOKING_TOKEN}/getMe")
        except RuntimeError:
            logging.getLogger("bot").exception("failed")
    finally:
        logging.getLogger().removeHandler(plain)
    assert "RuntimeError: https://api.telegram.org/bot110201543:***/getMe" in captured.getvalue()


def test_every_handler_of_the_root_logger_gets_the_filter(monkeypatch):
    root = logging.getLogger()
    handlers = [logging.StreamHandler(io.StringIO()), logging.StreamHandler(io.StringIO())]
    monkeypatch.setattr(root, "handlers", handlers)  # only these (not pytest's own) for the test
    privacy = install(TOKEN)
    assert all(privacy in handler.filters for handler in handlers)
    logging.getLogger("telegram.Bot").critical("Error while parsing updates! Received data was %r",
                                               [{"update_id": 1, "message": {"text": "Zoya"}}])
    for handler in handlers:
        assert "Zoya" not in handler.stream.getvalue() and "left out" in handler.stream.getvalue()


def test_the_filter_never_drops_a_record_and_survives_bad_arguments():
    privacy = PrivacyFilter(REAL_LOOKING_TOKEN)
    record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "%d items of %s", ("many",), None)
    assert privacy.filter(record) is True
    assert "arguments that could not be formatted" in record.getMessage()


# python -m bot run


async def test_the_running_bot_logs_no_update_content(fake, tmp_path):  # noqa: F811 - fake is a fixture
    process = await start_bot(fake, tmp_path)
    try:
        await fake.wait_for("getUpdates", timeout=60)
        say_privately(fake)
        await fake.wait_for("sendMessage", chat_id=PERSON, timeout=20)
        await asyncio.sleep(1.0)
    finally:
        output = (await stop_bot(process)).decode()
    assert "Error while parsing updates" in output and "left out of the log" in output
    assert not [word for word in PRIVATE if word in output], output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
