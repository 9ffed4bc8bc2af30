from pathlib import Path

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
