"""What the analyst tells csi about the data: the scale, "don't know" codes, reversed items,
missing-data handling, weights, a column map. One frozen IngestOptions carries it all.

Nothing here is guessed: every choice that changes a number is either given by the analyst or
stated in the data-quality report (see csi.ingest.quality).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from csi.errors import DataError

MISSING_METHODS = ("listwise", "mean", "em")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class IngestOptions:
    """How to turn a survey's columns into the model's item matrix.

    - `scale`: the questionnaire's answer scale (MIN, MAX); None uses the observed range and
      says so. `item_scales` overrides it per indicator (also read from the map file).
    - `na_codes`: answer codes that mean "don't know" / refused; they become missing. SPSS
      user-missing values are honoured as well, without being listed here. Text codes
      (`"不知道"`, `"Don't know"`) given here are moved to `na_texts`.
    - `na_texts`: answer texts that mean no answer, matched after trimming blanks, Unicode
      NFKC normalisation and case folding (so `n/a` matches `N/A` and `Ｎ/Ａ`).
    - `reverse`: reverse-worded items (indicator or survey column names), recoded
      x' = min + max - x on the item's scale, which must therefore be known.
    - `clip`: move values outside the scale to the nearest bound instead of refusing them.
    - `missing`: 'listwise' (drop incomplete respondents, the default), 'mean' (replace a
      missing answer by the item's mean) or 'em' (maximum-likelihood means and covariance by
      expectation-maximisation; see csi.sample).
    - `weights`: the column of frequency weights (a respondent of weight w counts w times;
      n is their sum), see csi.sample.
    - `column_map`: survey column -> indicator, as a mapping or a map file (CSV or YAML, see
      csi.ingest.columns) that may also give per-item scales, reversals and labels.
    - `id_column`: respondent ID column for the duplicate check and the careless-respondent
      list (default: auto-detected).
    - `drop_straightliners`: drop respondents who gave the same answer to every item.
    - `drop_careless`: drop every respondent the careless-response screen flags (see
      csi.ingest.careless); straight-liners are among them.
    - `encoding`, `sheet`, `skip_rows`, `header_row`: how to read the file (see
      csi.ingest.read_survey); `skip_rows` and `header_row` are None when not given.
    """

    scale: tuple[float, float] | None = None
    na_codes: tuple[float, ...] = ()
    reverse: tuple[str, ...] = ()
    clip: bool = False
    missing: str = "listwise"
    weights: str | None = None
    column_map: str | Path | Mapping[str, str] | None = None
    item_scales: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    id_column: str | None = None
    drop_straightliners: bool = False
    encoding: str | None = None
    sheet: str | None = None
    na_texts: tuple[str, ...] = ()
    drop_careless: bool = False
    skip_rows: int | None = None
    header_row: int | None = None

    def __post_init__(self) -> None:
        if self.missing not in MISSING_METHODS:
            raise DataError(
                f"--missing '{self.missing}': choose one of {', '.join(MISSING_METHODS)}"
            )
        if self.scale is not None:
            object.__setattr__(self, "scale", _bounds(self.scale, "--scale"))
        given = _pieces(self.na_codes) if isinstance(self.na_codes, str) else self.na_codes
        codes, texts = _split_codes(given)
        object.__setattr__(self, "na_codes", codes)
        texts += ((self.na_texts,) if isinstance(self.na_texts, str) else
                  tuple(str(text) for text in self.na_texts))
        object.__setattr__(self, "na_texts", tuple(dict.fromkeys(
            t.strip() for t in texts if t.strip())))
        for name, flag, least in (("skip_rows", "--skip-rows", 0),
                                  ("header_row", "--header-row", 1)):
            object.__setattr__(self, name, _count(getattr(self, name), flag, least))
        if isinstance(self.reverse, str):
            object.__setattr__(self, "reverse", parse_names(self.reverse))
        object.__setattr__(self, "reverse", tuple(self.reverse))
        object.__setattr__(
            self, "item_scales",
            {str(k): _bounds(v, f"scale of {k}") for k, v in dict(self.item_scales).items()},
        )

    @classmethod
    def from_text(cls, *, scale: str | None = None, na: str | Iterable[str] | None = None,
                  reverse: str | Iterable[str] | None = None, **rest) -> IngestOptions:
        """Options from command-line text: `scale='1:10'`, `na='98,99'`, `reverse='PERQ3'`
        (strings or lists of them); other keywords are passed through."""
        codes, texts = parse_na(na)
        return cls(
            scale=parse_scale(scale) if scale else None,
            na_codes=codes,
            na_texts=texts + tuple(rest.pop("na_texts", ())),
            reverse=parse_names(reverse),
            **rest,
        )

    def read_options(self) -> dict:
        """The keyword arguments of csi.ingest.read_survey these options set."""
        return {"encoding": self.encoding, "sheet": self.sheet, "skip_rows": self.skip_rows,
                "header_row": self.header_row}


def parse_scale(text: str) -> tuple[float, float]:
    """Parse `MIN:MAX` (e.g. `1:10`)."""
    low, sep, high = str(text).partition(":")
    try:
        bounds = (float(low), float(high))
    except ValueError:
        bounds = None
    if not sep or bounds is None or not all(map(math.isfinite, bounds)) or bounds[0] >= bounds[1]:
        raise DataError(f"--scale '{text}': write it as MIN:MAX with MIN < MAX, e.g. 1:10")
    return bounds


def parse_codes(text: str | Iterable[str] | None) -> tuple[float, ...]:
    """Parse `--na 98,99` (also repeated options) into numbers; a text code is an error
    here (parse_na accepts both)."""
    codes, texts = parse_na(text)
    if texts:
        raise DataError(
            f"--na '{texts[0]}': give the numeric codes that mean no answer, e.g. --na 98,99"
        )
    return codes


def parse_na(text: str | Iterable[str] | None) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Parse `--na "不知道,Don't know,N/A,99"` (also repeated options) into the numeric codes
    and the text codes that mean no answer."""
    return _split_codes(_pieces(text))


def _split_codes(codes) -> tuple[tuple[float, ...], tuple[str, ...]]:
    numbers: list[float] = []
    texts: list[str] = []
    for code in codes:
        if isinstance(code, bool):
            raise DataError(f"--na {code}: give the codes that mean no answer, e.g. 98,99")
        try:
            value = float(code)
        except (TypeError, ValueError):
            texts.append(str(code).strip())
            continue
        if isinstance(code, str) and not _NUMBER.match(code.strip()):
            texts.append(code.strip())  # 'nan', 'inf', 'infinity' are words here
            continue
        if not math.isfinite(value):
            raise DataError(f"--na '{code}': a code must be a finite number")
        numbers.append(value)
    return tuple(dict.fromkeys(numbers)), tuple(dict.fromkeys(t for t in texts if t))


def _count(value, flag: str, least: int) -> int | None:
    """A whole-number option (`--skip-rows`, `--header-row`) of at least `least`."""
    if value is None:
        return None
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or number < least:
        raise DataError(f"{flag} {value}: give a whole number of at least {least}")
    return number


def parse_names(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """Parse a comma-separated list of names (also repeated options)."""
    return tuple(dict.fromkeys(_pieces(text)))


def _pieces(text: str | Iterable[str] | None) -> list[str]:
    if text is None:
        return []
    parts = [text] if isinstance(text, str) else list(text)
    return [piece.strip() for part in parts for piece in str(part).split(",") if piece.strip()]


def _bounds(value, what: str) -> tuple[float, float]:
    if isinstance(value, str):
        low, high = parse_scale(value)
    else:
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            raise DataError(f"{what}: give it as (MIN, MAX), e.g. (1, 10)") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise DataError(f"{what} '{value}': write it as MIN:MAX with MIN < MAX, e.g. 1:10")
    return (low, high)
