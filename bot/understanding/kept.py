"""Models trained at start-up, kept in ``.cache/`` between runs: each file is named by a digest of
what its model learned from, so a change of the data trains a new one; only the models used last
stay. A read-only installation trains at every start and keeps nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

log = logging.getLogger(__name__)

MODEL_CACHE = Path(__file__).resolve().parents[2] / ".cache"

Model = TypeVar("Model")


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Written beside and then renamed: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, **arrays)
    partial.replace(path)


@dataclass(frozen=True)
class KeptModels:
    """The kept models of one ``kind`` in ``cache`` (None: none kept): ``kind-digest.npz``, the
    ``keep`` used last."""

    cache: Path | None
    kind: str
    keep: int

    def load(self, digest: str, read: Callable[[Path], Model]) -> Model | None:
        """The model kept for ``digest``, read by ``read``; None when there is none or it cannot be read."""
        path = self._path(digest)
        if path is None or not path.exists():
            return None
        try:
            model = read(path)
        except (OSError, ValueError, KeyError) as error:
            log.warning("the kept %s model %s cannot be read (%s): training it again", self.kind, path.name, error)
            return None
        try:
            path.touch()  # a kept model's modification time is when it was last used
        except OSError:  # a read-only installation: nothing is ever removed from it either
            pass
        return model

    def save(self, digest: str, write: Callable[[Path], None]) -> None:
        """Keep a model for ``digest`` (``write`` writes it to the path it is given), and forget the
        ones not used lately."""
        path = self._path(digest)
        if path is None:
            return
        try:
            write(path)
        except OSError as error:  # a read-only installation: trained at every start
            log.info("the %s model is not kept (%s)", self.kind, error)
            return
        try:
            # not one that another process is still writing
            kept = [kept for kept in self.cache.glob(f"{self.kind}-*.npz") if not kept.name.endswith(".partial.npz")]
            for unused in sorted(kept, key=lambda kept: kept.stat().st_mtime, reverse=True)[self.keep:]:
                unused.unlink(missing_ok=True)
        except OSError as error:  # another process removing the same files
            log.info("unused %s models are not all removed (%s)", self.kind, error)

    def _path(self, digest: str) -> Path | None:
        return self.cache / f"{self.kind}-{digest}.npz" if self.cache else None
