"""Files people write by hand (rules, policies): read as UTF-8 text, a
byte-order mark (Windows editors write one) dropped, and anything else
refused in a sentence that says how to fix it."""

from __future__ import annotations

from pathlib import Path


class NotText(ValueError):
    """A file that cannot be read as UTF-8 text; the message says why."""


def read_text(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise NotText(f"cannot be read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NotText(
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}): save it as UTF-8"
        ) from None
