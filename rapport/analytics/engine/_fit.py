"""Maximum-likelihood plumbing shared by the models: optimiser with fallbacks, fit results, SEs."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
from scipy import optimize

LOG_BOUND = 20.0  # |log parameter| limit: exp(20) ~ 5e8 means "no heterogeneity left to estimate"

# objective(phi) -> (mean negative log-likelihood, gradient, Hessian or None) on log-parameters
Objective = Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class FitResult:
    """Parameters (natural scale), maximised log-likelihood and standard errors of one fit."""

    params: dict[str, float]
    log_likelihood: float
    standard_errors: dict[str, float]
    covariance: np.ndarray = field(repr=False)
    n_customers: float
    n_rows: int
    converged: bool
    method: str
    iterations: int

    def __getattr__(self, name: str) -> float:
        # why: fit.r / fit.alpha read naturally in callers and tests
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(name)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready view: parameters, log-likelihood and standard errors."""
        return {
            **self.params,
            "log_likelihood": self.log_likelihood,
            "standard_errors": dict(self.standard_errors),
        }

    @classmethod
    def of(
        cls,
        names: Sequence[str],
        theta: np.ndarray,
        log_likelihood: float,
        cov: np.ndarray,
        *,
        n_customers: float,
        n_rows: int,
        solution: tuple[np.ndarray, bool, str, int],
    ) -> Self:
        """The result of a fit at natural parameters ``theta`` with covariance ``cov``;
        ``solution`` is what :func:`minimize_log_params` returned."""
        _phi, converged, method, iterations = solution
        return cls(
            params=dict(zip(names, map(float, theta), strict=True)),
            log_likelihood=log_likelihood,
            standard_errors=standard_errors(names, cov),
            covariance=cov,
            n_customers=n_customers,
            n_rows=n_rows,
            converged=converged,
            method=method,
            iterations=iterations,
        )


class PurchaseModelFit(FitResult):
    """A fitted purchase model (BG/NBD, Pareto/NBD) with its per-customer predictions; each model
    names its own functions of (params, …)."""

    p_alive_of: ClassVar[Callable[..., np.ndarray]]
    expected_purchases_of: ClassVar[Callable[..., np.ndarray]]

    def p_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(alive) per customer."""
        return self.p_alive_of(self.params, frequency, recency, T)

    def expected_purchases(self, t: float, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Expected purchases in the next ``t`` weeks per customer."""
        return self.expected_purchases_of(self.params, t, frequency, recency, T)


def params_array(
    params: dict[str, float] | Sequence[float] | np.ndarray, names: Sequence[str]
) -> np.ndarray:
    """Parameters as a float array in the order of ``names`` (from a dict or a sequence)."""
    if isinstance(params, dict):
        return np.array([params[k] for k in names], dtype=float)
    return np.asarray(params, dtype=float)


WARM_START_SIZE = 50_000  # customers in the thinned sample a big fit starts from


def warm_start_sample(data: Any, rng: np.random.Generator, size: int = WARM_START_SIZE) -> Any:
    """The customers of ``data`` (rows x, t_x, T with whole-number weights w) thinned binomially to
    about ``size`` (unbiased), as the same kind of data; None when the data are small or the
    weights are not whole numbers. Why: a cheap fit on the sample leaves the full one a few steps."""
    if data.w_total <= 4 * size or np.any(data.w != np.rint(data.w)):
        return None
    ws = rng.binomial(data.w.astype(np.int64), size / data.w_total).astype(float)
    keep = ws > 0
    return type(data)(data.x[keep], data.t_x[keep], data.T[keep], ws[keep])


def minimize_with_warm_start(
    objective_for: Callable[[Any], Objective],
    data: Any,
    sample: Any,
    starts: Sequence[np.ndarray],
    *,
    has_hessian: bool,
    **options: Any,
) -> tuple[np.ndarray, bool, str, int]:
    """:func:`minimize_log_params` on ``data``, starting first from the optimum on ``sample``
    (when there is one and it converged)."""
    if sample is not None:
        phi, ok, _, _ = minimize_log_params(objective_for(sample), starts, has_hessian=has_hessian)
        if ok:
            if has_hessian:  # a few plain Newton steps from the sample's optimum usually finish
                done = newton_steps(objective_for(data), phi, gtol=options.get("gtol", 1e-9))
                if done is not None:
                    return done
            starts = [phi, *starts]
    return minimize_log_params(objective_for(data), starts, has_hessian=has_hessian, **options)


def newton_steps(
    objective: Objective, phi: np.ndarray, *, gtol: float = 1e-9, max_steps: int = 12
) -> tuple[np.ndarray, bool, str, int] | None:
    """Newton's method with step halving from a point near the optimum (the optimum of a
    thinned sample). Why: each evaluation on a million distinct rows costs a quarter of a
    second, and from there Newton needs three or four where a trust-region solver spends a
    dozen. None when it does not converge (the caller falls back to the full minimiser)."""
    tol = max(1e3 * gtol, 1e-6)
    with np.errstate(all="ignore"):
        f, g, h = objective(phi)
        for step in range(max_steps):
            if not (np.isfinite(f) and np.all(np.isfinite(g))):
                return None
            if np.max(np.abs(g)) < tol and np.all(np.abs(phi) < LOG_BOUND - 0.5):
                return phi, True, "newton", step
            if h is None or not np.all(np.isfinite(h)):
                return None
            try:
                np.linalg.cholesky(h)
                direction = -np.linalg.solve(h, g)
            except np.linalg.LinAlgError:
                return None
            for _ in range(30):
                trial = np.clip(phi + direction, -LOG_BOUND, LOG_BOUND)
                f_new, g_new, h_new = objective(trial)
                if np.isfinite(f_new) and f_new <= f + 1e-12 * abs(f):
                    break
                direction = direction / 2
            else:
                return None
            phi, f, g, h = trial, f_new, g_new, h_new
    return None


class _Cached:
    """Memoise the last objective evaluation: scipy asks for f, g and H separately at one point."""

    def __init__(self, objective: Objective) -> None:
        self.objective = objective
        self.phi: np.ndarray | None = None
        self.value: tuple[float, np.ndarray, np.ndarray | None] = (np.inf, np.zeros(0), None)

    def __call__(self, phi: np.ndarray) -> tuple[float, np.ndarray, np.ndarray | None]:
        if self.phi is None or not np.array_equal(phi, self.phi):
            with np.errstate(all="ignore"):
                f, g, h = self.objective(np.asarray(phi, dtype=float))
            if not np.isfinite(f) or not np.all(np.isfinite(g)):
                f, g = (
                    np.inf,
                    np.zeros_like(phi),
                )  # why: lets line searches back off from bad regions
            self.phi, self.value = np.array(phi, dtype=float), (f, g, h)
        return self.value

    def f(self, phi: np.ndarray) -> float:
        return self(phi)[0]

    def g(self, phi: np.ndarray) -> np.ndarray:
        return self(phi)[1]

    def h(self, phi: np.ndarray) -> np.ndarray:
        h = self(phi)[2]
        return np.eye(len(phi)) if h is None or not np.all(np.isfinite(h)) else h


def minimize_log_params(
    objective: Objective,
    starts: Sequence[np.ndarray],
    *,
    has_hessian: bool,
    gtol: float = 1e-9,
    n_rows: int = 0,
    value_only: Callable[[np.ndarray], float] | None = None,
    polish: bool = True,
) -> tuple[np.ndarray, bool, str, int]:
    """Minimise ``objective`` over log-parameters from each start until one converges.

    Per start: trust-region Newton (``trust-exact``, when an analytic Hessian exists), then
    L-BFGS-B. If no start converges and the data are small (<= 50,000 rows), a bounded
    Nelder-Mead polish (on ``value_only`` when given: no gradient needed) runs from the best point.
    Returns (phi, converged, method, iterations). A fit whose parameters run off to the bounds
    (exp(+-20): the data carry no heterogeneity to estimate) is returned as not converged.
    """
    cached = _Cached(objective)
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(starts[0])  # why: keeps exp(phi) finite
    best: tuple[float, np.ndarray, str, int] | None = None

    def converged(phi: np.ndarray) -> bool:
        f, g, _ = cached(phi)
        inside = np.all(np.abs(phi) < LOG_BOUND - 0.5)
        return bool(np.isfinite(f) and inside and np.max(np.abs(g)) < max(1e3 * gtol, 1e-6))

    for start in starts:
        for method in (["trust-exact"] if has_hessian else []) + ["L-BFGS-B"]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if method == "trust-exact":
                    res = optimize.minimize(
                        cached.f,
                        start,
                        jac=cached.g,
                        hess=cached.h,
                        method=method,
                        options={"gtol": gtol, "maxiter": 200},
                    )
                else:
                    res = optimize.minimize(
                        cached.f,
                        start,
                        jac=cached.g,
                        method=method,
                        bounds=bounds,
                        options={"gtol": gtol, "ftol": 1e-15, "maxiter": 2000},
                    )
            phi = np.clip(res.x, -LOG_BOUND, LOG_BOUND)
            f = cached.f(phi)
            if best is None or f < best[0] - 1e-14:
                best = (f, phi, method, int(res.get("nit", 0)))
            if converged(phi):
                return phi, True, method, best[3]
    assert best is not None
    if polish and n_rows <= 50_000 and np.isfinite(best[0]):
        fun = value_only or cached.f
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            res = optimize.minimize(
                lambda p: fun(p) if np.all(np.isfinite(p)) else np.inf,
                best[1],
                method="Nelder-Mead",
                bounds=bounds,
                options={"xatol": 1e-8, "fatol": 1e-13, "maxfev": 3000},
            )
        if np.isfinite(res.fun) and cached.f(res.x) < best[0]:
            best = (cached.f(res.x), np.array(res.x), "Nelder-Mead", int(res.get("nit", 0)))
    return best[1], converged(best[1]), best[2], best[3]


def covariance_from_hessian(hessian: np.ndarray) -> np.ndarray:
    """Inverse of the observed information (Hessian of the negative log-likelihood); NaN if not
    positive definite (then the standard errors are undefined)."""
    try:
        np.linalg.cholesky(hessian)
        return np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full_like(hessian, np.nan)


def log_to_natural_covariance(cov_phi: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Delta method for theta = exp(phi): Cov(theta) = diag(theta) Cov(phi) diag(theta)."""
    return cov_phi * np.outer(theta, theta)


def standard_errors(names: Sequence[str], cov: np.ndarray) -> dict[str, float]:
    """Square roots of the covariance diagonal, keyed by parameter name."""
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(cov))
    return {n: float(s) for n, s in zip(names, se, strict=True)}


def log_hessian_from_natural(theta: np.ndarray, grad: np.ndarray, hess: np.ndarray) -> np.ndarray:
    """Chain rule for phi = log(theta): H_phi = (theta theta^T) * H_theta + diag(theta * g_theta)."""
    return hess * np.outer(theta, theta) + np.diag(theta * grad)


def numerical_hessian(grad: Callable[[np.ndarray], np.ndarray], phi: np.ndarray) -> np.ndarray:
    """Central finite differences of an analytic gradient, symmetrised."""
    k = len(phi)
    h = 1e-5 * np.maximum(1.0, np.abs(phi))
    out = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h[j]
        out[:, j] = (grad(phi + e) - grad(phi - e)) / (2 * h[j])
    return 0.5 * (out + out.T)
