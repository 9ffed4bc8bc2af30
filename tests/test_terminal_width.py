"""Issue 20: at 80 and 60 columns the terminal report never truncates a number and never
wraps a label: long labels become [k] with a legend under the table, low-priority columns
are left out (and said so) when even that does not fit."""

import io
import re

import pytest
from rich.console import Console
from rich.text import Text

import csi
from csi.inference.bootstrap import BootstrapSettings
from csi.report.table import Table
from csi.report.terminal import render
from tests.conftest import MOBI


@pytest.fixture(scope="module")
def mobi():
    return csi.fit(MOBI, "ecsi", scale=(1, 10), bootstrap=BootstrapSettings(resamples=200, seed=7),
                   nonlinear=__import__("csi.drivers.nonlinear", fromlist=["x"])
                   .NonlinearSettings())


def rendered(result, width: int, lang: str) -> str:
    buffer = io.StringIO()
    render(result, Console(file=buffer, width=width, no_color=True), lang=lang)
    return buffer.getvalue()


def legend(out: str) -> dict[str, str]:
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^(\[\d+\]) (.+)$", out, re.M)}


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("width", [80, 60])
def test_numbers_whole_labels_unwrapped(mobi, width, lang):
    out = rendered(mobi, width, lang)
    assert "…" not in out
    assert all(Text(line).cell_len <= width for line in out.splitlines())
    flat = re.sub(r"\s+", "", out)
    for row in mobi.paths.to_dict("records"):
        assert f"{row['estimate']:.3f}" in flat
        assert (f"<0.001" if row["p"] < 0.001 else f"{row['p']:.3f}") in flat
        assert f"{row['ci_low']:.3f}–{row['ci_high']:.3f}" in flat
    for row in mobi.index.to_dict("records"):
        assert f"{row['ci_low']:.1f}–{row['ci_high']:.1f}" in flat
    for row in mobi.r2.to_dict("records"):
        assert f"{row['estimate']:.3f}" in flat
    keys = legend(out)
    labels = [mobi.model.label(c) for c in mobi.model.constructs]
    # a table cell shows a label whole or its key; never the start of a label wrapped
    broken = {" ".join(name.split()[:k]) for name in labels
              for k in range(1, len(name.split()))} - set(labels)
    for line in out.splitlines():
        if line.startswith(("│", "┃")):
            cells = {cell.strip() for cell in re.split(r"[│┃]", line)}
            assert not cells & broken, line
    if width == 60:
        assert keys, "the structural model at 60 columns needs a legend"
    for key, name in keys.items():
        assert name in labels
        assert key == f"[{labels.index(name) + 1}]"  # one numbering in every table


def test_key_and_legend_of_a_table_too_wide():
    table = Table("T", labels=["A very long construct name", "Short"])
    table.add_column("Construct", "left", label=True)
    table.add_column("Value")
    table.add_row("A very long construct name", "123.456789")
    table.add_row("Short", "0.5")
    wide, narrow = io.StringIO(), io.StringIO()
    Console(file=wide, width=100, no_color=True).print(table)
    assert "[1]" not in wide.getvalue() and "A very long construct name" in wide.getvalue()
    table = Table("T", labels=["A very long construct name", "Short"])
    table.add_column("Construct", "left", label=True)
    table.add_column("Value")
    table.add_row("A very long construct name", "123.456789")
    table.add_row("Short", "0.5")
    Console(file=narrow, width=30, no_color=True).print(table)
    out = narrow.getvalue()
    assert "│ [1]" in out and "│ Short" in out and "123.456789" in out
    assert out.rstrip().endswith("[1] A very long construct name")


def test_optional_columns_are_left_out_and_named(mobi):
    out = rendered(mobi, 60, "zh-CN")
    # the priorities table cannot show the top-three probabilities at 60 columns in
    # Chinese (wide characters): said so, and the JSON has them
    assert "此宽度下未显示：前三概率" in out
    assert "Not shown at this width" not in rendered(mobi, 100, "en")
