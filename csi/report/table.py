"""A terminal table that never truncates a number and never wraps a label at narrow widths.

Numeric (right-aligned) columns keep their widest cell on one line. When the table is wider
than the console, the long labels given to it (construct names) are shown as [1], [2]... and
listed under the table ("[1] Corporate Image"), so every column keeps its full text; text
columns that are not labels (a quadrant, a class) wrap between words.
"""

from __future__ import annotations

import re

from rich import box
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table as RichTable
from rich.text import Text

LEFT = "left"
SHORT = 12  # labels up to this many cells wide are never abbreviated
# a line may break between words, and anywhere between CJK characters
_WORD = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]|"
                   r"[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+")


def _longest_word(cell) -> int:
    return max((Text(word).cell_len for word in _WORD.findall(Text.from_markup(str(cell)).plain)),
               default=0)


def Table(title: str = "", labels=(), **kwargs) -> "LegendTable":
    """A left-titled table; `labels` are the names it may abbreviate when too wide."""
    return LegendTable(title=title, title_justify="left", labels=labels, **kwargs)


class LegendTable(RichTable):
    def __init__(self, *args, labels=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._labels = tuple(dict.fromkeys(str(name) for name in labels))
        self._label_columns: list[int] = []
        self._optional: list[int] = []
        self._dropped: list[str] = []
        self._legend: list[tuple[str, str]] | None = None

    def add_column(self, header: str = "", justify: str = "right", label: bool = False,
                   optional: bool = False, **kwargs) -> None:
        """A right-aligned column holds numbers (never wrapped or cut: it is at least as wide
        as its widest cell; its header may wrap); `label` marks a column of labels
        (abbreviated with a legend rather than wrapped when the table is too wide);
        `optional` a column dropped, last first, when even then the table cannot fit."""
        if label:
            self._label_columns.append(len(self.columns))
        if optional:
            self._optional.append(len(self.columns))
        if justify != "right":
            kwargs.setdefault("overflow", "fold")
        kwargs.setdefault("min_width", _longest_word(header))
        super().add_column(header, justify=justify, **kwargs)

    def add_row(self, *cells, **kwargs) -> None:
        super().add_row(*cells, **kwargs)
        for index, (column, cell) in enumerate(zip(self.columns, cells)):
            if column.justify == "right":
                size = max(Text(line).cell_len for line in
                           Text.from_markup(str(cell)).plain.split("\n"))
            elif index not in self._label_columns:
                size = _longest_word(cell)
            else:
                continue
            column.min_width = max(column.min_width or 0, size)

    def _abbreviate(self, width: int) -> list[tuple[str, str]]:
        """Replace long labels by [k] in the label columns when the table is wider than
        `width`; the (key, label) pairs of the legend."""
        if not self._label_columns or not self._labels:
            return []
        if self._widths().maximum <= width:
            return []
        cells = [self.columns[i]._cells for i in self._label_columns]
        present = [name for name in sorted(self._labels, key=len, reverse=True)
                   if Text(name).cell_len > SHORT
                   and any(escape(name) in str(cell) for column in cells for cell in column)]
        if not present:
            return []
        # numbered by the order of the labels given (the model's order), so the tables of
        # one report share their numbers
        keys = {name: f"[{self._labels.index(name) + 1}]" for name in present}
        for column in cells:
            for r, cell in enumerate(column):
                text = str(cell)
                for name in present:  # longest first: a label inside another stays whole
                    text = text.replace(escape(name), escape(keys[name]))
                column[r] = text
        return sorted(((key, name) for name, key in keys.items()),
                      key=lambda pair: int(pair[0][1:-1]))

    def _widths(self) -> Measurement:
        from rich.console import Console

        probe = Console(width=10_000, no_color=True)
        return Measurement.get(probe, probe.options, self)

    def _narrow(self, width: int) -> None:
        """Fit `width`: long labels abbreviated (a legend follows); label columns as wide as
        their longest word; if the columns' least widths still overflow, no outer edge and
        one space between columns instead of borders and padding."""
        self._legend = self._abbreviate(width)
        for index in self._label_columns:
            column = self.columns[index]
            column.min_width = max([column.min_width or 0]
                                   + [_longest_word(cell) for cell in column._cells])
        if self._widths().minimum > width:
            self.box, self.show_edge, self.padding = box.SIMPLE_HEAD, False, (0, 0)
        for index in reversed(self._optional):
            if self._widths().minimum <= width:
                break
            self._dropped.insert(0, Text.from_markup(str(self.columns[index].header)).plain)
            del self.columns[index]
            for position, column in enumerate(self.columns):
                column._index = position

    def __rich_console__(self, console, options):
        if self._legend is None:
            self._narrow(options.max_width)
        yield from super().__rich_console__(console, options)
        for key, name in self._legend:
            yield Text(f"{key} {name}", no_wrap=False)
        if self._dropped:
            from csi.report.i18n import _

            yield Text(_("Not shown at this width: {columns} (see --format json)",
                         columns=_(", ").join(self._dropped)), style="dim")
