"""Atomic file writing: a reader sees each output either as it was or as it is now, never
half-written.

Every text goes to a temporary file beside its target (``.<name>.<random>.tmp``, same
directory, so the rename cannot cross file systems), is flushed and fsync'ed, and only then is
moved into place with ``os.replace``. `remove_stale_temps` clears the temp files of a writer
that was killed mid-write.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

#: A hidden temp file older than this (seconds) is a leftover of a killed writer.
STALE_TMP_AGE_S = 120.0
#: Mode of the written files (``mkstemp`` creates 0600 files).
FILE_MODE = 0o644


def _write_temp(target: Path, text: str) -> Path:
    """`text` written (UTF-8, LF line ends) and fsync'ed into a new temp file beside `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_atomically(outputs: Mapping[Path, str], stale: Iterable[Path] = ()) -> None:
    """Write every text to a temp file beside its target, then move all into place, then
    delete the `stale` paths.

    If anything fails while writing, no target is touched and the temp files are removed; a
    failed move (target is a directory, ...) leaves no temp file behind either.
    """
    temps: dict[Path, Path] = {}
    try:
        for target, text in outputs.items():
            temps[target] = _write_temp(target, text)
    except BaseException:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
        raise
    try:
        for target, tmp in temps.items():
            os.replace(tmp, target)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    for path in stale:
        path.unlink(missing_ok=True)


def remove_stale_temps(targets: Iterable[Path], layers_dir: Path | None = None,
                       max_age_s: float = STALE_TMP_AGE_S) -> list[Path]:
    """Delete ``.<name>.*.tmp`` files left beside ``targets`` (and ``.*.geojson.*.tmp`` in
    ``layers_dir``) by a writer that was killed mid-write; returns the paths removed.

    Only files older than ``max_age_s`` seconds are removed, so a writer running at the same
    time keeps its own temp files.
    """
    candidates: set[Path] = set()
    for target in targets:
        if target.parent.is_dir():
            candidates.update(target.parent.glob(f".{target.name}.*.tmp"))
    if layers_dir is not None and layers_dir.is_dir():
        candidates.update(layers_dir.glob(".*.geojson.*.tmp"))
    removed = []
    now = time.time()
    for path in sorted(candidates):
        try:
            if path.is_file() and now - path.stat().st_mtime > max_age_s:
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed
