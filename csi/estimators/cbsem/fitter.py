"""The Fitter: one semopy Model of a spec, refitted from a clean state to each covariance
matrix by semopy's SLSQP and then Fisher scoring with Levenberg-Marquardt damping (Lee &
Jennrich 1979), with csi's own convergence and identification checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg

from csi.errors import EstimationError, ModelError
from csi.estimators.cbsem.syntax import BUILD_LOCK, SEMOPY_OBJECTIVES, semopy_syntax
from csi.model.spec import ModelSpec

MAX_ITER = 1000  # scoring steps after semopy's SLSQP
STOP = 1e-12  # scoring stops when a full step would lower the discrepancy by less than this
TOL = 1e-10  # the point fit is converged below this (lavaan: nlminb's rel.tol 1e-10)
# A bootstrap refit starts at the point estimates and is converged below BOOT_TOL (the
# chi-square then within N * 1e-6 of its minimum, far inside resampling noise) within
# BOOT_MAX_ITER steps; on near-singular models the last digits cost hundreds of steps
BOOT_MAX_ITER = 300
BOOT_TOL = 1e-6
IDENTIFICATION_TOL = 1e-10  # smallest eigenvalue of the scaled information matrix
NOT_CONVERGED = "CB-SEM did not converge"
FAILED = "CB-SEM estimation failed"


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
        with BUILD_LOCK:
            try:
                model = semopy.Model(self.text)
            except Exception as exc:  # noqa: BLE001 - semopy raises bare Exceptions
                raise ModelError(f"{spec.name}: semopy cannot build the model ({exc})") from exc
        # semopy names some parameters while iterating over sets, so their order (and with it
        # SLSQP's path to a near-singular optimum) would follow PYTHONHASHSEED; put them in the
        # order of their place in the matrices so that the same data give the same digits
        model.parameters = dict(sorted(model.parameters.items(),
                                       key=lambda item: _place(model, item[1].locations[0])))
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
        self.table = []  # (name, kind, row, col, active) of every parameter
        for name, param in model.parameters.items():
            if len(param.locations) != 1:
                raise ModelError(f"{spec.name}: equality constraints are not supported")
            kind, row, col = _place(model, param.locations[0])
            self.table.append((name, kind, row, col, param.active))
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


def _place(model, location) -> tuple[int, int, int]:
    """Where a parameter sits: its matrix's number and its cell (the upper triangle's for
    a symmetric matrix, which semopy may store either way)."""
    kind = next(k for k, matrix in enumerate(model.matrices) if matrix is location.matrix)
    row, col = location.indices
    if location.symmetric:
        row, col = min(row, col), max(row, col)
    return kind, row, col


def _name(fitter: Fitter, kind: int, row: int, col: int) -> str:
    lhs, op, rhs = lavaan_triple(fitter, kind, row, col)
    return f"{lhs} {op} {rhs}"


def lavaan_triple(fitter: Fitter, kind: int, row: int, col: int) -> tuple[str, str, str]:
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
