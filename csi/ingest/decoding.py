"""Turning a text survey's bytes into text: which encoding, and refusing binary files.

Without `--encoding`, csi tries, in order: a byte-order mark (UTF-8 or UTF-16, as Excel's
"Unicode text" writes), then UTF-8, then GB18030 (Chinese Windows and most Chinese survey
tools), then cp1252 (Western-European Windows and Excel). The encoding used is stated in the
data-quality report. GB18030 accepts many byte sequences that are really cp1252 text, so it is
taken only when its multi-byte characters look like Chinese text: in GB18030 text the bytes
>= 0x80 come in runs of even length (two or four bytes per character), while in cp1252 text an
accented letter is a single such byte between ASCII letters. When most runs have odd length,
cp1252 is preferred.
"""

from __future__ import annotations

import codecs
import re

from csi.errors import DataError

FALLBACKS = ("utf-8", "gb18030", "cp1252")
# C0 control characters other than tab, line feed, vertical tab, form feed, carriage return
# and the DOS end-of-file mark never occur in text surveys; they mark binary data.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
_HIGH_RUNS = re.compile(rb"[\x80-\xff]+")
_FORMATS = "CSV or other delimited text, .xlsx, SPSS .sav or .parquet"


def decode(raw: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    """The text of `raw` and the name of the encoding used; DataError naming the byte offset
    of the first undecodable byte otherwise."""
    if encoding:
        codec = _codec(encoding)
        if codec == "utf-8":
            codec = "utf-8-sig"
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{source}: not valid {encoding} at byte {exc.start}; check the file's "
                "encoding (e.g. --encoding utf-8, gb18030, cp1252 or latin-1)"
            ) from None
        return _checked(text.removeprefix("\ufeff"), source), encoding
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return _checked(raw[3:].decode("utf-8"), source), "utf-8"
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{source}: starts with a UTF-8 byte-order mark but is not valid UTF-8 at byte "
                f"{exc.start + 3}; give the file's encoding, e.g. --encoding cp1252"
            ) from None
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            try:
                return _checked(raw[2:].decode(codec), source), "utf-16"
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"{source}: starts with a UTF-16 byte-order mark but is not valid UTF-16 "
                    f"at byte {exc.start + 2}; give the file's encoding with --encoding"
                ) from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DataError(
            f"{source}: byte {nul} is a NUL byte: this is a binary file, not a text survey "
            f"(csi reads {_FORMATS})"
        )
    try:
        return _checked(raw.decode("utf-8"), source), "utf-8"
    except UnicodeDecodeError as exc:
        first = exc.start
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _looks_chinese(raw):
        return _checked(text, source), "gb18030"
    try:
        return _checked(raw.decode("cp1252"), source), "cp1252"
    except UnicodeDecodeError:
        pass
    if text is not None:
        return _checked(text, source), "gb18030"
    raise DataError(
        f"{source}: cannot decode byte {first}: the file is not UTF-8, GB18030 or cp1252; "
        "give its encoding, e.g. --encoding latin-1"
    )


def head_is_utf8(head: bytes) -> bool:
    """True when the first bytes of a file are UTF-8 text (a character cut off at the end of
    the sample is allowed) without NUL or other control bytes."""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return _CONTROL.search(text) is None


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise DataError(
            f"--encoding '{encoding}': unknown encoding; try utf-8, gb18030, cp1252 or latin-1"
        ) from None


def _looks_chinese(raw: bytes) -> bool:
    runs = _HIGH_RUNS.findall(raw)
    odd = sum(len(run) % 2 for run in runs)
    return 2 * odd <= len(runs)


def _checked(text: str, source: str) -> str:
    match = _CONTROL.search(text)
    if match:
        raise DataError(
            f"{source}: character {match.start()} is the control character "
            f"0x{ord(match.group()):02x}: this looks like a binary file, not a text survey "
            f"(csi reads {_FORMATS})"
        )
    return text
