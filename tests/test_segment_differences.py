"""Which segments differ (issue 14): Holm's adjustment, the compact letter display, and the
verdicts on simulated segments with and without a planted difference."""

import math

import numpy as np
import pandas as pd
import pytest

from csi.inference.bootstrap import BootstrapSettings
from csi.ingest import IngestOptions, Survey
from csi.model.spec import parse_model
from csi.multi.differences import holm, letters_for, segment_differences
from csi.multi.segments import fit_segments
from tests.simulate import Population


def test_holm_matches_the_step_down_definition():
    # Holm 1979: sorted p (0.01, 0.02, 0.03, 0.5) times (4, 3, 2, 1), running maximum
    p = np.array([0.03, 0.01, 0.5, 0.02])
    np.testing.assert_allclose(holm(p), [0.06, 0.04, 0.5, 0.06])
    assert np.isnan(holm(np.array([np.nan, 0.2]))[0])


def test_letters_share_a_letter_exactly_when_not_different():
    # 1 differs from 3 only: 1 -> a, 2 -> ab, 3 -> b
    significant = np.zeros((3, 3), bool)
    significant[0, 2] = significant[2, 0] = True
    assert letters_for(significant) == ["a", "ab", "b"]
    assert letters_for(np.zeros((3, 3), bool)) == ["a", "a", "a"]
    every = ~np.eye(3, dtype=bool)
    assert letters_for(every) == ["a", "b", "c"]
    # a random pattern: two segments share a letter iff their pair is not significant
    rng = np.random.default_rng(1)
    for _ in range(20):
        upper = np.triu(rng.random((6, 6)) < 0.4, 1)
        matrix = upper | upper.T
        letters = letters_for(matrix)
        for i in range(6):
            for j in range(i + 1, 6):
                assert bool(set(letters[i]) & set(letters[j])) == (not matrix[i, j])


def test_segment_against_the_rest_uses_independent_samples():
    found = segment_differences(["a", "b", "c"], np.array([80.0, 70.0, 70.0]),
                                np.array([1.0, 1.0, 1.0]), np.array([100, 100, 300]), 0.95,
                                "Satisfaction")
    # the rest of a: (100 * 70 + 300 * 70) / 400 = 70; se^2 = 1 + (1/4)^2 + (3/4)^2
    assert found.versus_rest[0] == pytest.approx(10.0)
    z = 10.0 / np.sqrt(1 + 0.0625 + 0.5625)
    assert found.p_versus_rest[0] == pytest.approx(min(1, 3 * math.erfc(
        z / np.sqrt(2))), rel=1e-9)
    assert found.differs[0] and found.letters[0] != found.letters[1]
    assert "above the rest: a" in found.sentence


POPULATION = Population(
    constructs=("Quality", "Satisfaction"),
    loadings={"Quality": (0.85, 0.8, 0.8), "Satisfaction": (0.9, 0.85, 0.8)},
    paths={"Satisfaction": {"Quality": 0.6}}, item_sd=1.5,
    item_mean={"Quality": 6.5, "Satisfaction": 6.5})


@pytest.mark.parametrize("shift, expect_difference", [(0.0, False), (1.5, True)])
def test_planted_segment_difference_is_found_and_none_is_invented(shift, expect_difference):
    rng = np.random.default_rng(12)
    parts = []
    for store, moved in (("north", shift), ("south", 0.0), ("east", 0.0)):
        frame = POPULATION.sample(rng, 250)
        for item in ("Satisfaction1", "Satisfaction2", "Satisfaction3"):
            frame[item] = frame[item] + moved
        parts.append(frame.clip(1, 10).round().assign(store=store))
    survey = Survey("stores", pd.concat(parts, ignore_index=True))
    spec = parse_model(POPULATION.model_text() + "\n# @target Satisfaction", "two")
    results = fit_segments(survey, spec, "store", options=IngestOptions(scale=(1, 10)),
                           bootstrap=BootstrapSettings(resamples=400, seed=3))
    found = results.differences()
    doc = results.to_dict()
    assert doc["differences"]["summary"] == found.sentence
    if expect_difference:
        row = dict(zip(found.names, found.differs))
        letter = dict(zip(found.names, found.letters))
        assert row["north"] and found.versus_rest[found.names.index("north")] > 0
        assert not set(letter["north"]) & (set(letter["south"]) | set(letter["east"]))
        assert set(letter["south"]) & set(letter["east"])  # the unshifted two do not differ
    else:
        assert not found.differs.any()
        assert found.sentence.startswith("No segment's")
        assert set(found.letters) == {"a"}
