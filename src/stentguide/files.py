"""Reading a user's file safely: a size check before reading, and UTF-8 or a clear refusal.

Every file a command is given (answers, plans, choices, tables to score or
import) goes through here, so that a huge or sparse file is refused by its size
before a byte is read, and a file in the wrong encoding (UTF-16, Latin-1,
binary) is refused with one line saying what it is and what to do, instead of a
traceback. The limits can be raised with ``$STENTGUIDE_MAX_FILE_MIB``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from stentguide.errors import InputError

__all__ = [
    "MAX_FILE_ENV",
    "MAX_TABLE_BYTES",
    "MAX_TEXT_BYTES",
    "check_file",
    "decode_text",
    "read_text_file",
]

MAX_FILE_ENV = "STENTGUIDE_MAX_FILE_MIB"
MAX_TEXT_BYTES = 16 * 1024 * 1024
"""The largest JSON or YAML file read (answers, plans, choices, archives): 16 MiB."""
MAX_TABLE_BYTES = 256 * 1024 * 1024
"""The largest CSV or Parquet table read: 256 MiB."""

_MIB = 1024 * 1024


def _limit(default: int) -> int:
    raw = os.environ.get(MAX_FILE_ENV)
    if not raw:
        return default
    try:
        mib = int(raw)
    except ValueError:
        raise InputError(
            "bad file size limit", {MAX_FILE_ENV: f"{raw!r}: a whole number of MiB"}
        ) from None
    if mib < 1:
        raise InputError("bad file size limit", {MAX_FILE_ENV: "at least 1"})
    return mib * _MIB


def _size(size: int) -> str:
    return f"{size / _MIB:.1f} MiB" if size >= _MIB else f"{size} bytes"


def check_file(path: Path, what: str, *, max_bytes: int = MAX_TABLE_BYTES) -> int:
    """The size of a regular file that may be read; :class:`InputError` if it may not."""
    limit = _limit(max_bytes)
    try:
        info = path.stat()
    except OSError as exc:
        raise InputError(f"cannot read the {what}", {what: f"{path}: {exc.strerror}"}) from None
    if not path.is_file():
        raise InputError(f"cannot read the {what}", {what: f"{path}: not a regular file"})
    if info.st_size > limit:
        raise InputError(
            f"the {what} is too large",
            {
                what: f"{path} is {_size(info.st_size)}; at most {_size(limit)} is read "
                f"(${MAX_FILE_ENV} raises the limit)"
            },
        )
    return info.st_size


def decode_text(data: bytes, what: str, where: str) -> str:
    """UTF-8 text (a BOM is allowed), or an :class:`InputError` naming the encoding problem."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        kind = "UTF-16 text"
    elif b"\x00" in data[:8192]:
        kind = "a binary file"
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            kind = f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}; Latin-1?)"
    raise InputError(
        f"the {what} is not UTF-8 text", {what: f"{where} is {kind}; save it as UTF-8"}
    )


def read_text_file(path: Path, what: str, *, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The text of a UTF-8 file of at most ``max_bytes``; ``-`` reads standard input."""
    limit = _limit(max_bytes)
    if str(path) == "-":
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise InputError(
                f"the {what} is too large", {what: f"standard input: more than {_size(limit)}"}
            )
        return decode_text(data, what, "standard input")
    check_file(path, what, max_bytes=max_bytes)
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read the {what}", {what: f"{path}: {exc.strerror}"}) from None
    if len(data) > limit:
        raise InputError(f"the {what} is too large", {what: f"{path}: more than {_size(limit)}"})
    return decode_text(data, what, str(path))
