"""Loaders for the CDNOW sample shipped in ``data/`` (see data/README.md for source and licence)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import polars as pl

DATA = Path(__file__).parent / "data"
CALIBRATION_END = dt.date(1997, 9, 30)  # 39 weeks from 1997-01-01
OBSERVATION_END = dt.date(1998, 6, 30)  # weeks 40-78 are the holdout


@cache
def transactions() -> pl.DataFrame:
    """CDNOW_sample.txt: master id, sample id (1..2357), YYYYMMDD, quantity, dollar value."""
    rows = [line.split() for line in (DATA / "CDNOW_sample.txt").read_text().splitlines() if line]
    return pl.DataFrame(
        {
            "customer": [int(r[1]) for r in rows],
            "date": [dt.datetime.strptime(r[2], "%Y%m%d").date() for r in rows],
            "amount": [float(r[4]) for r in rows],
        }
    )


@cache
def published_summary() -> pl.DataFrame:
    """lifetimes' cdnow_customers_summary.csv (ID, frequency, recency, T rounded to 2 decimals)."""
    return pl.read_csv(DATA / "cdnow_customers_summary.csv")


def write_csv(path: Path, *, bom: bool = True) -> Path:
    """The CDNOW transactions as a CSV with ISO dates (columns cust, order_date, value)."""
    tx = transactions()
    lines = ["cust,order_date,value"] + [
        f"{c},{d.isoformat()},{a:.2f}"
        for c, d, a in zip(tx["customer"], tx["date"], tx["amount"], strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig" if bom else "utf-8")
    return path
