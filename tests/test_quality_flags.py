"""Quality flags (csi.measures.reliability.quality_flags): the analysis decides which loadings,
reliabilities, HTMT ratios and VIFs fail their thresholds; the JSON carries the verdict
(`quality_flags`) and the terminal and PDF render it.

Truth: on mobi, seminr 2.3.4's reliability, HTMT and loadings (tests/reference/README.md)
compared with the thresholds; on acsi_synthetic, the generator's population loadings
(surveys/generate_acsi_synthetic.py: every loading >= 0.70, so every AVE >= 0.5675 and HTMT
of distinct constructs well below 0.9); at the boundaries, hand-made documents.
"""

import io
import json
import math

import pytest
from rich.console import Console

import csi
from csi.measures.reliability import (AVE_MIN, HTMT_MAX, LOADING_MIN, RHO_C_MIN, VIF_MAX,
                                      quality_flags)
from csi.report.terminal import render
from tests.conftest import MOBI, ROOT, reference


@pytest.fixture(scope="module")
def mobi():
    return csi.fit(MOBI, "ecsi", scale=(1, 10))


def test_flags_on_mobi_are_those_of_seminrs_numbers(mobi):
    doc = json.loads(mobi.to_json())
    flags = doc["quality_flags"]
    constructs = reference("seminr_pls_tight_constructs.csv").set_index("LV")
    assert flags["ave"] == [c for c in constructs.index if constructs.loc[c, "AVE"] < AVE_MIN]
    assert flags["ave"] == ["Image", "Expectation"]  # seminr AVE 0.478, 0.480
    assert flags["rho_c"] == [c for c in constructs.index
                              if constructs.loc[c, "rhoC"] < RHO_C_MIN] == []
    htmt = reference("seminr_pls_tight_htmt.csv", index_col=0)
    high = {frozenset((a, b)) for a in htmt.index for b in htmt.columns
            if not math.isnan(htmt.loc[a, b]) and htmt.loc[a, b] > HTMT_MAX}
    assert {frozenset((p["a"], p["b"])) for p in flags["htmt"]} == high
    assert len(high) == 4  # Quality-Image 0.929 ... Loyalty-Satisfaction 0.957
    outer = reference("seminr_pls_tight_outer.csv")
    sizes = outer.groupby("LV")["MV"].transform("size")
    low = outer[(sizes > 1) & (outer["loading"].abs() < LOADING_MIN)]
    assert [(p["construct"], p["indicator"]) for p in flags["loadings"]] == list(
        zip(low["LV"], low["MV"]))
    assert flags["vif"] == []
    assert flags["count"] == 4 + 2 + 6 == len(low) + len(high) + 2
    assert flags["thresholds"] == {"loading_min": 0.7, "rho_c_min": 0.7, "ave_min": 0.5,
                                   "htmt_max": 0.9, "vif_max": 5.0}


def test_no_flag_on_a_clean_survey():
    doc = csi.fit(ROOT / "surveys" / "acsi_synthetic.csv", "acsi", scale=(1, 10)).to_dict()
    flags = doc["quality_flags"]
    assert flags["count"] == 0
    assert all(flags[key] == [] for key in ("loadings", "rho_c", "ave", "htmt", "vif"))


def _doc(ave=0.6, rho_c=0.8, htmt=0.5, vif=2.0, loading=0.8, mode="A", items=("x1", "x2")):
    """A minimal csi.fit document: construct A (mode, items) and a single-item construct B."""
    return {
        "model": {"constructs": [{"name": "A", "mode": mode, "indicators": list(items)},
                                 {"name": "B", "mode": "A", "indicators": ["y"]}]},
        "loadings": [{"construct": "A", "indicator": items[0], "estimate": loading},
                     *[{"construct": "A", "indicator": i, "estimate": 0.9} for i in items[1:]],
                     {"construct": "B", "indicator": "y", "estimate": 0.1}],
        "reliability": {"A": {"rho_c": rho_c, "ave": ave}, "B": {"rho_c": 1.0, "ave": 1.0}},
        "htmt": [{"a": "B", "b": "A", "value": htmt}],
        "vif": [{"from": "A", "to": "B", "value": vif}],
    }


@pytest.mark.parametrize("change, group, flagged", [
    ({"ave": 0.5}, "ave", ()), ({"ave": 0.4999}, "ave", ("A",)),
    ({"rho_c": 0.7}, "rho_c", ()), ({"rho_c": 0.6999}, "rho_c", ("A",)),
    ({"htmt": 0.9}, "htmt", ()), ({"htmt": 0.9001}, "htmt", (("B", "A"),)),
    ({"vif": 5.0}, "vif", ()), ({"vif": 5.01}, "vif", (("A", "B"),)),
    ({"loading": 0.7}, "loadings", ()), ({"loading": -0.69}, "loadings", (("A", "x1"),)),
    ({"loading": 0.3, "mode": "B"}, "loadings", ()),  # formative: loadings are not judged
    ({"loading": 0.3, "items": ("x1",)}, "loadings", ()),  # one item: nothing to judge
    ({"ave": None, "htmt": float("nan"), "vif": None}, "ave", ()),  # missing: no verdict
])
def test_thresholds_at_their_boundaries(change, group, flagged):
    flags = quality_flags(_doc(**change))
    assert getattr(flags, group) == flagged
    assert flags.count == len(flagged)  # the single-item B (loading 0.1) is never flagged


def test_thresholds_are_the_literatures():
    # Hair et al. 2017/2019 (loading, rho_C, VIF), Fornell & Larcker 1981 (AVE),
    # Henseler, Ringle & Sarstedt 2015 (HTMT.90).
    assert (LOADING_MIN, RHO_C_MIN, AVE_MIN, HTMT_MAX, VIF_MAX) == (0.7, 0.7, 0.5, 0.9, 5.0)


def test_terminal_marks_what_the_analysis_flags(mobi):
    reliability = mobi.reliability.copy()
    reliability.loc[reliability["construct"] == "Value", "rho_c"] = 0.65
    buffer = io.StringIO()
    render(mobi.replace(reliability=reliability), Console(file=buffer, width=200))
    text = buffer.getvalue()
    rows = {label: line for line in text.splitlines() if line.count("│") == 6
            for label in ("Corporate Image", "Perceived Value", "Perceived Quality")
            if line.startswith(f"│ {label} ")}
    assert "0.650 ✗" in rows["Perceived Value"] and rows["Perceived Value"].count("✗") == 1
    assert "0.478 ✗" in rows["Corporate Image"] and rows["Corporate Image"].count("✗") == 1
    assert "✗" not in rows["Perceived Quality"]
    assert "HTMT above 0.9" in text and "Perceived Quality–Corporate Image 0.929" in text
