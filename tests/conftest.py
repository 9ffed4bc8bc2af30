from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "reference"
DATA = ROOT / "tests" / "data"
MOBI = ROOT / "surveys" / "mobi.csv"

BANK_MODEL = """
IMAG =~ imag1 + imag2 + imag3 + imag4 + imag5
EXPE =~ expe1 + expe2 + expe3 + expe4 + expe5
QUAL =~ qual1 + qual2 + qual3 + qual4 + qual5
VAL  =~ val1 + val2 + val3 + val4
SAT  =~ sat1 + sat2 + sat3 + sat4
LOY  =~ loy1 + loy2 + loy3 + loy4
EXPE ~ IMAG
QUAL ~ EXPE
VAL  ~ EXPE + QUAL
SAT  ~ IMAG + EXPE + QUAL + VAL
LOY  ~ IMAG + SAT
"""


def reference(name: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, **kwargs)


@pytest.fixture(scope="session")
def mobi_frame() -> pd.DataFrame:
    return pd.read_csv(MOBI)


def survey_with_gaps() -> pd.DataFrame:
    """mobi with 18 missing answers in three items (listwise drops those rows) and frequency
    weights 1-3 in a column `w`."""
    frame = pd.read_csv(MOBI)
    rng = np.random.default_rng(7)
    for column in ("CUEX1", "PERQ3", "CUSL2"):
        frame.loc[rng.choice(len(frame), 6, replace=False), column] = np.nan
    frame["w"] = rng.integers(1, 4, len(frame))
    return frame


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """whole.csv (survey_with_gaps) and the same rows in five partitions under survey/, CSV
    and Parquet alternating."""
    folder = tmp_path_factory.mktemp("partitions")
    frame = survey_with_gaps()
    frame.to_csv(folder / "whole.csv", index=False)
    (folder / "survey").mkdir()
    for i, piece in enumerate(np.array_split(np.arange(len(frame)), 5)):
        part = frame.iloc[piece]
        if i % 2:
            part.to_parquet(folder / "survey" / f"part-{i}.parquet", index=False)
        else:
            part.to_csv(folder / "survey" / f"part-{i}.csv", index=False)
    return folder
