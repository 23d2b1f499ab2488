"""Charts for audit reports, as plain SVG text: no plotting library, no script, no external font.

Every number is printed with a fixed format so the same data gives byte-identical SVG, and every
chart carries a <title> and <desc> (read by screen readers through ``aria-labelledby``).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 48, 64
BAR_COLOURS = ("#2f5d8a", "#c0392b", "#8e6c1f")


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros: ``12.50`` -> ``12.5``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _count(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def axis_scale(value: float) -> tuple[float, int]:
    """A y-axis top and a tick count (at most five) in round steps of 1, 2 or 5 times a power of
    ten: ``axis_scale(830)`` is ``(1000, 5)``, ``axis_scale(240)`` is ``(250, 5)``."""
    if value <= 0:
        return 1.0, 1
    raw = value / 5
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(float(m * power) for m in (1, 2, 5, 10) if m * power >= raw)
    ticks = max(1, math.ceil(value / step))
    return step * ticks, ticks


def _frame(chart_id: str, title: str, description: str, y_label: str, x_label: str,
           y_max: float, ticks: int) -> list[str]:
    plot_height = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="sans-serif" font-size="12">',
        f'<title id="{chart_id}-title">{_e(title)}</title>',
        f'<desc id="{chart_id}-desc">{_e(description)}</desc>',
        f'<text x="{_n(WIDTH / 2)}" y="20" text-anchor="middle" font-size="14" '
        f'font-weight="bold">{_e(title)}</text>',
    ]
    for tick in range(ticks + 1):
        value = y_max * tick / ticks
        y = TOP + plot_height - plot_height * tick / ticks
        parts.append(f'<line x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" y2="{_n(y)}" '
                     f'stroke="#d0d0d0" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{_n(y + 4)}" text-anchor="end">{_n(value)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_height}" '
                 f'stroke="#333" stroke-width="1"/>')
    parts.append(f'<text x="16" y="{_n(TOP + plot_height / 2)}" text-anchor="middle" '
                 f'transform="rotate(-90 16 {_n(TOP + plot_height / 2)})">{_e(y_label)}</text>')
    parts.append(f'<text x="{_n(LEFT + (WIDTH - LEFT - RIGHT) / 2)}" y="{HEIGHT - 12}" '
                 f'text-anchor="middle">{_e(x_label)}</text>')
    return parts


def bar_chart_svg(chart_id: str, title: str, categories: Sequence[str],
                  series: Sequence[tuple[str, Sequence[float]]], *, x_label: str,
                  y_label: str) -> str:
    """Vertical bars, one group per category and one bar per series; a legend when several."""
    values = [_count(v) for _, data in series for v in data]
    y_max, ticks = axis_scale(max(values, default=0.0))
    summary = "; ".join(
        f"{category}: " + ", ".join(f"{name} {_n(_count(data[i]))}" for name, data in series)
        for i, category in enumerate(categories))
    parts = _frame(chart_id, title, f"{y_label} by {x_label}. {summary}.", y_label, x_label, y_max, ticks)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    group = plot_width / max(len(categories), 1)
    bar = group * 0.8 / max(len(series), 1)
    for i, category in enumerate(categories):
        x0 = LEFT + group * i + group * 0.1
        for s, (name, data) in enumerate(series):
            value = _count(data[i]) if i < len(data) else 0.0
            height = plot_height * value / y_max
            parts.append(
                f'<rect x="{_n(x0 + bar * s)}" y="{_n(TOP + plot_height - height)}" '
                f'width="{_n(bar)}" height="{_n(height)}" fill="{BAR_COLOURS[s % len(BAR_COLOURS)]}">'
                f'<title>{_e(category)}: {_e(name)} {_n(value)}</title></rect>')
        parts.append(f'<text x="{_n(LEFT + group * (i + 0.5))}" y="{TOP + plot_height + 16}" '
                     f'text-anchor="middle">{_e(category)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_height}" x2="{WIDTH - RIGHT}" '
                 f'y2="{TOP + plot_height}" stroke="#333" stroke-width="1"/>')
    if len(series) > 1:
        # One row between the title and the plot, right-aligned, so no bar can hide it.
        x = WIDTH - RIGHT - 140 * len(series)
        for s, (name, _) in enumerate(series):
            left = x + 140 * s
            parts.append(f'<rect x="{left}" y="{TOP - 14}" width="10" height="10" '
                         f'fill="{BAR_COLOURS[s % len(BAR_COLOURS)]}"/>')
            parts.append(f'<text x="{left + 16}" y="{TOP - 5}">{_e(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def histogram_svg(chart_id: str, title: str, histogram: Sequence[Mapping[str, Any]], *,
                  x_label: str, y_label: str = "accounts") -> str:
    buckets = [str(entry.get("bucket", "")) for entry in histogram]
    counts = [_count(entry.get("count", 0)) for entry in histogram]
    return bar_chart_svg(chart_id, title, buckets, [(y_label, counts)], x_label=x_label,
                         y_label=y_label)


def leverage_histogram(metrics: Mapping[str, Any]) -> str | None:
    histogram = metrics.get("leverage", {}).get("histogram")
    if not histogram:
        return None
    return histogram_svg("chart-leverage", "Effective leverage of accounts", histogram,
                         x_label="leverage (exposure / equity)")


def margin_level_histogram(metrics: Mapping[str, Any]) -> str | None:
    histogram = metrics.get("margin_level", {}).get("histogram")
    if not histogram:
        return None
    return histogram_svg("chart-margin-level", "Margin level of accounts", histogram,
                         x_label="margin level (equity / margin used)")


def stress_chart(stress: Sequence[Mapping[str, Any]]) -> str | None:
    if not stress:
        return None
    shocks = [str(entry.get("shock", "")) for entry in stress]
    return bar_chart_svg(
        "chart-stress", "Stress outcomes by price shock", shocks,
        [("close-outs", [_count(e.get("close_outs")) for e in stress]),
         ("negative equity", [_count(e.get("negative_equity")) for e in stress])],
        x_label="price shock applied to all positions", y_label="accounts")


def audit_charts(extra: Mapping[str, Any]) -> dict[str, str]:
    """The audit's charts by name, leaving out those whose data is absent."""
    metrics = extra.get("metrics") or {}
    charts = {"leverage": leverage_histogram(metrics),
              "margin_level": margin_level_histogram(metrics),
              "stress": stress_chart(extra.get("stress") or [])}
    return {name: svg for name, svg in charts.items() if svg is not None}
