"""Structured diagnostics: what csi found that qualifies, or withholds, its advice.

A Diagnostic travels with the result (JSON `diagnostics`), so every renderer shows the same
findings first and the advice layer (csi.drivers.advice) decides from them. The checks are
functions of numbers and arrays; the pipeline calls each with what its layer knows.

Thresholds and their sources:
- inadmissible: a common-factor solution (PLSc, CB-SEM) with a loading, R² or rho_A above 1,
  a standardized path or latent correlation beyond +-1, a latent correlation matrix that is
  not positive definite (Dijkstra & Henseler 2015; cSEM's verify(); Kline 2016, ch. 12 on
  Heywood cases), or latent correlations of 0.95 or more among a target's drivers (then the
  drivers' separate effects are not identified in practice);
- few_resamples: fewer than 1,000 resamples give rough intervals and rank probabilities;
  below 200 none are reported (Efron & Tibshirani 1993, sec. 19.3: percentile intervals need
  about 1,000, standard errors about 200);
- resample_failures: more than 5% of resamples failed or were inadmissible;
- scale_unused: answers use less than half the declared scale, or none lie above its
  midpoint: the declared scale is probably wrong, and the 0-100 index with it;
- listwise_loss: listwise deletion dropped more than 10% of respondents;
- small_sample: fewer respondents than 10 times the most arrows pointing at a construct
  (Hair et al. 2022, the 10-times rule, p. 25), or fewer than the items;
- discriminant_validity: HTMT above 0.90 between a construct and a driver of it
  (Henseler, Ringle & Sarstedt 2015).
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("info", "warning", "error")
FEW_RESAMPLES = 1000
NO_INTERVALS_BELOW = 200
FAILURE_SHARE = 0.05
LISTWISE_SHARE = 0.10
HTMT_MAX = 0.90
DRIVER_CORRELATION_MAX = 0.95
TEN_TIMES = 10


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a stable `code`, its severity, a sentence, and what it is about (a
    construct, item or path "A -> B", or None for the whole fit)."""

    code: str
    severity: str
    message: str
    subject: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity '{self.severity}'")

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "subject": self.subject}

    @classmethod
    def from_dict(cls, doc: dict) -> Diagnostic:
        return cls(doc["code"], doc["severity"], doc["message"], doc.get("subject"))


def inadmissible(constructs: list[str], loadings, r2, paths: dict[tuple[str, str], float],
                 latent_cor, rho_a: dict[str, float] | None, indicators: list[str],
                 target_drivers: list[str]) -> list[Diagnostic]:
    """The inadmissibility checks of a common-factor solution (see the module doc)."""
    import numpy as np

    found = []
    for item, value in zip(indicators, loadings):
        if np.isfinite(value) and abs(value) > 1:
            found.append(Diagnostic("inadmissible", "error",
                                    f"the standardized loading of {item} is {value:.3f}, "
                                    "beyond 1 (a Heywood case: a negative error variance)",
                                    item))
    for construct, value in zip(constructs, r2):
        if np.isfinite(value) and value > 1:
            found.append(Diagnostic("inadmissible", "error",
                                    f"R² of {construct} is {value:.3f}, above 1 (a negative "
                                    "disturbance variance)", construct))
    for (a, b), value in paths.items():
        if np.isfinite(value) and abs(value) > 1:
            found.append(Diagnostic("inadmissible", "error",
                                    f"the standardized path {a} -> {b} is {value:.2f}, beyond "
                                    "+-1", f"{a} -> {b}"))
    for construct, value in (rho_a or {}).items():
        if value is not None and np.isfinite(value) and value > 1:
            found.append(Diagnostic("inadmissible", "error",
                                    f"rho_A of {construct} is {value:.3f}, above 1", construct))
    cor = np.asarray(latent_cor, float)
    k = len(constructs)
    off = ~np.eye(k, dtype=bool)
    if np.all(np.isfinite(cor)):
        beyond = np.argwhere(off & (np.abs(cor) >= 1) & np.triu(np.ones((k, k), bool)))
        for a, b in beyond:
            found.append(Diagnostic("inadmissible", "error",
                                    f"the latent correlation of {constructs[a]} and "
                                    f"{constructs[b]} is {cor[a, b]:.3f}, beyond +-1",
                                    f"{constructs[a]} <-> {constructs[b]}"))
        if np.linalg.eigvalsh((cor + cor.T) / 2).min() <= 0:
            found.append(Diagnostic("inadmissible", "error",
                                    "the latent correlation matrix is not positive definite"))
        position = {c: i for i, c in enumerate(constructs)}
        for i, a in enumerate(target_drivers):
            for b in target_drivers[i + 1:]:
                value = cor[position[a], position[b]]
                if DRIVER_CORRELATION_MAX <= abs(value) < 1:
                    found.append(Diagnostic(
                        "inadmissible", "error",
                        f"the latent correlation of the drivers {a} and {b} is {value:.3f}: "
                        "their separate effects cannot be told apart", f"{a} <-> {b}"))
    return found


def resampling(requested: int, used: int, failed: int) -> list[Diagnostic]:
    """few_resamples and resample_failures."""
    found = []
    if 0 < requested < FEW_RESAMPLES:
        withheld = requested < NO_INTERVALS_BELOW
        found.append(Diagnostic(
            "few_resamples", "warning",
            f"{requested} bootstrap resamples "
            + (f"are too few for intervals: standard errors, p values, intervals and rank "
               f"probabilities are not reported below {NO_INTERVALS_BELOW}; give "
               f"--bootstrap {FEW_RESAMPLES * 5} (the default) or more" if withheld else
               f"give rough intervals and rank probabilities; use {FEW_RESAMPLES} or more "
               f"(the default is {FEW_RESAMPLES * 5})")))
    if requested > 0 and failed / requested > FAILURE_SHARE:
        found.append(Diagnostic(
            "resample_failures", "warning",
            f"{failed} of {requested} bootstrap resamples ({failed / requested:.0%}) failed or "
            f"were inadmissible; the intervals rest on the {used} that could be estimated, "
            "which are not a random sample of all resamples"))
    return found


def scale_use(low: float, high: float, observed_low: float, observed_high: float,
              from_data: bool) -> list[Diagnostic]:
    """scale_unused: a declared scale the answers do not fill."""
    if from_data or not high > low:
        return []
    used = (observed_high - observed_low) / (high - low)
    midpoint = (low + high) / 2
    if used < 0.5 or observed_high <= midpoint:
        return [Diagnostic(
            "scale_unused", "warning",
            f"the answers run from {observed_low:g} to {observed_high:g} on the declared scale "
            f"{low:g}..{high:g} ({used:.0%} of it"
            + (", none above its midpoint" if observed_high <= midpoint else "")
            + "): check --scale; a wrong scale gives a wrong 0-100 index")]
    return []


def listwise_loss(rows_read: int, dropped: int) -> list[Diagnostic]:
    """listwise_loss: more than 10% of respondents dropped as incomplete."""
    if rows_read and dropped / rows_read > LISTWISE_SHARE:
        return [Diagnostic(
            "listwise_loss", "warning",
            f"listwise deletion dropped {dropped} of {rows_read} respondents "
            f"({dropped / rows_read:.0%}) with a missing answer; the rest may not represent "
            "the sample: consider --missing em")]
    return []


def sample_size(n: int, items: int, most_arrows: int, construct: str | None) -> list[Diagnostic]:
    """small_sample: the 10-times rule and more items than respondents."""
    found = []
    if most_arrows and n < TEN_TIMES * most_arrows:
        found.append(Diagnostic(
            "small_sample", "warning",
            f"{n} respondents are fewer than {TEN_TIMES} x {most_arrows} arrows pointing at "
            f"{construct} (the 10-times rule): estimates are unstable", construct))
    if n < items:
        found.append(Diagnostic("small_sample", "warning",
                                f"{n} respondents are fewer than the {items} items"))
    return found


def discriminant_validity(pairs: dict[tuple[str, str], float]) -> list[Diagnostic]:
    """discriminant_validity: HTMT above 0.90 between a construct and one of its drivers."""
    return [Diagnostic("discriminant_validity", "warning",
                       f"HTMT of {driver} and {target} is {value:.2f}, above {HTMT_MAX}: the "
                       "two may measure the same thing, and the driver's effect is doubtful",
                       f"{driver} -> {target}")
            for (driver, target), value in pairs.items() if value > HTMT_MAX]
