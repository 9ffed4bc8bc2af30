"""Independent numpy PLS-PM / PLSc and cSEM-style model fit, used ONLY to produce and
confirm reference numbers in tests/reference (never imported by csi or its tests).

Written from the published definitions, not from csi:
- PLS-PM: Lohmoeller (1989) / Tenenhaus et al. (2005): Mode A / Mode B outer
  estimation, centroid / factorial / path inner schemes, proxies scaled to unit
  variance, convergence when max |w_new - w_old| < tol (cSEM's "diff_absolute").
- PLSc: Dijkstra & Henseler (2015), correction factor c_j^2 =
  sum_offdiag(w w' * S) / sum_offdiag((w w')^2) (cSEM's "dist_squared_euclid"),
  consistent loadings lambda_j = c_j w_j, Q_j = w_j' lambda_j, construct
  correlations P_ij = C_ij / (Q_i Q_j); paths by OLS on P.
- Model-implied indicator correlation matrix exactly as cSEM 0.6.1 `fit()`
  (R/csem_fit.R): Sigma = Lambda' V Lambda + diag(1 - diag(Lambda'Lambda)), blocks of
  indicators of the same composite replaced by S; V = P (saturated) or the recursive
  structural model's implied construct correlations with Var(zeta_j) = 1 - R2_j and
  unit diagonal forced (estimated).
- Distances as cSEM 0.6.1 (R/helper_assess.R): SRMR over the lower triangle
  INCLUDING the diagonal, d_ULS = 0.5 * ||S - Sigma||_F^2, d_G = 0.5 * sum(log(eig(S^-1
  Sigma))^2) with cSEM's log base 10 and, separately, the natural log of Dijkstra &
  Henseler (2015).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

BANK_BLOCKS = {
    "IMAG": [f"imag{i}" for i in range(1, 6)],
    "EXPE": [f"expe{i}" for i in range(1, 6)],
    "QUAL": [f"qual{i}" for i in range(1, 6)],
    "VAL": [f"val{i}" for i in range(1, 5)],
    "SAT": [f"sat{i}" for i in range(1, 5)],
    "LOY": [f"loy{i}" for i in range(1, 5)],
}
BANK_PATHS = {  # endogenous: predecessors
    "EXPE": ["IMAG"],
    "QUAL": ["EXPE"],
    "VAL": ["EXPE", "QUAL"],
    "SAT": ["IMAG", "EXPE", "QUAL", "VAL"],
    "LOY": ["IMAG", "SAT"],
}
MOBI_BLOCKS = {
    "Image": [f"IMAG{i}" for i in range(1, 6)],
    "Expectation": [f"CUEX{i}" for i in range(1, 4)],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": [f"CUSA{i}" for i in range(1, 4)],
    "Complaints": ["CUSCO"],
    "Loyalty": [f"CUSL{i}" for i in range(1, 4)],
}
MOBI_PATHS = {
    "Expectation": ["Image"],
    "Quality": ["Expectation"],
    "Value": ["Expectation", "Quality"],
    "Satisfaction": ["Image", "Expectation", "Quality", "Value"],
    "Complaints": ["Satisfaction"],
    "Loyalty": ["Image", "Satisfaction", "Complaints"],
}


class Model:
    def __init__(self, blocks: dict, paths: dict):
        self.blocks = blocks
        self.paths = paths
        self.lvs = list(blocks)
        self.mvs = [m for b in blocks.values() for m in b]
        J, K = len(self.lvs), len(self.mvs)
        self.M = np.zeros((J, K))  # measurement incidence
        for j, lv in enumerate(self.lvs):
            for m in blocks[lv]:
                self.M[j, self.mvs.index(m)] = 1
        self.D = np.zeros((J, J))  # D[i, j] = 1 if i -> j
        for to, frs in paths.items():
            for fr in frs:
                self.D[self.lvs.index(fr), self.lvs.index(to)] = 1
        self.endo = [lv for lv in self.lvs if lv in paths]
        self.exo = [lv for lv in self.lvs if lv not in paths]


def _scale_w(W, S):
    var = np.einsum("jk,kl,jl->j", W, S, W)
    return W / np.sqrt(var)[:, None]


def pls_weights(S, model: Model, modes, scheme="path", tol=1e-12, max_iter=10_000):
    """PLS-PM outer weights from the indicator correlation matrix S (J x K matrix W)."""
    M = model.M
    W = _scale_w(M.copy(), S)
    adj = model.D + model.D.T
    for it in range(max_iter):
        C = W @ S @ W.T  # proxy correlations
        if scheme == "centroid":
            E = np.sign(C) * adj
        elif scheme == "factorial":
            E = C * adj
        elif scheme == "path":
            E = np.zeros_like(C)
            J = len(model.lvs)
            for j in range(J):
                pred = np.flatnonzero(model.D[:, j])
                succ = np.flatnonzero(model.D[j, :])
                if len(pred):
                    E[pred, j] = np.linalg.solve(C[np.ix_(pred, pred)], C[pred, j])
                E[succ, j] = C[succ, j]
        else:
            raise ValueError(scheme)
        # inner proxy Z_j = sum_i E[i, j] Y_i; cov(X_k, Z_j) = sum_i E[i,j] (W S)[i, k]
        covXZ = (E.T @ (W @ S)) * M  # J x K
        Wn = np.zeros_like(W)
        for j, lv in enumerate(model.lvs):
            idx = np.flatnonzero(M[j])
            if modes[lv] == "A":
                Wn[j, idx] = covXZ[j, idx]
            else:
                Wn[j, idx] = np.linalg.solve(S[np.ix_(idx, idx)], covXZ[j, idx])
        Wn = _scale_w(Wn, S)
        if np.max(np.abs(Wn - W)) < tol:
            return Wn, it + 1
        W = Wn
    raise RuntimeError("PLS did not converge")


def estimate(S, model: Model, modes, scheme="path", consistent=False, tol=1e-12):
    """Weights, loadings, Q, construct correlations P and OLS paths (dict of arrays)."""
    W, iters = pls_weights(S, model, modes, scheme, tol)
    M = model.M
    C = W @ S @ W.T
    L = (W @ S) * M  # composite loadings
    Q = np.ones(len(model.lvs))
    if consistent:
        for j, lv in enumerate(model.lvs):
            idx = np.flatnonzero(M[j])
            if len(idx) == 1:
                continue
            w = W[j, idx] if modes[lv] == "A" else L[j, idx]
            ww = np.outer(w, w)
            off = ~np.eye(len(idx), dtype=bool)
            c2 = np.sum(ww[off] * S[np.ix_(idx, idx)][off]) / np.sum(ww[off] ** 2)
            c = np.sqrt(abs(c2))
            L[j, idx] = c * (W[j, idx] if modes[lv] == "A" else L[j, idx])
            Q[j] = W[j, idx] @ L[j, idx]
    P = C / np.outer(Q, Q)
    np.fill_diagonal(P, 1.0)
    B = np.zeros_like(P)  # B[to, from]
    r2 = {}
    for to, frs in model.paths.items():
        t = model.lvs.index(to)
        f = [model.lvs.index(x) for x in frs]
        b = np.linalg.solve(P[np.ix_(f, f)], P[f, t])
        B[t, f] = b
        r2[to] = float(b @ P[f, t])
    return dict(W=W, L=L, Q=Q, C=C, P=P, B=B, r2=r2, iterations=iters)


def implied_construct_vcv(est, model: Model):
    """cSEM fit(.saturated = FALSE, .type_vcv = 'construct') for a recursive model."""
    lvs = model.lvs
    ex = [lvs.index(x) for x in model.exo]
    en = [lvs.index(x) for x in model.endo]
    P, Bfull = est["P"], est["B"]
    B = Bfull[np.ix_(en, en)]
    G = Bfull[np.ix_(en, ex)]
    Phi = P[np.ix_(ex, ex)]
    zeta = 1 - np.sum(Bfull * P, axis=1)
    Psi = np.diag(zeta[en])
    IB = np.linalg.inv(np.eye(len(en)) - B)
    cxe = Phi @ G.T @ IB.T
    cee = IB @ (G @ Phi @ G.T + Psi) @ IB.T
    np.fill_diagonal(cee, 1.0)
    V = np.zeros_like(P)
    V[np.ix_(ex, ex)] = Phi
    V[np.ix_(ex, en)] = cxe
    V[np.ix_(en, ex)] = cxe.T
    V[np.ix_(en, en)] = cee
    V = np.triu(V) + np.triu(V, 1).T  # symmetric from the upper triangle, as cSEM
    return V


def implied_indicator(S, est, model: Model, construct_type, saturated):
    """cSEM fit(): model-implied indicator correlation matrix."""
    L = est["L"]
    V = est["P"] if saturated else implied_construct_vcv(est, model)
    Theta = np.diag(np.diag(S) - np.diag(L.T @ L))
    Sig = L.T @ V @ L + Theta
    Sig = np.triu(Sig) + np.triu(Sig, 1).T
    comp = np.array([construct_type[lv] == "composite" for lv in model.lvs], dtype=float)
    Mc = model.M * comp[:, None]
    same = (Mc.T @ Mc) == 1
    Sig[same] = S[same]
    return Sig


def distances(S, Sig):
    K = S.shape[0]
    d = S - Sig
    low = np.tril_indices(K)  # lower triangle including diagonal (cSEM)
    srmr = np.sqrt(np.sum(d[low] ** 2) / len(low[0]))
    d_uls = 0.5 * np.sum(d ** 2)
    ev = np.linalg.eigvals(np.linalg.solve(S, Sig))
    ev = np.real_if_close(ev)
    lg10 = 0.5 * np.sum(np.log10(ev) ** 2)
    ln = 0.5 * np.sum(np.log(ev) ** 2)
    strict = np.tril_indices(K, -1)
    srmr_strict = np.sqrt(np.mean(d[strict] ** 2))
    return dict(srmr=float(srmr), d_uls=float(d_uls), d_g_log10=float(np.real(lg10)),
                d_g_ln=float(np.real(ln)), srmr_offdiag=float(srmr_strict))


def load(path, model: Model):
    df = pd.read_csv(path)
    X = df[model.mvs].to_numpy(dtype=float)
    return X


def corr(X):
    return np.corrcoef(X, rowvar=False)
