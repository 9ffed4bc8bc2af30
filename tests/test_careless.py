"""Careless respondents (issue 16): the indices against independent computations, a
simulation study with planted random responders and straight-liners, and the screen's place
in the data-quality report and the item matrix.

The study: surveys drawn from a six-construct population (tests/simulate.py) on 1-5, 1-7 and
1-10 scales, with 5% random responders (uniform over the scale) and 3% straight-liners (one
random answer to every item). Every survey (five seeds per scale, and a variant with 3% of
the answers missing) must have recall and precision of at least 0.8 with every straight-liner
found; an honest survey drawn the same way must have fewer than 2% of its respondents
flagged.
"""

import itertools
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from csi.cli.main import cli
from csi.ingest import IngestOptions, assess, item_matrix, read_survey
from csi.ingest import careless
from csi.report.careless import careless_line
from csi.model.spec import load_model
from tests.conftest import MOBI
from tests.simulate import Population

ECSI = load_model("ecsi")


def population(scale: tuple[int, int]) -> Population:
    low, high = scale
    mid, span = (low + high) / 2, high - low
    shift = {"IMAG": 0.15, "EXPE": 0.2, "QUAL": 0.1, "VAL": -0.05, "SAT": 0.12, "LOY": 0.05}
    return Population(
        ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"),
        {"IMAG": (0.75, 0.8, 0.7, 0.72, 0.78), "EXPE": (0.7, 0.75, 0.8),
         "QUAL": (0.8, 0.82, 0.76, 0.74, 0.78), "VAL": (0.85, 0.8), "SAT": (0.85, 0.82, 0.8),
         "LOY": (0.8, 0.75, 0.7)},
        {"EXPE": {"IMAG": 0.5}, "QUAL": {"EXPE": 0.55}, "VAL": {"QUAL": 0.6},
         "SAT": {"QUAL": 0.4, "VAL": 0.3, "IMAG": 0.2}, "LOY": {"SAT": 0.6}},
        item_mean={c: mid + s * span for c, s in shift.items()}, item_sd=span / 5)


def survey(seed: int, scale: tuple[int, int], n: int = 300, share_random: float = 0.05,
           share_straight: float = 0.03, share_missing: float = 0.0):
    """Answers on the scale (rounded, clipped), and who was planted: 0 honest, 1 random,
    2 straight-liner."""
    rng = np.random.default_rng(seed)
    x = np.clip(np.round(population(scale).sample(rng, n).to_numpy()), *scale)
    kind = np.zeros(n, dtype=int)
    order = rng.permutation(n)
    random_rows = order[: round(share_random * n)]
    straight_rows = order[len(random_rows): len(random_rows) + round(share_straight * n)]
    x[random_rows] = rng.integers(scale[0], scale[1] + 1, (len(random_rows), x.shape[1]))
    x[straight_rows] = rng.integers(scale[0], scale[1] + 1, (len(straight_rows), 1))
    kind[random_rows], kind[straight_rows] = 1, 2
    if share_missing:
        x[rng.random(x.shape) < share_missing] = np.nan
    return x, kind


# The study ---------------------------------------------------------------------------------

@pytest.mark.parametrize("share_missing", [0.0, 0.03])
@pytest.mark.parametrize("scale", [(1, 5), (1, 7), (1, 10)])
def test_planted_random_responders_and_straight_liners_are_found(scale, share_missing):
    for seed in range(5):
        x, kind = survey(100 * seed + scale[1], scale, share_missing=share_missing)
        screen = careless.screen(x)
        flagged, planted = screen.flagged, kind > 0
        recall = flagged[planted].mean()
        precision = planted[flagged].mean()
        assert recall >= 0.8 and precision >= 0.8, (seed, recall, precision)
        straight = kind == 2
        assert screen.straightliners[straight].all() and flagged[straight].all()
        assert screen.reasons["longstring"][straight].all()


@pytest.mark.parametrize("scale", [(1, 5), (1, 7), (1, 10)])
def test_an_honest_survey_flags_fewer_than_two_percent(scale):
    for seed in range(5):
        x, kind = survey(100 * seed + scale[1] + 7, scale, share_random=0, share_straight=0)
        assert not kind.any()
        share = careless.screen(x).flagged.mean()
        assert share < 0.02, (seed, share)


def test_the_study_through_the_data_quality_report(tmp_path):
    x, kind = survey(3, (1, 5), n=400)
    items = [f"{c}{k + 1}" for c, n in (("IMAG", 5), ("EXPE", 3), ("QUAL", 5), ("VAL", 2),
                                        ("SAT", 3), ("LOY", 3)) for k in range(n)]
    frame = pd.DataFrame(x.astype(int), columns=items)
    frame.insert(0, "respondent", [f"P{k:04d}" for k in range(len(frame))])
    path = tmp_path / "study.csv"
    frame.to_csv(path, index=False)
    model = tmp_path / "study.lav"
    model.write_text(population((1, 5)).model_text())
    quality = assess(read_survey(path), load_model(str(model)),
                     IngestOptions(scale=(1, 5))).to_dict()
    rows = [entry["row"] for entry in quality["careless"]]
    planted = set(np.flatnonzero(kind > 0) + 1)
    assert len(planted & set(rows)) >= 0.8 * len(planted)
    assert len(planted & set(rows)) >= 0.8 * len(rows)
    first = quality["careless"][0]
    assert first["id"] == f"P{first['row'] - 1:04d}"
    assert set(first) == {"row", "id", "reasons", "indices"}
    assert quality["careless_screen"]["flagged"] == len(rows)
    assert quality["careless_screen"]["screened"] == 400


# The indices against independent computations ------------------------------------------------

@pytest.fixture(scope="module")
def messy():
    """Small-integer answers with missing cells and a few special rows."""
    rng = np.random.default_rng(42)
    x = rng.integers(1, 4, (60, 9)).astype(float)
    x[rng.random(x.shape) < 0.15] = np.nan
    x[0] = np.nan
    x[1] = [2, 2, np.nan, 2, 2, np.nan, 2, 2, 2]
    return x


def test_longest_run_skips_missing_answers(messy):
    def by_hand(row):
        answers = [v for v in row if not math.isnan(v)]
        return max((len(list(g)) for _, g in itertools.groupby(answers)), default=0)

    np.testing.assert_array_equal(careless.longest_run(messy), [by_hand(r) for r in messy])
    assert careless.longest_run(messy)[1] == 7


def test_irv_and_person_total_correlation(messy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the row without answers
        np.testing.assert_allclose(careless.irv(messy), np.nanstd(messy, axis=1), rtol=1e-12)
    totals, counts = np.nansum(messy, axis=0), (~np.isnan(messy)).sum(axis=0)
    ours = careless.person_total(messy)
    for i, row in enumerate(messy):
        seen = ~np.isnan(row)
        others = (totals - np.nan_to_num(row)) / (counts - seen)
        if seen.sum() < 2 or np.ptp(row[seen]) == 0:
            assert np.isnan(ours[i])
            continue
        assert ours[i] == pytest.approx(np.corrcoef(row[seen], others[seen])[0, 1], abs=1e-12)


def test_mahalanobis_complete_and_by_missing_pattern():
    rng = np.random.default_rng(7)
    cov = 0.5 * np.eye(5) + 0.5
    x = rng.multivariate_normal(np.arange(5.0), cov, 200)
    x[[3, 9, 10], 1] = np.nan
    x[17, [0, 4]] = np.nan
    complete = ~np.isnan(x).any(axis=1)
    mean = x[complete].mean(axis=0)
    sample = np.cov(x[complete], rowvar=False)
    ours = careless.mahalanobis(x)
    for i, row in enumerate(x):
        seen = ~np.isnan(row)
        d = row[seen] - mean[seen]
        expected = d @ np.linalg.inv(sample[np.ix_(seen, seen)]) @ d
        assert ours[i] == pytest.approx(expected, rel=1e-10)
    assert np.isnan(careless.mahalanobis(x[:12])).all()  # fewer than p + 10 complete rows


def test_person_total_correlation_flags_an_inverted_profile():
    # items whose means differ a lot (like reverse-worded items answered as given): an
    # honest respondent follows the profile, a careless one answers against it
    rng = np.random.default_rng(3)
    profile = np.array([2, 5, 1, 4, 2, 5, 1, 4, 3, 5, 1, 2], dtype=float)
    x = np.clip(np.round(profile + rng.normal(0, 0.6, (200, 12))), 1, 5)
    x[17] = 6 - profile
    screen = careless.screen(x)
    assert screen.person_total[17] < 0
    assert careless.robust_z(screen.person_total)[17] < -careless.ROBUST_Z
    assert screen.reasons["random"][17]
    assert screen.flagged.sum() <= 3


def test_speeders_are_below_a_third_of_the_median_time():
    x, _ = survey(5, (1, 10), share_random=0, share_straight=0)
    seconds = np.full(len(x), 400.0)
    seconds[:20] = np.linspace(200, 600, 20)
    seconds[[30, 31, 32]] = [133.0, 134.0, np.nan]  # the limit is 400 / 3 = 133.33
    screen = careless.screen(x, seconds)
    assert screen.thresholds["speeder_seconds"] == pytest.approx(400 / 3)
    np.testing.assert_array_equal(np.flatnonzero(screen.reasons["speeder"]), [30])
    few = careless.screen(x[:9], seconds[:9] / 100)
    assert not few.reasons["speeder"].any()  # fewer than MIN_TIMES times: no judgement


def test_mobi_straight_liner_and_multivariate_outliers():
    frame = pd.read_csv(MOBI)
    x = frame[list(ECSI.indicators)].to_numpy(dtype=float)
    centred = x - x.mean(axis=0)
    distance = np.einsum("ij,ij->i", centred @ np.linalg.inv(np.cov(x, rowvar=False)), centred)
    outliers = set(np.flatnonzero(distance > stats.chi2.ppf(0.999, x.shape[1])) + 1)
    quality = assess(read_survey(MOBI), ECSI, IngestOptions(scale=(1, 10))).to_dict()
    entries = {entry["row"]: entry for entry in quality["careless"]}
    assert len(outliers) == 16 and outliers <= set(entries)
    assert all("random" in entries[row]["reasons"] for row in outliers)
    assert entries[137]["reasons"] == ["longstring"]  # 10 to every question
    assert entries[137]["indices"]["longstring"] == 24
    assert quality["straightliners"] == {"count": 1, "rows": [137], "dropped": False}


# Flags are reported, dropping is asked for ------------------------------------------------------

def test_flags_are_kept_by_default_and_dropped_on_request():
    survey_ = read_survey(MOBI)
    kept = item_matrix(survey_, ECSI, (1, 10))
    flagged = [entry["row"] for entry in kept.data_quality()["careless"]]
    assert kept.rows_used == 250 and len(flagged) == 18
    warning = next(w for w in kept.warnings if "careless" in w)
    assert warning == ("18 respondents flagged as possibly careless (longstring 1, random 17); "
                       "kept: review them (data_quality.careless, or csi validate), or drop "
                       "them with --drop-careless")
    assert kept.data_quality()["careless_screen"]["dropped"] is False

    dropped = item_matrix(survey_, ECSI, (1, 10), IngestOptions(drop_careless=True))
    assert dropped.rows_used == 232
    assert set(dropped.rows + 1).isdisjoint(flagged)
    assert dropped.to_dict()["rows_dropped_careless"] == 18
    assert dropped.to_dict()["rows_dropped_straightliners"] == 1
    quality = dropped.data_quality()
    assert quality["careless_screen"].items() >= {"dropped": True, "rows_dropped": 18}.items()
    assert quality["straightliners"]["dropped"] is True
    assert ("--drop-careless: dropped 18 respondents flagged as careless (longstring 1, random "
            "17), listed in data_quality.careless") in dropped.notes
    assert not any("careless" in w or "straight-liner" in w for w in dropped.warnings)

    straight = item_matrix(survey_, ECSI, (1, 10), IngestOptions(drop_straightliners=True))
    assert straight.rows_used == 249 and 136 not in straight.rows
    assert straight.to_dict()["rows_dropped_careless"] == 1
    assert straight.data_quality()["careless_screen"]["dropped"] is False


def test_drop_careless_on_the_command_line(tmp_path):
    out = tmp_path / "fit.json"
    result = CliRunner().invoke(cli, ["fit", str(MOBI), "--model", "ecsi", "--scale", "1:10",
                                      "--bootstrap", "0", "--drop-careless", "--format", "json",
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["n_obs"] == 232 and doc["data"]["rows_dropped_careless"] == 18
    assert len(doc["data_quality"]["careless"]) == 18


def test_the_one_line_summary():
    assert careless_line({}) is None
    screen = {"screened": 250, "flagged": 18, "by_reason": {"longstring": 1, "random": 17,
                                                             "speeder": 0},
              "dropped": False, "rows_dropped": 0}
    assert careless_line({"careless_screen": screen}) == (
        "Careless respondents: 18 of 250 flagged (longstring 1, random 17); kept, see "
        "data_quality.careless (drop them with --drop-careless)")
    screen |= {"dropped": True, "rows_dropped": 18}
    assert careless_line({"careless_screen": screen}) == (
        "Careless respondents: 18 of 250 flagged (longstring 1, random 17); 18 dropped "
        "(--drop-careless)")
    screen |= {"flagged": 0}
    assert careless_line({"careless_screen": screen}) == ("Careless respondents: none of 250 "
                                                          "flagged")


def test_median_is_numpys_to_the_bit():
    """careless.median (no numpy.ma import) against np.median, odd and even sizes, scales
    from 1e-8 to 1e8 and ties."""
    from csi.ingest.careless import median

    rng = np.random.default_rng(11)
    for size in (3, 4, 5, 10, 11, 250, 251, 1000):
        for scale in (1e-8, 1.0, 1e8):
            values = rng.normal(size=size) * scale
            assert median(values) == float(np.median(values))
    assert median(np.array([1.0, 1.0, 2.0, 2.0])) == 1.5


def test_person_total_without_gaps_is_the_correlation_with_the_others_means():
    """The gap-free path against its definition, row by row: the Pearson correlation of a
    respondent's answers with the item means of everyone else (Curran 2016)."""
    from csi.ingest.careless import person_total

    rng = np.random.default_rng(3)
    values = rng.integers(1, 8, size=(120, 10)).astype(float)
    values[0] = 4.0  # a straight-liner: no correlation
    found = person_total(values)
    total = values.sum(axis=0)
    for row in range(1, len(values)):
        others = (total - values[row]) / (len(values) - 1)
        assert abs(found[row] - np.corrcoef(values[row], others)[0, 1]) < 1e-12
    assert np.isnan(found[0])
