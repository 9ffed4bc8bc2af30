"""The report's language: message catalogs (gettext .po files in csi/locale, edited by
translators and read here through Babel), plural forms and number formats per locale.

Renderers call `_()` / `ngettext()` on every word csi writes and `decimal()` on numbers; the
language is set for a block with `use(lang)`. English is the source language: its messages are
the ids themselves. `--lang` defaults to CSI_LANG, else English.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import io
import os
from pathlib import Path

LANGUAGES = ("en", "zh-CN")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "csi"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("csi_lang", default="en")


def resolve(lang: str | None) -> str:
    """The language to write in: `lang`, else CSI_LANG, else English; 'zh', 'zh_CN' and
    'zh-cn' all mean zh-CN."""
    value = (lang or os.environ.get("CSI_LANG") or "en").strip()
    key = value.replace("_", "-").lower()
    for known in LANGUAGES:
        if key == known.lower() or key.split("-")[0] == known.lower().split("-")[0]:
            return known
    raise ValueError(f"unknown language '{value}' (CSI_LANG or --lang): use "
                     + " or ".join(LANGUAGES))


def babel_locale(lang: str) -> str:
    return lang.replace("-", "_")


@functools.cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of `lang`, read from its .po file (compiled in memory by Babel)."""
    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / babel_locale(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"
    with open(path, "rb") as handle:
        messages = read_po(handle, locale=babel_locale(lang))
    buffer = io.BytesIO()
    write_mo(buffer, messages)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def use(lang: str | None):
    """Write in `lang` (resolved as `resolve` does) inside this block."""
    token = _current.set(resolve(lang))
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str, **values) -> str:
    """`message` in the current language, with `{name}` fields filled from `values`."""
    text = catalog(_current.get()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    """The singular or plural form for `n` (the locale's plural rule), fields filled;
    `{n}` is always available."""
    text = catalog(_current.get()).ngettext(singular, plural, n)
    return text.format(n=n, **values)


def term(value) -> str:
    """A word the analysis stores in English (a quadrant, a Kano class) in the current
    language; None and unknown words pass through."""
    if value is None:
        return "—"
    text = str(value)
    if text.endswith(" (not significant)"):  # a Kano class whose shape is not established
        return _("{term} (not significant)", term=_(text[:-len(" (not significant)")]))
    return _(text)


def decimal(value: float, digits: int = 3) -> str:
    """A number with `digits` decimals in the current locale's symbols (no grouping)."""
    if _current.get() == "en":
        return f"{value:.{digits}f}"
    from babel.numbers import format_decimal

    pattern = "0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=babel_locale(_current.get()),
                          decimal_quantization=True)


def percent(value: float) -> str:
    """A share as a whole percentage in the current locale."""
    if _current.get() == "en":
        return f"{value:.0%}"
    from babel.numbers import format_percent

    return format_percent(value, format="0%", locale=babel_locale(_current.get()))


def is_english() -> bool:
    return _current.get() == "en"
