"""python -m bot run as an organisation starts it: settings from the
environment, against the fake Bot API server, by webhook and by polling."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys

import httpx
import pytest

from tests.conftest import PROJECT
from tests.fake_telegram import HANG, TOKEN, FakeTelegram
from tests.test_faults import lines_in
from tests.telegram_bot import PERSON, VOLUNTEER, until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def fake():
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


async def start_bot(fake: FakeTelegram, tmp_path, **settings: str) -> asyncio.subprocess.Process:
    env = {**os.environ, "WEGWIJS_TELEGRAM_TOKEN": TOKEN, "WEGWIJS_VOLUNTEER_GROUPS": str(fake.group_id),
           "WEGWIJS_BOT_API_URL": fake.base_url, "WEGWIJS_BOT_API_FILE_URL": fake.base_file_url,
           "WEGWIJS_DATA_DIR": str(tmp_path), **settings}
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=PROJECT, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


async def stop_bot(process: asyncio.subprocess.Process) -> bytes:
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), 20)
    return output


def webhook_settings(port: int) -> dict[str, str]:
    return {"WEGWIJS_WEBHOOK_URL": "https://bot.example.org/telegram", "WEGWIJS_WEBHOOK_SECRET": "a-long-enough-secret",
            "WEGWIJS_WEBHOOK_LISTEN": "127.0.0.1", "WEGWIJS_WEBHOOK_PORT": str(port)}


async def test_webhook_mode_refuses_requests_without_the_secret(fake, tmp_path):
    port = free_port()
    process = await start_bot(fake, tmp_path, **webhook_settings(port))
    try:
        [webhook] = await fake.wait_for("setWebhook", timeout=60)
        assert webhook.params["url"] == "https://bot.example.org/telegram"
        assert webhook.params["secret_token"] == "a-long-enough-secret"
        assert set(webhook.params["allowed_updates"]) >= {"message", "callback_query", "edited_message"}
        assert fake.calls_to("setMyCommands")  # the application's post_init ran
        update = fake.person_says(1, "hi")  # queued for getUpdates too, but a webhook bot does not poll
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{port}/telegram"
            refused = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            assert refused.status_code == 403
            accepted = await client.post(url, content=json.dumps(update),
                                         headers={"X-Telegram-Bot-Api-Secret-Token": "a-long-enough-secret",
                                                  "Content-Type": "application/json"})
            assert accepted.status_code == 200
        [answer] = await fake.wait_for("sendMessage", chat_id=1)
        assert answer.params["text"]
    finally:
        output = await stop_bot(process)
    assert process.returncode == 0 and b"Traceback" not in output, output.decode()
    assert not fake.calls_to("getUpdates") and not fake.calls_to("deleteWebhook")  # the webhook stays set
    assert b"refused 1 without the right secret" in output


async def test_webhook_mode_retries_a_failing_start(fake, tmp_path):
    fake.fail_next("setWebhook", 500, "Internal Server Error", times=2)
    port = free_port()
    process = await start_bot(fake, tmp_path, **webhook_settings(port))
    try:
        await fake.wait_for("setWebhook", count=3, timeout=60)
        update = fake.person_says(1, "hi")
        async with httpx.AsyncClient() as client:  # the server listens before setWebhook is called
            accepted = await client.post(f"http://127.0.0.1:{port}/telegram", json=update,
                                         headers={"X-Telegram-Bot-Api-Secret-Token": "a-long-enough-secret"})
        assert accepted.status_code == 200
        await fake.wait_for("sendMessage", chat_id=1)
    finally:
        output = await stop_bot(process)
    assert output.count(b"trying again") == 2 and b"Traceback" not in output, output.decode()
    assert process.returncode == 0


async def test_a_failing_start_is_retried(fake, tmp_path):
    fake.fail_next("getMe", 500, "Internal Server Error", times=2)
    process = await start_bot(fake, tmp_path)
    try:
        await fake.wait_for("getUpdates", timeout=60)
        assert len(fake.calls_to("getMe")) >= 3
    finally:
        output = await stop_bot(process)
    assert b"trying again" in output


async def test_killed_in_the_middle_of_relaying_every_message_arrives_exactly_once(fake, tmp_path):
    fake.add_member(VOLUNTEER)
    process = await start_bot(fake, tmp_path, WEGWIJS_COALESCE_SECONDS="0")
    try:
        fake.person_says(PERSON, "/human")
        [summary] = await fake.wait_for("sendMessage", chat_id=fake.group_id, timeout=60)
        thread = summary.params["message_thread_id"]
        # Telegram stops answering: the next message to each side hangs while the bot relays it.
        fake.fail_next("sendMessage", HANG, chat_id=fake.group_id)
        fake.fail_next("sendMessage", HANG, chat_id=PERSON)
        person_texts = [f"from the person {n}" for n in range(15)]
        volunteer_texts = [f"from the volunteer {n}" for n in range(10)]
        for person_text, volunteer_text in zip(person_texts, volunteer_texts + [None] * 5):
            fake.person_says(PERSON, person_text)
            if volunteer_text:
                fake.volunteer_says(VOLUNTEER, volunteer_text, thread_id=thread)
        await until(lambda: sum(c.method == "sendMessage" and c.answer is None for c in fake.calls) >= 2, 20)
    finally:
        process.kill()  # SIGKILL: no clean-up of any kind
        await process.wait()
    process = await start_bot(fake, tmp_path, WEGWIJS_COALESCE_SECONDS="0")
    try:
        def arrived(chat_id: int, texts: list[str]) -> bool:
            return all(lines_in(fake, chat_id)[text] >= 1 for text in texts)

        await until(lambda: arrived(fake.group_id, person_texts) and arrived(PERSON, volunteer_texts), 60)
        await asyncio.sleep(1.0)  # time for any double to show
    finally:
        output = await stop_bot(process)
    assert all(lines_in(fake, fake.group_id)[text] == 1 for text in person_texts), lines_in(fake, fake.group_id)
    assert all(lines_in(fake, PERSON)[text] == 1 for text in volunteer_texts), lines_in(fake, PERSON)
    assert b"Traceback" not in output, output.decode()
    assert b"replaying" in output  # updates fetched before the kill were handled from the store


async def test_a_damaged_database_stops_the_start_with_a_clear_message(fake, tmp_path):
    (tmp_path / "wegwijs.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    process = await start_bot(fake, tmp_path)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert b"is damaged or not a Wegwijs database" in output and b"Traceback" not in output
    assert (tmp_path / "wegwijs.sqlite3").read_bytes()[16:20] == b"\x07" * 4  # left as it was
