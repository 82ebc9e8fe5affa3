"""Latency summaries in milliseconds."""

from __future__ import annotations

import numpy as np


def summary(milliseconds: list[float]) -> dict[str, float]:
    """Count, mean and the percentiles the report shows; NaN when there is nothing to summarise."""
    if not milliseconds:
        return {"n": 0, "mean": float("nan"), "p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan")}
    values = np.asarray(milliseconds, dtype=float)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "n": len(values),
        "mean": float(values.mean()),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "max": float(values.max()),
    }
