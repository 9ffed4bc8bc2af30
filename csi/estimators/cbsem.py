"""Covariance-based SEM (CB-SEM) through semopy, behind csi's estimator interface.

The model (csi.spec: blocks as common factors, paths, residual covariances, fixed values) is
handed to semopy (Meshcheryakov, Igolkina & Samsonova 2021), which builds the LISREL-type
matrices Lambda, B, Psi, Theta with Sigma = Lambda (I - B)^-1 Psi (I - B)^-T Lambda' + Theta,
the first loading of every factor fixed to 1 (lavaan's default identification), and fits
them with its SLSQP solver. This module wraps it:

- every fit starts from a clean state (`Model.load(..., clean_slate=True)`; semopy would
  otherwise start from the previous fit), with semopy's data-based starting values computed
  from the covariance matrix, so a fit depends only on its matrix;
- semopy's SLSQP stops early on ill-conditioned models (on ECSI/mobi at chi^2 575.96 where
  lavaan reaches 575.57) and only logs when it fails; an L-BFGS-B refinement, tried first,
  needs over 10,000 iterations there. So the solution is refined by Fisher scoring with
  Levenberg-Marquardt damping (the expected information as curvature; Lee & Jennrich 1979),
  which converges in about 90 steps, and convergence is checked here: the fit is converged
  when a full scoring step could lower the discrepancy by less than 1e-12, else csi raises
  EstimationError. Variances are not bounded (lavaan's default), so Heywood cases show as
  negative variances and are reported by name;
- the standardized solution follows lavaan's standardizedSolution() (std.all), with
  delta-method standard errors from the expected information (ML: inverse of
  N/2 Delta'(Sigma^-1 x Sigma^-1)Delta, Bollen 1989, ch. 4);
- global fit indices are computed here from the discrepancy, as lavaan does (semopy's differ:
  RMSEA with N - 1, a baseline that keeps fixed variances), see `fit_indices`;
- construct scores for the 0-100 index use regression (Thurstone) factor-score weights
  Sigma^-1 Lambda Phi, each indicator's weight on its own factor, scaled so that the score
  has unit variance: the same index formula as PLS.

Fits run on the covariance matrix with divisor N (lavaan's ML convention); the standardized
estimates do not depend on that choice, so the bootstrap refits resample covariance matrices
as they come, each starting from the point estimates.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, optimize
from scipy import stats as scipy_stats

from csi.errors import EstimationError, ModelError
from csi.estimators.base import EstimatorFit, PlsEstimates, PlsSettings, on_covariances
from csi.model.spec import ModelSpec
from csi.model.structure import Layout, Structure
from csi.jsonio import clean

SEMOPY_OBJECTIVES = {"ML": "MLW", "GLS": "GLS", "ULS": "ULS"}
MAX_ITER = 1000  # scoring steps after semopy's SLSQP
STOP = 1e-12  # scoring stops when a full step would lower the discrepancy by less than this
TOL = 1e-10  # the point fit is converged below this (lavaan: nlminb's rel.tol 1e-10)
# A bootstrap refit starts at the point estimates and is converged below BOOT_TOL (the
# chi-square then within N * 1e-6 of its minimum, far inside resampling noise) within
# BOOT_MAX_ITER steps; on near-singular models the last digits cost hundreds of steps
BOOT_MAX_ITER = 300
BOOT_TOL = 1e-6
IDENTIFICATION_TOL = 1e-10  # smallest eigenvalue of the scaled information matrix
NEAR_ONE = 0.95  # latent correlations above this are reported
NOT_CONVERGED = "CB-SEM did not converge"
FAILED = "CB-SEM estimation failed"
_BUILD_LOCK = threading.Lock()  # semopy models share class-level dictionaries while built


class _SemopyRecords(logging.Filter):
    """semopy logs non-convergence and starting-value notes to the root logger; csi checks
    convergence itself and reports in its own words, so those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "semopy" not in record.pathname


logging.getLogger().addFilter(_SemopyRecords())

_BLAS_LOCK = threading.Lock()
_BLAS_USERS = [0, None]  # active users, the threadpoolctl limiter that set one thread


@contextlib.contextmanager
def single_threaded_blas():
    """Run BLAS on one thread while CB-SEM fits: its matrices are tiny (p x p, q x q), and a
    multi-threaded BLAS spends far longer synchronising than computing (tenfold slowdowns on a
    busy machine). Reference-counted, so concurrent bootstrap workers restore the setting only
    when the last one leaves."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn (semopy)
        yield
        return
    with _BLAS_LOCK:
        if _BLAS_USERS[0] == 0:
            _BLAS_USERS[1] = threadpool_limits(limits=1, user_api="blas")
        _BLAS_USERS[0] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_USERS[0] -= 1
            if _BLAS_USERS[0] == 0:
                _BLAS_USERS[1].restore_original_limits()
                _BLAS_USERS[1] = None


def semopy_syntax(spec: ModelSpec) -> tuple[str, list[str]]:
    """The semopy model text of a spec, and notes on what csi added: the error variance of a
    single-indicator factor is fixed to 0 (it cannot be identified otherwise) unless the model
    declares one."""

    def term(value: float | None, name: str) -> str:
        return name if value is None else f"{value!r}*{name}"

    lines = [f"{b.construct} =~ " + " + ".join(
        term(spec.fixed_value("=~", b.construct, item), item) for item in b.indicators)
        for b in spec.blocks]
    lines += [f"{target} ~ " + " + ".join(
        term(spec.fixed_value("~", target, source), source)
        for source in spec.predecessors(target)) for target in spec.endogenous]
    lines += [f"{c.left} ~~ {term(c.value, c.right)}" for c in spec.covariances]
    declared = {c.key for c in spec.covariances}
    notes = []
    for block in spec.blocks:
        item = block.indicators[0]
        if len(block.indicators) == 1 and frozenset((item,)) not in declared:
            lines.append(f"{item} ~~ 0*{item}")
            notes.append(
                f"{spec.label(block.construct)} has a single indicator ({item}): its error "
                f"variance is fixed to 0 ('{item} ~~ 0*{item}'), the usual identification; "
                f"declare '{item} ~~ ...' in the model to choose otherwise"
            )
    return "\n".join(lines), notes


@dataclass(frozen=True)
class Solution:
    """A converged fit: free parameters, iterations and the discrepancy."""

    x: np.ndarray
    discrepancy: float
    iterations: int
    slsqp_iterations: int
    decrement: float


class Fitter:
    """One semopy Model of a spec, refitted from a clean state to each covariance matrix.

    Matrices given to it are in the spec's indicator order; semopy's own order is internal.
    """

    def __init__(self, spec: ModelSpec, objective: str = "ML"):
        import semopy

        if objective not in SEMOPY_OBJECTIVES:
            raise ValueError(f"unknown objective '{objective}'")
        spec.check_for(composite=False)
        self.spec, self.objective = spec, objective
        self.text, self.notes = semopy_syntax(spec)
        with _BUILD_LOCK:
            try:
                model = semopy.Model(self.text)
            except Exception as exc:  # noqa: BLE001 - semopy raises bare Exceptions
                raise ModelError(f"{spec.name}: semopy cannot build the model ({exc})") from exc
        self.model = model
        self.observed = list(model.vars["observed"])
        self.inner = list(model.names_lambda[1])
        if sorted(self.observed) != sorted(spec.indicators) or \
                sorted(self.inner) != sorted(spec.constructs):
            raise ModelError(f"{spec.name}: semopy read the model differently (observed "
                             f"{self.observed}, latent {self.inner}); please report it")
        self.obs_order = np.array([self.observed.index(i) for i in spec.indicators])
        self.lat_order = np.array([self.inner.index(c) for c in spec.constructs])
        self.beta, self.lam, self.psi, self.theta = model.matrices[:4]
        kinds = {id(self.beta): 0, id(self.lam): 1, id(self.psi): 2, id(self.theta): 3}
        self.table = []  # (name, kind, row, col, active) of every parameter
        for name, param in model.parameters.items():
            if len(param.locations) != 1:
                raise ModelError(f"{spec.name}: equality constraints are not supported")
            location = param.locations[0]
            row, col = location.indices
            self.table.append((name, kinds[id(location.matrix)], row, col, param.active))
        active = [t for t in self.table if t[4]]
        self.q = len(active)
        self.p, self.m = self.lam.shape
        self.locations = {}
        for kind in range(4):
            rows = [(i, t[2], t[3]) for i, t in enumerate(active) if t[1] == kind]
            self.locations[kind] = tuple(np.array(v, dtype=int).reshape(-1)
                                         for v in zip(*rows)) if rows else None
        # semopy's data-based start of a loading: the slope of the indicator on its factor's
        # marker (first) indicator, cov / var -- computable from the covariance matrix
        self.loading_starts = []
        for position, (_, kind, row, col, _) in enumerate(active):
            marker = model.first_manifs[self.inner[col]] if kind == 1 else None
            if marker in self.observed:
                self.loading_starts.append((position, row, self.observed.index(marker)))
        pstar = self.p * (self.p + 1) // 2
        if self.q > pstar:
            raise ModelError(
                f"{spec.name}: the model is not identified: {self.q} free parameters but only "
                f"{pstar} variances and covariances of {self.p} indicators; fix loadings or "
                "variances (e.g. 'x ~~ 0*x' for a single indicator) or remove covariances"
            )
        self.df = pstar - self.q
        kinds_all = np.array([t[1] for t in self.table], dtype=int)
        self.all_rows = np.array([t[2] for t in self.table], dtype=int)
        self.all_cols = np.array([t[3] for t in self.table], dtype=int)
        self.all_kinds = kinds_all
        # semopy's SLSQP evaluates its objective with csi's closed-form, vectorized gradient
        # (the same function as semopy's, which loops over parameters in Python): same path,
        # a fraction of the time
        fun, _ = model.objectives[SEMOPY_OBJECTIVES[objective]]
        model.objectives[SEMOPY_OBJECTIVES[objective]] = (fun, self._semopy_gradient)

    def _semopy_gradient(self, x: np.ndarray) -> np.ndarray:
        try:
            return self.gradient_information(x, information=False)[0]
        except np.linalg.LinAlgError:
            return np.full(self.q, np.inf)

    # -- Sigma and its derivatives (semopy's order) -----------------------------------------
    def sigma(self, x: np.ndarray):
        self.model.update_matrices(x)
        c = np.linalg.inv(np.eye(self.m) - self.beta)
        mc = self.lam @ c
        return mc @ self.psi @ mc.T + self.theta, mc, c

    def derivatives(self, x: np.ndarray):
        """Sigma and dSigma/dx_i (q, p, p), in closed form for each matrix (Bollen 1989,
        ch. 8): for B_rc, M e_r (C Psi M')_c. + transpose with M = Lambda C; for Lambda_rc,
        e_r (C Psi M')_c. + transpose; for Psi_rc, M_.r M_.c' (+ transpose off the diagonal);
        for Theta_rc, e_r e_c' (+ transpose off the diagonal)."""
        sigma, mc, c = self.sigma(x)
        grads = np.zeros((self.q, self.p, self.p))
        cpm = c @ self.psi @ mc.T
        where = self.locations
        if where[0] is not None:
            idx, r, col = where[0]
            grads[idx] = mc[:, r].T[:, :, None] * cpm[col][:, None, :]
        if where[1] is not None:
            idx, r, col = where[1]
            grads[idx, r, :] = cpm[col]
        if where[2] is not None:
            idx, r, col = where[2]
            outer = mc[:, r].T[:, :, None] * mc[:, col].T[:, None, :]
            outer[r == col] *= 0.5
            grads[idx] = outer
        if where[3] is not None:
            idx, r, col = where[3]
            grads[idx, r, col] = np.where(r == col, 0.5, 1.0)
        grads += grads.transpose(0, 2, 1)
        return sigma, grads

    # -- the discrepancy functions (semopy's definitions) -----------------------------------
    def load(self, cov: np.ndarray, n: int | None) -> None:
        """Load a covariance matrix (spec order) into semopy from a clean state and set the
        starting values."""
        s = cov[np.ix_(self.obs_order.argsort(), self.obs_order.argsort())]
        frame = pd.DataFrame(s, index=self.observed, columns=self.observed)
        if self.objective in ("ML", "GLS"):
            sd = np.sqrt(np.diag(s))
            try:
                if not np.linalg.eigvalsh(s / np.outer(sd, sd))[0] > 1e-10:
                    raise np.linalg.LinAlgError
                lower = np.linalg.cholesky(s)
            except np.linalg.LinAlgError:
                raise EstimationError(
                    "the indicator covariance matrix is not positive definite (collinear or "
                    f"constant items?); {self.objective} needs its inverse: drop redundant "
                    "items or use --objective ULS"
                ) from None
            self.s_inv_lower = np.linalg.inv(lower)
            self.s_logdet = 2 * np.log(np.diag(lower)).sum()
        self.s = s
        try:
            self.model.load(cov=frame, n_samples=n, clean_slate=True)
        except Exception as exc:  # noqa: BLE001
            raise EstimationError(f"{FAILED}: semopy could not load the data ({exc})") from exc
        self.model.mx_cov = s  # semopy would swap a non-PD S for a nearby one (ULS allows it)
        start = np.asarray(self.model.param_vals, dtype=float).copy()
        for position, row, marker in self.loading_starts:
            start[position] = s[row, marker] / s[marker, marker]
        self.model.param_vals = start
        self.start = start

    def discrepancy(self, x: np.ndarray) -> float:
        sigma, _, _ = self.sigma(x)
        if self.objective == "ULS":
            return float(((sigma - self.s) ** 2).sum())
        if self.objective == "GLS":
            resid = self.s_inv_lower @ (sigma - self.s) @ self.s_inv_lower.T
            return float((resid**2).sum())
        try:
            lower = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return np.inf
        inv_lower = np.linalg.inv(lower)
        value = (2 * np.log(np.diag(lower)).sum() + ((inv_lower @ self.s) * inv_lower).sum()
                 - self.s_logdet - self.p)
        return float(value)

    def gradient_information(self, x: np.ndarray, information: bool = True):
        """Gradient of the discrepancy and its Fisher-scoring curvature (q, q)."""
        sigma, grads = self.derivatives(x)
        if self.objective == "ML":
            inv_lower = np.linalg.inv(np.linalg.cholesky(sigma))
            inv = inv_lower.T @ inv_lower
            gradient = grads.reshape(self.q, -1) @ (inv - inv @ self.s @ inv).ravel()
            if not information:
                return gradient, None
            scaled = (inv_lower @ grads @ inv_lower.T).reshape(self.q, -1)
            return gradient, scaled @ scaled.T
        weight = self.s_inv_lower if self.objective == "GLS" else np.eye(self.p)
        resid = weight @ (sigma - self.s) @ weight.T
        scaled = (weight @ grads @ weight.T).reshape(self.q, -1)
        return 2 * scaled @ resid.ravel(), (2 * scaled @ scaled.T if information else None)

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, cov: np.ndarray, n: int | None, start: np.ndarray | None = None,
            max_iter: int = MAX_ITER) -> Solution:
        """Fit one covariance matrix (spec order). Without `start`: semopy's SLSQP from its
        starting values, then scoring; with it (the bootstrap): scoring from `start`, and
        the former only if that gets nowhere."""
        self.load(cov, n)
        with np.errstate(all="ignore"):
            if start is not None:
                solution = self._score(np.asarray(start, float).copy(), BOOT_MAX_ITER, 0)
                if solution is not None and solution.decrement < BOOT_TOL:
                    return solution
                if solution is not None and solution.decrement < 1e-3:
                    raise EstimationError(f"{NOT_CONVERGED} within {BOOT_MAX_ITER} steps")
                self.load(cov, n)
            try:
                result = self.model.fit(obj=SEMOPY_OBJECTIVES[self.objective], solver="SLSQP")
            except Exception as exc:  # noqa: BLE001 - semopy raises bare Exceptions
                raise EstimationError(f"{FAILED} in semopy ({type(exc).__name__}: {exc})"
                                      ) from exc
            x = np.asarray(result.x, dtype=float)
            if not np.isfinite(self.discrepancy(x)):
                x = self.start
            solution = self._score(x.copy(), max_iter, int(np.nan_to_num(result.n_it)))
        tol = TOL * max(1.0, abs(solution.discrepancy)) if solution is not None else TOL
        if solution is None or not solution.decrement < (tol if start is None else BOOT_TOL):
            decrement = np.inf if solution is None else solution.decrement
            raise EstimationError(
                f"{NOT_CONVERGED} ({self.objective}, {max_iter} scoring steps after semopy's "
                f"SLSQP; a further step could still lower the discrepancy by {decrement:.2g}). "
                "The model may be empirically under-identified: look for constructs that "
                "correlate near 1, weak single loadings and free residual covariances; or use "
                "--estimator pls"
            )
        return solution

    def _score(self, x: np.ndarray, max_iter: int, slsqp_iterations: int) -> Solution | None:
        """Fisher scoring with Levenberg-Marquardt damping (Nielsen's update) from x."""
        f = self.discrepancy(x)
        if not np.isfinite(f):
            return None
        try:
            gradient, info = self.gradient_information(x)
        except np.linalg.LinAlgError:
            return None
        mu, nu, steps, decrement = 1e-4, 2.0, 0, np.inf
        while steps < max_iter:
            decrement = _decrement(gradient, info)
            if decrement < STOP:
                break
            scale = np.maximum(np.diag(info), 1e-12 * max(np.max(np.diag(info)), 1e-300))
            try:
                step = np.linalg.solve(info + mu * np.diag(scale), -gradient)
            except np.linalg.LinAlgError:
                return None
            trial = self.discrepancy(x + step)
            steps += 1
            if np.isfinite(trial) and trial < f:
                predicted = -(gradient @ step + 0.5 * step @ info @ step)
                ratio = (f - trial) / predicted if predicted > 0 else 0.0
                x, f = x + step, trial
                gradient, info = self.gradient_information(x)
                mu *= max(1 / 3, 1 - (2 * ratio - 1) ** 3)
                nu = 2.0
            else:
                mu *= nu
                nu *= 2
                if mu > 1e12:  # no step lowers the discrepancy: the numerical floor
                    break
        return Solution(x=x, discrepancy=f, iterations=steps, slsqp_iterations=slsqp_iterations,
                        decrement=decrement)

    # -- results -------------------------------------------------------------------------------
    def matrices(self, x: np.ndarray):
        """Lambda (p, K), B (K, K; B[j, k] = path k -> j), Psi, Theta in the spec's order."""
        self.model.update_matrices(x)
        o, latent = self.obs_order, self.lat_order
        return (self.lam[np.ix_(o, latent)].copy(), self.beta[np.ix_(latent, latent)].copy(),
                self.psi[np.ix_(latent, latent)].copy(), self.theta[np.ix_(o, o)].copy())

    def identification(self, x: np.ndarray) -> None:
        """Raise ModelError when the information matrix is singular at the solution: then the
        data cannot determine some parameters (the model is not identified); name them."""
        _, info = self.gradient_information(x)
        diagonal = np.diag(info)
        names = self.parameter_names()
        if np.any(diagonal <= 0):
            bad = [names[i] for i in np.flatnonzero(diagonal <= 0)]
            raise ModelError(f"{self.spec.name}: the model is not identified: "
                             f"{', '.join(bad)} do not affect the implied covariances")
        scaled = info / np.sqrt(np.outer(diagonal, diagonal))
        values, vectors = np.linalg.eigh(scaled)
        if values[0] < IDENTIFICATION_TOL:
            # name the parameters whose fixing would identify the model, most involved first
            direction = np.abs(vectors[:, 0])
            order = np.argsort(-direction)
            fixable = [i for i in order if direction[i] > 1e-8 and np.linalg.eigvalsh(
                np.delete(np.delete(scaled, i, 0), i, 1))[0] >= IDENTIFICATION_TOL]
            variance = [len(set(name.split(" ~~ "))) == 1 and " ~~ " in name
                        for name in names]
            fixable.sort(key=lambda i: (not variance[i], -direction[i]))  # variances first
            chosen = fixable[:4] or [i for i in order[:4] if direction[i] > 0.2 * direction[0]]
            involved = [names[i] for i in chosen]
            raise ModelError(
                f"{self.spec.name}: the model is not identified: the data cannot separate "
                f"{', '.join(involved[:-1])}{' and ' if len(involved) > 1 else ''}"
                f"{involved[-1]} (singular information matrix); fix one of them "
                "(e.g. a single indicator's error variance to 0 with 'x ~~ 0*x') or remove "
                "a free covariance"
            )

    def parameter_names(self) -> list[str]:
        """lavaan-style names of the free parameters, in semopy's order."""
        return [_name(self, kind, row, col) for _, kind, row, col, active in self.table
                if active]


def _name(fitter: Fitter, kind: int, row: int, col: int) -> str:
    lhs, op, rhs = _lavaan_triple(fitter, kind, row, col)
    return f"{lhs} {op} {rhs}"


def _lavaan_triple(fitter: Fitter, kind: int, row: int, col: int) -> tuple[str, str, str]:
    inner, observed = fitter.inner, fitter.observed
    if kind == 0:
        return inner[row], "~", inner[col]
    if kind == 1:
        return inner[col], "=~", observed[row]
    if kind == 2:
        return inner[row], "~~", inner[col]
    return observed[row], "~~", observed[col]


def _decrement(gradient: np.ndarray, info: np.ndarray) -> float:
    """Half the Newton decrement g' I^-1 g: what a full scoring step would gain."""
    try:
        factor = linalg.cho_factor(info + 1e-13 * np.trace(info) / info.shape[0]
                                   * np.eye(info.shape[0]))
        return float(0.5 * gradient @ linalg.cho_solve(factor, gradient))
    except (np.linalg.LinAlgError, ValueError):
        step = np.linalg.lstsq(info, gradient, rcond=1e-13)[0]
        return float(0.5 * gradient @ step)


# -- standardized solution ----------------------------------------------------------------------
def standardized(lam, beta, psi, theta):
    """The standardized quantities of a solution (spec order), as lavaan's std.all:
    loadings lambda sd(eta)/sd(x), paths beta sd(source)/sd(target) with model-implied total
    SDs, latent correlations, R^2 = 1 - psi_jj / var(eta_j), standardized total effects."""
    k_count = beta.shape[0]
    c = np.linalg.inv(np.eye(k_count) - beta)
    phi = c @ psi @ c.T
    sigma = lam @ phi @ lam.T + theta
    sd_lat = np.sqrt(np.diag(phi))
    sd_obs = np.sqrt(np.diag(sigma))
    std_beta = beta * sd_lat[None, :] / sd_lat[:, None]  # [j, k] = path k -> j
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = 1 - np.diag(psi) / np.diag(phi)
    return {
        "phi": phi, "sigma": sigma, "sd_lat": sd_lat, "sd_obs": sd_obs,
        "loadings": lam * sd_lat[None, :] / sd_obs[:, None],
        "cross": (lam @ phi) / (sd_obs[:, None] * sd_lat[None, :]),
        "cor": phi / np.outer(sd_lat, sd_lat),
        "paths": std_beta.T,  # [k, j] = path k -> j, csi's orientation
        "r2": r2,
        "total": (np.linalg.inv(np.eye(k_count) - std_beta) - np.eye(k_count)).T,
    }


def _estimates_of(fitter: Fitter, solution: Solution, cov: np.ndarray,
                  structure: Structure) -> PlsEstimates:
    """PlsEstimates (batch of one) of a solution; weights on the scale of `cov`."""
    lam, beta, psi, theta = fitter.matrices(solution.x)
    std = standardized(lam, beta, psi, theta)
    own = structure.block_of
    rows = np.arange(own.size)
    # regression factor-score weights (Thurstone): Sigma^-1 Lambda Phi, own factor only
    scores = np.linalg.solve(std["sigma"], lam @ std["phi"])[rows, own]
    variance = ((scores[:, None] * cov * scores[None, :]) * (own[:, None] == own[None, :])
                ) @ np.ones(own.size)
    block_variance = np.bincount(own, weights=variance, minlength=len(structure.constructs))
    if np.any(~(block_variance > 0)):
        raise EstimationError("a factor-score composite has zero variance; check for "
                              "constant items")
    weights = scores / np.sqrt(block_variance[own])
    endogenous = np.array([preds.size > 0 for preds in structure.predecessors])
    r2 = np.where(endogenous, std["r2"], np.nan)
    return PlsEstimates(
        weights=weights[None], loadings=std["loadings"][rows, own][None],
        cross_loadings=std["cross"][None], construct_cor=std["cor"][None],
        paths=std["paths"][None] * structure.path_mask[None], r2=r2[None],
        total_effects=std["total"][None],
        iterations=np.array([solution.iterations + solution.slsqp_iterations]),
        converged=np.array([True]), failures=np.array([""], dtype=object),
        parameters=solution.x[None],
    )


# -- fit indices --------------------------------------------------------------------------------
def fit_indices(s: np.ndarray, sigma: np.ndarray, n: int, n_free: int, objective: str,
                level: float = 0.90) -> dict:
    """Global fit as lavaan's fitMeasures() (Rosseel 2012; lavaan 0.6 lav_fit_*), from the
    covariance matrix s (divisor N) and the implied sigma.

    chisq = N F (ML: F = log|Sigma| + tr(S Sigma^-1) - log|S| - p; GLS: F = tr(((S - Sigma)
    S^-1)^2) / 2); baseline: independence model with every observed variance free (also
    those the model fixes, which semopy's baseline keeps), df_b = p(p - 1)/2; CFI = 1 -
    max(chisq - df, 0) / max(chisq - df, chisq_b - df_b, 0); TLI = (chisq_b/df_b - chisq/df)
    / (chisq_b/df_b - 1); RMSEA = sqrt(max(chisq - df, 0) / (df N)) with N, not N - 1, and
    its CI from the non-central chi-square (Browne & Cudeck 1993); SRMR = Bentler's, residuals
    scaled by the observed SDs over the p(p + 1)/2 moments; AIC = -2 logL + 2 q, BIC =
    -2 logL + q log N (ML only). ULS has no chi-square test: only df and SRMR.
    """
    p = s.shape[0]
    df = p * (p + 1) // 2 - n_free
    df_base = p * (p - 1) // 2
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    srmr = float(np.sqrt((resid[np.triu_indices(p)] ** 2).mean()))
    out = dict.fromkeys(("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_low",
                         "rmsea_ci_high", "srmr", "aic", "bic"))
    out.update(df=int(df), srmr=srmr)
    s_logdet = np.linalg.slogdet(s)[1]
    if objective == "ML":
        sigma_logdet = np.linalg.slogdet(sigma)[1]
        trace = np.trace(np.linalg.solve(sigma, s))
        chisq = n * (sigma_logdet + trace - s_logdet - p)
        base = n * (np.log(np.diag(s)).sum() - s_logdet)
        loglik = -n / 2 * (p * np.log(2 * np.pi) + sigma_logdet + trace)
        out.update(aic=float(-2 * loglik + 2 * n_free),
                   bic=float(-2 * loglik + n_free * np.log(n)))
    elif objective == "GLS":
        s_inv = np.linalg.inv(s)
        chisq = n * 0.5 * np.trace(np.linalg.matrix_power((s - sigma) @ s_inv, 2))
        diagonal = np.linalg.solve(s_inv * s_inv, np.diag(s_inv))
        base = n * 0.5 * np.trace(np.linalg.matrix_power(np.eye(p) - np.diag(diagonal) @ s_inv,
                                                         2))
    else:
        return out
    chisq, base = max(float(chisq), 0.0), float(base)
    out["chisq"] = chisq
    out["pvalue"] = float(scipy_stats.chi2.sf(chisq, df)) if df > 0 else None
    worse = max(chisq - df, 0.0)
    baseline_worse = max(chisq - df, base - df_base, 0.0)
    out["cfi"] = 1.0 if worse == 0 and baseline_worse == 0 else 1 - worse / baseline_worse
    if df > 0:
        t1, t2 = chisq / df - 1, base / df_base - 1
        out["tli"] = 1.0 if t1 < 0 and t2 < 0 else float(1 - t1 / t2)
        out["rmsea"] = float(np.sqrt(worse / (df * n)))
        out["rmsea_ci_low"], out["rmsea_ci_high"] = _rmsea_ci(chisq, df, n, level)
    else:
        out.update(tli=1.0, rmsea=0.0, rmsea_ci_low=0.0, rmsea_ci_high=0.0)
    return out


def _rmsea_ci(chisq: float, df: int, n: int, level: float) -> tuple[float, float]:
    """lavaan's RMSEA interval: the non-centralities at which the observed chisq is the
    (1 + level)/2 and (1 - level)/2 quantile, as sqrt(lambda / (N df))."""
    upper_q, lower_q = (1 + level) / 2, (1 - level) / 2

    def at(lam: float, q: float) -> float:
        return scipy_stats.ncx2.cdf(chisq, df, lam) - q if lam > 0 else \
            scipy_stats.chi2.cdf(chisq, df) - q

    low = 0.0
    if at(0.0, upper_q) >= 0:
        low = optimize.brentq(lambda lam: at(lam, upper_q), 0.0, max(chisq, 1.0), xtol=1e-12)
    high = 0.0
    bound = max(float(n), 4 * chisq)
    if not (at(bound, lower_q) > 0 or at(0.0, lower_q) < 0):
        high = optimize.brentq(lambda lam: at(lam, lower_q), 0.0, bound, xtol=1e-12)
    return float(np.sqrt(low / (n * df))), float(np.sqrt(high / (n * df)))


# -- the estimator interface ----------------------------------------------------------------------
def estimate(cov: np.ndarray, structure: Structure, settings: PlsSettings,
             start: np.ndarray | None = None) -> PlsEstimates:
    """CB-SEM estimates for a batch of covariance matrices (b, p, p), each refitted from a
    clean state (from `start`, the point estimates, when given: the bootstrap). A matrix whose
    fit fails is NaN with its reason in `failures`."""
    with single_threaded_blas():
        return _estimate(cov, structure, settings, start)


def _estimate(cov, structure, settings, start) -> PlsEstimates:
    fitter = Fitter(_spec(structure), settings.objective)
    batch, p = cov.shape[0], cov.shape[1]
    k_count = len(structure.constructs)
    out = {
        "weights": np.full((batch, p), np.nan), "loadings": np.full((batch, p), np.nan),
        "cross_loadings": np.full((batch, p, k_count), np.nan),
        "construct_cor": np.full((batch, k_count, k_count), np.nan),
        "paths": np.full((batch, k_count, k_count), np.nan),
        "r2": np.full((batch, k_count), np.nan),
        "total_effects": np.full((batch, k_count, k_count), np.nan),
        "iterations": np.zeros(batch, dtype=int), "converged": np.zeros(batch, dtype=bool),
        "failures": np.full(batch, "", dtype=object),
        "parameters": np.full((batch, fitter.q), np.nan),
    }
    for row in range(batch):
        try:
            solution = fitter.fit(cov[row], None, start=start)
            single = _estimates_of(fitter, solution, cov[row], structure)
        except (EstimationError, np.linalg.LinAlgError) as exc:
            failed = isinstance(exc, EstimationError) and str(exc).startswith(NOT_CONVERGED)
            out["failures"][row] = NOT_CONVERGED if failed else FAILED
            continue
        for name in out:
            if name != "failures":
                out[name][row] = getattr(single, name)[0]
    return PlsEstimates(**out)


def _spec(structure: Structure) -> ModelSpec:
    if structure.spec is None:
        raise ValueError("CB-SEM needs the Structure's ModelSpec (Structure.from_spec)")
    return structure.spec


def fit_model(spec: ModelSpec, cov: np.ndarray, n: int, objective: str = "ML",
              max_iter: int = MAX_ITER) -> tuple[Fitter, Solution]:
    """Fit `spec` to one covariance matrix (spec order, divisor N as lavaan) of n respondents:
    the fitted Fitter and its Solution. Checks convergence and identification. Works for any
    spec cbsem accepts, including measurement-only (CFA) models."""
    with single_threaded_blas():
        fitter = Fitter(spec, objective)
        solution = fitter.fit(cov, n, max_iter=max_iter)
        fitter.identification(solution.x)
    return fitter, solution


def point_fit(cov: np.ndarray, n: int, structure: Structure,
              settings: PlsSettings) -> EstimatorFit:
    """The CB-SEM point fit of one covariance matrix (p, p; divisor n - 1, as csi's moments)
    of n respondents: estimates, fit indices, ML standard errors of the reported families,
    Heywood and other warnings, and the lavaan-style parameter table in the details."""
    with single_threaded_blas():
        return _point_fit(cov, n, structure, settings)


def _point_fit(cov: np.ndarray, n: int, structure: Structure,
               settings: PlsSettings) -> EstimatorFit:
    spec = _spec(structure)
    cov_n = cov * (n - 1) / n  # lavaan's ML uses the covariance matrix with divisor N
    fitter, solution = fit_model(spec, cov_n, n, settings.objective)
    estimates = _estimates_of(fitter, solution, cov, structure)
    layout = Layout.from_spec(spec, structure)
    vcov = _vcov(fitter, solution.x, n)
    table, heywood = _parameter_table(fitter, solution.x, vcov)
    families = lambda x: _families(fitter, x, layout)  # noqa: E731
    jacobian = _jacobian(families, solution.x)
    standard_errors = {family: _delta(jac, vcov) for family, jac in jacobian.items()}
    fitter.model.update_matrices(solution.x)
    lam, beta, psi, theta = fitter.matrices(solution.x)
    sigma = standardized(lam, beta, psi, theta)["sigma"]
    indices = fit_indices(cov_n, sigma, n, fitter.q, settings.objective)
    warnings = list(fitter.notes) + heywood + _correlation_warnings(estimates, spec)
    details = {"discrepancy": solution.discrepancy, "n_parameters": fitter.q,
               "parameters": table}
    return EstimatorFit(estimates=estimates, warnings=tuple(warnings),
                        fit_indices=clean(indices), details=clean(details),
                        standard_errors=standard_errors)



def _vcov(fitter: Fitter, x: np.ndarray, n: int) -> np.ndarray:
    """Covariance matrix of the free parameters: ML and GLS the inverse expected information
    (N/2) Delta'(Sigma^-1 x Sigma^-1)Delta; ULS the normal-theory sandwich
    (D'D)^-1 D'(2 Sigma x Sigma)D (D'D)^-1 / N (Browne 1984)."""
    sigma, grads = fitter.derivatives(x)
    if fitter.objective == "ULS":
        flat = grads.reshape(fitter.q, -1)
        bread = np.linalg.pinv(flat @ flat.T)
        lower = np.linalg.cholesky(sigma)
        scaled = (lower.T @ grads @ lower).reshape(fitter.q, -1)
        return bread @ (2 * scaled @ scaled.T) @ bread / n
    inv_lower = np.linalg.inv(np.linalg.cholesky(sigma))
    scaled = (inv_lower @ grads @ inv_lower.T).reshape(fitter.q, -1)
    return np.linalg.pinv(n / 2 * scaled @ scaled.T)


def _families(fitter: Fitter, x: np.ndarray, layout: Layout) -> dict[str, np.ndarray]:
    """The standardized reported families (Layout order) at parameters x, for the delta
    method."""
    std = standardized(*fitter.matrices(x))
    structure = layout.structure
    total = std["total"]
    paths = std["paths"]
    return {
        "paths": np.array([paths[a, b] for a, b in layout.paths]),
        "loadings": std["loadings"][np.arange(structure.block_of.size), structure.block_of],
        "total_effects": np.array([total[a, b] for a, b in layout.effects]),
        "indirect_effects": np.array([total[a, b] - paths[a, b] for a, b in layout.indirect]),
        "r2": std["r2"][list(layout.endogenous)],
    }


def _delta(jacobian: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """Delta-method standard errors sqrt(diag(J V J'))."""
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jacobian, vcov, jacobian), 0, None))


def _jacobian(function, x: np.ndarray) -> dict[str, np.ndarray]:
    """Central-difference Jacobian of a dict-valued function: {key: (m, q)}."""
    columns: dict[str, list[np.ndarray]] = {}
    for i in range(x.size):
        h = 1e-6 * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        plus, minus = function(up), function(down)
        for key in plus:
            columns.setdefault(key, []).append((plus[key] - minus[key]) / (2 * h))
    return {key: np.stack(values, axis=1) if values else np.zeros((0, x.size))
            for key, values in columns.items()}


def _std_parameters(fitter: Fitter, x: np.ndarray) -> np.ndarray:
    """Every parameter (free and fixed, semopy's order) standardized as lavaan's std.all:
    =~ lambda sd(eta)/sd(x); ~ beta sd(source)/sd(target); a variance over the total
    variance; a covariance over the square roots of the two (residual) variances."""
    fitter.model.update_matrices(x)
    c = np.linalg.inv(np.eye(fitter.m) - fitter.beta)
    phi = c @ fitter.psi @ c.T
    mc = fitter.lam @ c
    sigma = mc @ fitter.psi @ mc.T + fitter.theta
    sd_lat, sd_obs = np.sqrt(np.diag(phi)), np.sqrt(np.diag(sigma))
    kind, row, col = fitter.all_kinds, fitter.all_rows, fitter.all_cols
    values = np.empty(kind.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, matrix, left, right in ((0, fitter.beta, 1 / sd_lat, sd_lat),
                                       (1, fitter.lam, 1 / sd_obs, sd_lat)):
            at = kind == k
            values[at] = matrix[row[at], col[at]] * left[row[at]] * right[col[at]]
        for k, matrix, total in ((2, fitter.psi, phi), (3, fitter.theta, sigma)):
            at = kind == k
            own = np.diag(matrix)
            diagonal = row[at] == col[at]
            values[at] = np.where(
                diagonal, matrix[row[at], col[at]] / total[row[at], row[at]],
                matrix[row[at], col[at]] / np.sqrt(own[row[at]] * own[col[at]]))
    return values


def _parameter_table(fitter: Fitter, x: np.ndarray, vcov: np.ndarray):
    """lavaan-style rows {lhs, op, rhs, free, estimate, se, z, p, std_estimate, std_se}
    (lavaan's parameterEstimates() and standardizedSolution() side by side) and the
    Heywood warnings (negative variances, standardized loadings above 1), naming each."""
    std = _std_parameters(fitter, x)
    jac = _jacobian(lambda v: {"std": _std_parameters(fitter, v)}, x)["std"]
    se_std = _delta(jac, vcov)
    fitter.model.update_matrices(x)
    matrices = (fitter.beta, fitter.lam, fitter.psi, fitter.theta)
    free_position = {}
    for name, *_ in [t for t in fitter.table if t[4]]:
        free_position[name] = len(free_position)
    rows, warnings = [], []
    for index, (name, kind, row, col, active) in enumerate(fitter.table):
        lhs, op, rhs = _lavaan_triple(fitter, kind, row, col)
        estimate = float(matrices[kind][row, col])
        se = float(np.sqrt(max(vcov[free_position[name]] [free_position[name]], 0.0))) \
            if active else 0.0
        z = estimate / se if active and se > 0 else None
        rows.append({
            "lhs": lhs, "op": op, "rhs": rhs, "free": bool(active), "estimate": estimate,
            "se": se, "z": z,
            "p": float(2 * scipy_stats.norm.sf(abs(z))) if z is not None else None,
            "std_estimate": float(std[index]),
            "std_se": float(se_std[index]),
        })
        if op == "~~" and lhs == rhs and estimate < 0:
            what = "error variance of indicator" if kind == 3 else "disturbance variance of"
            warnings.append(
                f"Heywood case: the {what} {lhs} is negative ({estimate:.4g}); the solution "
                "is improper: the model may be misspecified or empirically under-identified, "
                "or the sample too small"
            )
        if op == "=~" and abs(std[index]) > 1:
            warnings.append(
                f"Heywood case: the standardized loading of {rhs} on {lhs} is "
                f"{std[index]:.4f}, above 1 (its error variance is negative)"
            )
    return rows, warnings


def _correlation_warnings(estimates: PlsEstimates, spec: ModelSpec) -> list[str]:
    """Latent correlations at or beyond 1 (an improper solution) or near it (unstable paths)."""
    cor = estimates.construct_cor[0]
    names = spec.constructs
    out = []
    if np.isfinite(cor).all() and np.linalg.eigvalsh(cor)[0] < -1e-10:
        out.append("the latent correlation matrix is not positive definite: the CB-SEM "
                   "solution is improper")
    high = [(abs(cor[a, b]), a, b) for a in range(len(names)) for b in range(a)
            if abs(cor[a, b]) >= NEAR_ONE]
    if high:
        pairs = ", ".join(f"{spec.label(names[a])}-{spec.label(names[b])} {cor[a, b]:.3f}"
                          for _, a, b in sorted(high, reverse=True))
        out.append(
            f"latent correlations near or beyond 1 ({pairs}): these constructs are not "
            "empirically distinct, so the paths among them are unstable (standardized paths "
            "can exceed 1); compare with PLS (csi compare-estimators)"
        )
    return out


@dataclass(frozen=True)
class CovarianceBasedSem:
    """CB-SEM as a registry estimator: refits every matrix, starting the bootstrap's refits
    from the point fit's parameters."""

    name: str = "cbsem"
    composite: bool = False
    prepare = staticmethod(on_covariances)
    point_fit = staticmethod(point_fit)

    def estimate(self, cov: np.ndarray, structure: Structure, settings: PlsSettings, *,
                 reference: EstimatorFit | None = None, align: bool = True) -> PlsEstimates:
        start = (None if reference is None or reference.estimates.parameters is None
                 else reference.estimates.parameters[0])
        return estimate(cov, structure, settings, start=start)


ESTIMATOR = CovarianceBasedSem()
