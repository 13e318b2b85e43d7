"""Benchmark: fitting BG/NBD, Pareto/NBD and Gamma-Gamma on 1,000,000 customers, and scoring them.

Simulates (seeded) a CDNOW-like BG/NBD calibration summary — first purchases spread over 12 weeks,
39-week calibration, day-level dates — plus Gamma-Gamma spend, then times Rapport's engine and, when
importable, lifetimes (BetaGeoFitter, ParetoNBDFitter, GammaGammaFitter) and pymc-marketing
(BetaGeoModel, ParetoNBDModel, GammaGammaModel fitted by MAP with flat priors) on the same data.
Every parameter set is scored with the same log-likelihood (Rapport's, checked against the closed
forms in the tests) so the columns compare like with like. Prints a markdown table.

    python bench/analytics_fit.py [--customers N] [--skip-lifetimes] [--skip-pymc]

The comparison libraries live in their own environment: see bench/requirements-compare.txt.
"""

from __future__ import annotations

import os

# On machines whose transparent huge pages are in "madvise" mode with synchronous defrag, numpy's
# default madvise(MADV_HUGEPAGE) on large arrays makes each fresh allocation stall on memory
# compaction (5x slower array maths here). The switch is numpy's documented environment variable,
# read at import, and applies equally to every library measured in this process.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install

from rapport.analytics.engine import bgnbd, gammagamma, paretonbd, score, simulate  # noqa: E402

TRUE_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW (Fader, Hardie & Lee 2005)
TRUE_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CALIBRATION_DAYS = 273  # 39 weeks
ACQUISITION_DAYS = 84  # first purchases spread over 12 weeks, like the CDNOW cohort

Row = dict[str, object]


def simulate_data(n: int, seed: int) -> pl.DataFrame:
    """BG/NBD summary on a day grid plus Gamma-Gamma mean spend rounded to cents."""
    rng = np.random.default_rng(seed)
    T = (CALIBRATION_DAYS - rng.integers(0, ACQUISITION_DAYS, n)) / 7.0
    sim = simulate.simulate_bgnbd(n, **TRUE_BG, T=T, seed=seed + 1, day_grid=True)
    monetary = np.round(simulate.simulate_monetary(sim["frequency"], **TRUE_GG, seed=seed + 2), 2)
    monetary[(sim["frequency"] > 0) & (monetary <= 0)] = 0.01
    return pl.DataFrame(
        {
            "customer_id": np.arange(n),
            "frequency": sim["frequency"],
            "recency": sim["recency"],
            "T": sim["T"],
            "monetary": monetary,
        }
    )


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def fmt_params(params: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.5g}" for k, v in params.items())


def ll_bg(data: pl.DataFrame, p: dict[str, float]) -> float:
    return bgnbd.log_likelihood(p, data["frequency"], data["recency"], data["T"])


def ll_pn(data: pl.DataFrame, p: dict[str, float]) -> float:
    return paretonbd.log_likelihood(p, data["frequency"], data["recency"], data["T"])


def ll_gg(data: pl.DataFrame, p: dict[str, float]) -> float:
    return gammagamma.log_likelihood(p, data["frequency"], data["monetary"])


def bench_rapport(data: pl.DataFrame, repeat: int) -> list[Row]:
    x, t_x, T, m = data["frequency"], data["recency"], data["T"], data["monetary"]
    rows: list[Row] = []
    sec, bg = timed(lambda: bgnbd.fit(x, t_x, T), repeat)
    rows.append({"model": "BG/NBD", "library": "rapport", "seconds": sec, "params": bg.params})
    sec, pn = timed(lambda: paretonbd.fit(x, t_x, T), repeat)
    rows.append({"model": "Pareto/NBD", "library": "rapport", "seconds": sec, "params": pn.params})
    sec, gg = timed(lambda: gammagamma.fit(x, m), repeat)
    rows.append({"model": "Gamma-Gamma", "library": "rapport", "seconds": sec, "params": gg.params})
    summary = data.select("frequency", "recency", "T", "monetary")
    sec, _ = timed(
        lambda: score(summary, bg, gg, horizon_weeks=52, annual_discount_rate=0.1), repeat
    )
    rows.append(
        {
            "model": "score (p_alive, E[X], E[M], CLV)",
            "library": "rapport",
            "seconds": sec,
            "params": None,
        }
    )
    sec, _ = timed(
        lambda: score(summary, pn, gg, horizon_weeks=52, annual_discount_rate=0.1), repeat
    )
    rows.append(
        {"model": "score with Pareto/NBD", "library": "rapport", "seconds": sec, "params": None}
    )
    return rows


def to_pandas(data: pl.DataFrame):  # noqa: ANN201 - pandas is only in the comparison environment
    """pandas copy without needing pyarrow."""
    import pandas as pd

    return pd.DataFrame({c: data[c].to_numpy() for c in data.columns})


def bench_lifetimes(data: pl.DataFrame) -> list[Row]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    pdf = to_pandas(data)
    rows: list[Row] = []
    sec, f = timed(lambda: BetaGeoFitter().fit(pdf["frequency"], pdf["recency"], pdf["T"]))
    rows.append(
        {
            "model": "BG/NBD",
            "library": "lifetimes",
            "seconds": sec,
            "params": {k: float(f.params_[k]) for k in ("r", "alpha", "a", "b")},
        }
    )
    sec, f = timed(lambda: ParetoNBDFitter().fit(pdf["frequency"], pdf["recency"], pdf["T"]))
    rows.append(
        {
            "model": "Pareto/NBD",
            "library": "lifetimes",
            "seconds": sec,
            "params": {k: float(f.params_[k]) for k in ("r", "alpha", "s", "beta")},
        }
    )
    pos = pdf[pdf["frequency"] > 0]
    sec, f = timed(lambda: GammaGammaFitter().fit(pos["frequency"], pos["monetary"]))
    rows.append(
        {
            "model": "Gamma-Gamma",
            "library": "lifetimes",
            "seconds": sec,
            "params": {
                "p": float(f.params_["p"]),
                "q": float(f.params_["q"]),
                "gamma": float(f.params_["v"]),
            },
        }
    )
    return rows


def bench_pymc(data: pl.DataFrame) -> list[Row]:
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel

    pdf = to_pandas(data)
    flat = Prior("HalfFlat")
    rows: list[Row] = []

    def point(model: object, names: tuple[str, ...]) -> dict[str, float]:
        post = model.idata.posterior  # type: ignore[attr-defined]
        return {n: float(np.asarray(post[n]).reshape(-1)[0]) for n in names}

    def fit_bg() -> object:
        model = BetaGeoModel(model_config=dict.fromkeys(("r", "alpha", "a", "b"), flat))
        model.fit(
            pdf[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False
        )
        return model

    sec, m = timed(fit_bg)
    rows.append(
        {
            "model": "BG/NBD",
            "library": "pymc-marketing",
            "seconds": sec,
            "params": point(m, ("r", "alpha", "a", "b")),
        }
    )

    def fit_pn() -> object:
        model = ParetoNBDModel(model_config=dict.fromkeys(("r", "alpha", "s", "beta"), flat))
        model.fit(
            pdf[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False
        )
        return model

    sec, m = timed(fit_pn)
    rows.append(
        {
            "model": "Pareto/NBD",
            "library": "pymc-marketing",
            "seconds": sec,
            "params": point(m, ("r", "alpha", "s", "beta")),
        }
    )

    pos = pdf[pdf["frequency"] > 0].rename(columns={"monetary": "monetary_value"})

    def fit_gg() -> object:
        model = GammaGammaModel(model_config=dict.fromkeys(("p", "q", "v"), flat))
        model.fit(
            pos[["customer_id", "monetary_value", "frequency"]], method="map", progressbar=False
        )
        return model

    sec, m = timed(fit_gg)
    p = point(m, ("p", "q", "v"))
    rows.append(
        {
            "model": "Gamma-Gamma",
            "library": "pymc-marketing",
            "seconds": sec,
            "params": {"p": p["p"], "q": p["q"], "gamma": p["v"]},
        }
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeat", type=int, default=3, help="runs per Rapport timing (best kept)")
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--skip-pymc", action="store_true")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    data = simulate_data(args.customers, args.seed)
    print(
        f"Simulated {args.customers:,} customers in {time.perf_counter() - start:.2f} s "
        f"({int((data['frequency'] > 0).sum()):,} repeat buyers); Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, NUMPY_MADVISE_HUGEPAGE={os.environ.get('NUMPY_MADVISE_HUGEPAGE')}",
        flush=True,
    )
    rows = bench_rapport(data, args.repeat)
    for name, flag, runner in (
        ("lifetimes", args.skip_lifetimes, bench_lifetimes),
        ("pymc_marketing", args.skip_pymc, bench_pymc),
    ):
        if flag:
            continue
        if importlib.util.find_spec(name) is None:
            print(f"({name} is not importable here: skipped; see bench/requirements-compare.txt)")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                rows.extend(runner(data))
            except Exception as exc:  # a comparison library failing must not hide our figures
                print(f"({name} failed: {type(exc).__name__}: {exc})")

    ll = {"BG/NBD": ll_bg, "Pareto/NBD": ll_pn, "Gamma-Gamma": ll_gg}
    ours = {r["model"]: r for r in rows if r["library"] == "rapport"}
    print()
    print(
        "| model | library | seconds | rapport speed-up | parameters | log-likelihood "
        "| LL minus rapport's |"
    )
    print("|---|---|---:|---:|---|---:|---:|")
    for r in rows:
        params = r["params"]
        model = str(r["model"])
        loglik = ll[model](data, params) if params and model in ll else None
        mine = ours[model]["params"]
        delta = loglik - ll[model](data, mine) if loglik is not None and mine else None
        speedup = (
            ""
            if r["library"] == "rapport"
            else f"{float(r['seconds']) / float(ours[model]['seconds']):.0f}x"
        )
        print(
            f"| {model} | {r['library']} | {float(r['seconds']):.3f} | {speedup} | "
            f"{fmt_params(params) if params else ''} | "
            f"{'' if loglik is None else f'{loglik:,.3f}'} | "
            f"{'' if delta is None or r['library'] == 'rapport' else f'{delta:.2e}'} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
