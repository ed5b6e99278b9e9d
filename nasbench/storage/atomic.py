"""Atomic file writes: a reader sees the old file or the new one, never half of either.

A write that fails (a full or read-only disk, no permission, an immutable file) raises
``StorageError`` naming the path and the cause, and leaves the old file as it was. A file whose
owner cannot write it (mode 0444) is refused rather than replaced: someone made it read-only.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from nasbench.errors import StorageError

# mkstemp creates files readable by their owner only; results and exports are meant to be shared,
# so they get the permissions a plain open() would give. Read once: os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def storage_error(path: str | Path, exc: OSError, doing: str = "write") -> StorageError:
    """``cannot write PATH: No space left on device``: one line, whatever the operating system said."""
    return StorageError(f"cannot {doing} {path}: {exc.strerror or exc}")


def check_replaceable(path: str | Path) -> None:
    """Refuse to replace a file its owner cannot write: an atomic rename would silently undo that mode."""
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise storage_error(path, exc, "read") from None
    if not mode & stat.S_IWUSR:
        raise StorageError(
            f"{path} is read-only (mode {stat.S_IMODE(mode):04o}); nasbench does not replace it: "
            f"make it writable (chmod u+w) to go on"
        )


def write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    check_replaceable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise storage_error(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_UMASK)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise storage_error(path, exc) from None
        raise


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode())


def write_json(path: str | Path, data: Any) -> None:
    # allow_nan=False: NaN and Infinity are not JSON, and a file other tools cannot read is worse than an error
    write_text(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")
