"""Benchmark: Rapport's model fits against lifetimes and pymc-marketing, side by side in ONE process.

One invocation fits every model with every library on the same simulated data, one after the other
(model by model, so all three see the same machine load), and reports for each run the wall time,
the CPU time of the whole process (all threads: Rapport's polars and BLAS threads count), and the
ratios against Rapport — by wall time and by CPU time ("per core"). Two data shapes:

* day-level: CDNOW-like BG/NBD summaries on a day grid (first purchases over 12 weeks, 39-week
  calibration): many customers share (x, t_x, T), which Rapport collapses into weights;
* continuous: the same model with times in continuous weeks: every customer is a distinct row.

BG/NBD, the modified BG/NBD and Gamma-Gamma at ``--customers`` (default 1,000,000), Pareto/NBD at
``--pareto-customers`` (default 100,000: the peers take minutes per fit), and scoring (P(alive),
expected purchases, expected average order, CLV) against lifetimes. Every parameter set is scored
with the same log-likelihood (Rapport's, checked against the closed forms in the tests), so the
columns compare like with like. Prints markdown tables.

    python bench/analytics_fit.py [--customers N] [--pareto-customers N] [--shapes day,continuous]
                                  [--skip-lifetimes] [--skip-pymc] [--repeat 3]

Run it with the interpreter that has the comparison libraries (`make bench` creates .venv-bench
from bench/requirements-compare.txt); without them it measures Rapport alone.
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
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, no install

from rapport.analytics.engine import (  # noqa: E402
    bgnbd,
    gammagamma,
    mbgnbd,
    paretonbd,
    score,
    simulate,
)

TRUE_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW (Fader, Hardie & Lee 2005)
TRUE_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
CALIBRATION_DAYS = 273  # 39 weeks
ACQUISITION_DAYS = 84  # first purchases spread over 12 weeks, like the CDNOW cohort
GOAL = 20.0  # every fit at least 20x faster than the faster peer, per core (issue 9)

LL: dict[str, Callable[..., float]] = {
    "BG/NBD": bgnbd.log_likelihood,
    "MBG/NBD": mbgnbd.log_likelihood,
    "Pareto/NBD": paretonbd.log_likelihood,
}


@dataclass
class Run:
    model: str
    library: str
    wall: float
    cpu: float
    params: dict[str, float] | None = None
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def simulate_data(n: int, seed: int, *, day_grid: bool) -> pl.DataFrame:
    """BG/NBD summary (day grid or continuous) plus Gamma-Gamma mean spend rounded to cents."""
    rng = np.random.default_rng(seed)
    if day_grid:
        T = (CALIBRATION_DAYS - rng.integers(0, ACQUISITION_DAYS, n)) / 7.0
    else:
        T = (CALIBRATION_DAYS - rng.uniform(0, ACQUISITION_DAYS, n)) / 7.0
    sim = simulate.simulate_bgnbd(n, **TRUE_BG, T=T, seed=seed + 1, day_grid=day_grid)
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


def measure(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and process CPU seconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """The run with the least CPU time among ``repeat`` runs (Rapport's runs are short)."""
    runs = [measure(fn) for _ in range(repeat)]
    return min(runs, key=lambda r: r[1])


def to_pandas(data: pl.DataFrame) -> Any:
    """pandas copy without needing pyarrow."""
    import pandas as pd

    return pd.DataFrame({c: data[c].to_numpy() for c in data.columns})


# --- One model, three libraries ----------------------------------------------------------------


def rapport_fit(model: str, data: pl.DataFrame) -> Any:
    x, t_x, T = data["frequency"], data["recency"], data["T"]
    if model == "Gamma-Gamma":
        return gammagamma.fit(x, data["monetary"])
    return {"BG/NBD": bgnbd, "MBG/NBD": mbgnbd, "Pareto/NBD": paretonbd}[model].fit(x, t_x, T)


def lifetimes_fit(model: str, pdf: Any) -> dict[str, float]:
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter

    if model == "Gamma-Gamma":
        pos = pdf[pdf["frequency"] > 0]
        f = GammaGammaFitter().fit(pos["frequency"], pos["monetary"])
        return {
            "p": float(f.params_["p"]),
            "q": float(f.params_["q"]),
            "gamma": float(f.params_["v"]),
        }
    cls = {"BG/NBD": BetaGeoFitter, "MBG/NBD": ModifiedBetaGeoFitter, "Pareto/NBD": ParetoNBDFitter}
    f = cls[model]().fit(pdf["frequency"], pdf["recency"], pdf["T"])
    names = ("r", "alpha", "s", "beta") if model == "Pareto/NBD" else ("r", "alpha", "a", "b")
    return {k: float(f.params_[k]) for k in names}


def pymc_fit(model: str, pdf: Any) -> dict[str, float]:
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import (
        BetaGeoModel,
        GammaGammaModel,
        ModifiedBetaGeoModel,
        ParetoNBDModel,
    )

    flat = Prior("HalfFlat")  # flat priors: MAP = maximum likelihood

    def point(m: Any, names: tuple[str, ...]) -> dict[str, float]:
        post = m.idata.posterior
        return {n: float(np.asarray(post[n]).reshape(-1)[0]) for n in names}

    if model == "Gamma-Gamma":
        pos = pdf[pdf["frequency"] > 0].rename(columns={"monetary": "monetary_value"})
        m = GammaGammaModel(model_config=dict.fromkeys(("p", "q", "v"), flat))
        m.fit(pos[["customer_id", "monetary_value", "frequency"]], method="map", progressbar=False)
        p = point(m, ("p", "q", "v"))
        return {"p": p["p"], "q": p["q"], "gamma": p["v"]}
    names = ("r", "alpha", "s", "beta") if model == "Pareto/NBD" else ("r", "alpha", "a", "b")
    cls = {"BG/NBD": BetaGeoModel, "MBG/NBD": ModifiedBetaGeoModel, "Pareto/NBD": ParetoNBDModel}
    m = cls[model](model_config=dict.fromkeys(names, flat))
    m.fit(pdf[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False)
    return point(m, names)


def compare(model: str, data: pl.DataFrame, peers: list[str], repeat: int) -> list[Run]:
    """Rapport, then each peer, on the same data, one after the other."""
    wall, cpu, fit = best_of(lambda: rapport_fit(model, data), repeat)
    runs = [Run(model, "rapport", wall, cpu, dict(fit.params), extra={"rows": fit.n_rows})]
    pdf = to_pandas(data) if peers else None
    for peer in peers:
        runner = {"lifetimes": lifetimes_fit, "pymc-marketing": pymc_fit}[peer]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                wall, cpu, params = measure(lambda runner=runner: runner(model, pdf))
                runs.append(Run(model, peer, wall, cpu, params))
            except Exception as exc:  # a peer failing must not hide the other figures
                runs.append(Run(model, peer, 0.0, 0.0, error=f"{type(exc).__name__}: {exc}"))
        print(f"  {model} {peer}: {runs[-1].wall:.1f} s {runs[-1].error}", flush=True)
    return runs


def compare_scoring(data: pl.DataFrame, peers: list[str], repeat: int) -> list[Run]:
    """P(alive), expected purchases in 52 weeks, expected average order and 52-week CLV for every
    customer, with BG/NBD + Gamma-Gamma fitted beforehand (fits not timed)."""
    x, t_x, T = data["frequency"], data["recency"], data["T"]
    bg, gg = bgnbd.fit(x, t_x, T), gammagamma.fit(x, data["monetary"])
    summary = data.select("frequency", "recency", "T", "monetary")
    wall, cpu, _ = best_of(
        lambda: score(summary, bg, gg, horizon_weeks=52, annual_discount_rate=0.1), repeat
    )
    runs = [Run("scoring (BG/NBD + GG)", "rapport", wall, cpu)]
    if "lifetimes" in peers:
        from lifetimes import BetaGeoFitter, GammaGammaFitter

        pdf = to_pandas(data)
        bgf = BetaGeoFitter()
        bgf.params_ = __import__("pandas").Series(bg.params)
        bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # as fit() sets it
        ggf = GammaGammaFitter()
        ggf.params_ = __import__("pandas").Series(
            {"p": gg.params["p"], "q": gg.params["q"], "v": gg.params["gamma"]}
        )

        def lifetimes_score() -> None:
            f, r, t, m = pdf["frequency"], pdf["recency"], pdf["T"], pdf["monetary"]
            bgf.conditional_probability_alive(f, r, t)
            bgf.conditional_expected_number_of_purchases_up_to_time(52, f, r, t)
            ggf.conditional_expected_average_profit(f, m)
            ggf.customer_lifetime_value(bgf, f, r, t, m, time=12, discount_rate=0.1 / 12, freq="W")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wall, cpu, _ = measure(lifetimes_score)
        runs.append(Run("scoring (BG/NBD + GG)", "lifetimes", wall, cpu))
    return runs


# --- Report ---------------------------------------------------------------------------------------


def fmt_params(params: dict[str, float] | None) -> str:
    return ", ".join(f"{k}={v:.5g}" for k, v in params.items()) if params else ""


def log_likelihood(model: str, data: pl.DataFrame, params: dict[str, float] | None) -> float | None:
    if not params:
        return None
    x, t_x, T = data["frequency"], data["recency"], data["T"]
    if model == "Gamma-Gamma":
        return gammagamma.log_likelihood(params, x, data["monetary"])
    return LL[model](params, x, t_x, T) if model in LL else None


def table(runs: list[Run], data: dict[str, pl.DataFrame]) -> list[str]:
    out = [
        "| model | customers (distinct rows) | library | wall s | CPU s | wall ratio | CPU ratio "
        "(per core) | parameters | LL minus Rapport's |",
        "|---|---:|---|---:|---:|---:|---:|---|---:|",
    ]
    ours = {r.model: r for r in runs if r.library == "rapport"}
    for r in runs:
        mine = ours[r.model]
        frame = data[r.model]
        rows = f"{frame.height:,}" + (f" ({mine.extra['rows']:,})" if "rows" in mine.extra else "")
        if r.error:
            out.append(f"| {r.model} | {rows} | {r.library} | | | | | failed: {r.error[:80]} | |")
            continue
        ratio_w = "" if r is mine else f"{r.wall / mine.wall:.0f}x"
        ratio_c = "" if r is mine else f"{r.cpu / mine.cpu:.0f}x"
        ll, ll_mine = (
            log_likelihood(r.model, frame, r.params),
            log_likelihood(r.model, frame, mine.params),
        )
        delta = "" if r is mine or ll is None or ll_mine is None else f"{ll - ll_mine:.2e}"
        out.append(
            f"| {r.model} | {rows} | {r.library} | {r.wall:.3f} | {r.cpu:.3f} | {ratio_w} | "
            f"{ratio_c} | {fmt_params(r.params)} | {delta} |"
        )
    return out


def goals(runs: list[Run]) -> list[str]:
    out = [
        "| model | Rapport CPU s | faster peer (CPU s) | CPU ratio | goal ≥ 20x per core |",
        "|---|---:|---|---:|---|",
    ]
    for model in dict.fromkeys(r.model for r in runs):
        mine = next(r for r in runs if r.model == model and r.library == "rapport")
        peers = [r for r in runs if r.model == model and r.library != "rapport" and not r.error]
        if not peers:
            out.append(f"| {model} | {mine.cpu:.3f} | (none measured) | | not measured |")
            continue
        fastest = min(peers, key=lambda r: r.cpu)
        ratio = fastest.cpu / mine.cpu
        met = "met" if ratio >= GOAL else "NOT met"
        out.append(
            f"| {model} | {mine.cpu:.3f} | {fastest.library} ({fastest.cpu:.2f}) | {ratio:.0f}x "
            f"| {met} |"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--pareto-customers", type=int, default=100_000)
    parser.add_argument("--shapes", default="day,continuous")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeat", type=int, default=3, help="Rapport runs per fit (least CPU)")
    parser.add_argument("--skip-lifetimes", action="store_true")
    parser.add_argument("--skip-pymc", action="store_true")
    args = parser.parse_args(argv)

    peers = []
    for name, module, skip in (
        ("lifetimes", "lifetimes", args.skip_lifetimes),
        ("pymc-marketing", "pymc_marketing", args.skip_pymc),
    ):
        if not skip and importlib.util.find_spec(module) is not None:
            peers.append(name)
        elif not skip:
            print(f"({name} is not importable here: skipped; see bench/requirements-compare.txt)")
    versions = {
        m: getattr(__import__(m), "__version__", "?")
        for m in ("numpy", "scipy", "polars", *[p.replace("-", "_") for p in peers])
    }
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f}, {versions}, "
        f"NUMPY_MADVISE_HUGEPAGE={os.environ.get('NUMPY_MADVISE_HUGEPAGE')}",
        flush=True,
    )
    for shape in args.shapes.split(","):
        day_grid = shape == "day"
        data = simulate_data(args.customers, args.seed, day_grid=day_grid)
        small = data.head(args.pareto_customers)
        print(
            f"\n### {shape} data: {data.height:,} customers, load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        runs: list[Run] = []
        frames: dict[str, pl.DataFrame] = {}
        for model, frame in (
            ("BG/NBD", data),
            ("MBG/NBD", data),
            ("Gamma-Gamma", data),
            ("Pareto/NBD", small),
        ):
            frames[model] = frame
            runs += compare(model, frame, peers, args.repeat)
        scoring = compare_scoring(data, peers, args.repeat)
        frames[scoring[0].model] = data
        runs += scoring
        print(f"load average after: {os.getloadavg()[0]:.2f}\n")
        print("\n".join(table(runs, frames)))
        print()
        print("\n".join(goals([r for r in runs if not r.model.startswith("scoring")])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
