"""NCA (csi.drivers.necessity) against the peers on the same scores, and planted conditions.

Reference: tests/reference/nca_mobi_ecsi*.csv (make_nca.py on the refs branch): seminrExtras
0.1.0 assess_nca and ncapackage 1.0.0 (a Python port of R NCA) on the seminr PLS scores of
ECSI on mobi (scores_mobi_ecsi_pls.csv); effect sizes are invariant to the scores' scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csi.drivers import necessity as nca

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def scores():
    return pd.read_csv(REF / "scores_mobi_ecsi_pls.csv")


def test_effect_sizes_equal_the_peers(scores):
    reference = pd.read_csv(REF / "nca_mobi_ecsi.csv")
    for row in reference.itertuples():
        found = nca.ceilings(scores[row.driver].to_numpy(), scores[row.target].to_numpy())
        assert found.d_ce_fdh[0] == pytest.approx(row.d_ce_fdh, abs=1e-11), row
        assert found.d_cr_fdh[0] == pytest.approx(row.d_cr_fdh, abs=1e-11), row
        assert found.peers[0] == row.n_peers
        if row.n_peers >= 2:
            assert found.slope[0] == pytest.approx(row.cr_fdh_slope, rel=1e-9)
            assert found.intercept[0] == pytest.approx(row.cr_fdh_intercept, rel=1e-9)


def test_bottlenecks_equal_seminrextras(scores):
    """The peers print the required driver level (% of range) to one decimal, and NN
    where no level is required (csi: 0)."""
    reference = pd.read_csv(REF / "nca_mobi_ecsi_bottlenecks.csv")
    reference = reference[reference["target_level_pct"] >= 10]
    for (target, driver), rows in reference.groupby(["target", "driver"]):
        x, y = scores[driver].to_numpy(), scores[target].to_numpy()
        table = nca.bottlenecks(x, y, nca.ceilings(x, y)).set_index("target_level")
        for ceiling, part in rows.groupby("ceiling"):
            part = part.set_index("target_level_pct")
            # seminrExtras, else the R NCA port (seminrExtras leaves Loyalty <- Complaints at
            # 100% blank; the port and the numpy closed form give 44.4); both print NN where
            # no level is required (the closed form's value is then <= 0)
            expected = part["seminrextras"].astype(float).fillna(
                pd.to_numeric(part["nca_port"], errors="coerce"))
            assert (part["driver_required_pct"][expected.isna()] <= 0).all()
            expected = expected.fillna(0.0)
            mine = table.loc[expected.index, ceiling]
            assert np.abs(mine.to_numpy() - expected.to_numpy()).max() <= 0.05 + 1e-9, (
                target, driver, ceiling)


def test_permutation_p_agrees_with_the_peers(scores):
    """The peers' p (1,000 permutations): < 0.01 for Quality -> Satisfaction, ~0.38 for
    Complaints -> Loyalty; 2,000 permutations here."""
    rng = np.random.default_rng(5)
    for driver, target, low, high in (("Quality", "Satisfaction", 0, 0.01),
                                      ("Complaints", "Loyalty", 0.3, 0.47)):
        x, y = scores[driver].to_numpy(), scores[target].to_numpy()
        p_ce, _ = nca.permutation_p(x, y, nca.ceilings(x, y), 2000, rng)
        assert low <= p_ce <= high


def test_planted_necessary_condition_found_and_sufficient_only_driver_not_flagged():
    rng = np.random.default_rng(11)
    n = 600
    necessary = rng.uniform(0, 100, n)
    sufficient = rng.uniform(0, 100, n)
    other = rng.uniform(0, 100, n)
    # the target never exceeds the necessary driver; a high `sufficient` driver is enough for
    # a high target, but the target is high without it too (through `other`)
    target = np.minimum(necessary, np.maximum(sufficient, other)) * rng.uniform(0.9, 1, n)
    frame = pd.DataFrame({"N": necessary, "S": sufficient, "Y": target})
    found = nca.analyse(frame, [("N", "Y"), ("S", "Y")], np.ones(n), permutations=999, seed=3,
                        target_levels={"Y": float(target.mean())})
    by_driver = {row["driver"]: row for row in found.rows}
    assert by_driver["N"]["necessary"] and by_driver["N"]["d_ce_fdh"] > 0.3
    assert not by_driver["S"]["necessary"]
    assert by_driver["S"]["d_ce_fdh"] < 0.1
    # cIPMA: respondents below the level the mean target requires of N
    assert 0 < by_driver["N"]["share_below"] < 1


def test_fit_necessity_json_and_cipma_first(tmp_path):
    import json

    from click.testing import CliRunner

    from csi.cli.main import cli
    from csi.drivers.priorities import Priorities, sentences

    out = tmp_path / "fit.json"
    run = CliRunner().invoke(cli, ["fit", "surveys/mobi.csv", "--model", "ecsi", "--scale",
                                   "1:10", "--bootstrap", "0", "--necessity",
                                   "--necessity-permutations", "199", "--format", "json",
                                   "-o", str(out), "--quiet"])
    assert run.exit_code == 0, run.output
    doc = json.loads(out.read_text())
    rows = {r["driver"]: r for r in doc["necessity"]}
    assert set(rows) == {"Image", "Expectation", "Quality", "Value"}
    for row in rows.values():
        assert {"driver", "target", "d_ce_fdh", "d_cr_fdh", "p", "necessary",
                "bottlenecks"} <= set(row)
        assert [b["target_level"] for b in row["bottlenecks"]] == list(range(10, 101, 10))
    assert rows["Quality"]["necessary"] and not rows["Value"]["necessary"]  # d 0.32 vs 0
    first = doc["priorities"][0]
    assert first["necessary"] and first["share_below"] > 0
    text = sentences(Priorities.from_dict(doc), lambda name: name)[0]
    named, reason = text.split(" is a necessary condition for ", 1)
    assert named.endswith(first["driver"])  # "Perceived Quality": the model's label
    assert "of respondents are below the level" in reason
