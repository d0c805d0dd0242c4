"""Small inline SVG charts (no script, no network): timings of a run as strips of dots with median and p95."""

from __future__ import annotations

from .safe import text

LABELS = {"chat.stream.ttft_s": "time to first chunk", "chat.stream.gap_s": "gap between chunks"}


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def timing_strips(metrics: dict[str, list[float]]) -> str:
    """One row per metric: every value as a dot on a shared seconds axis, the median and p95 marked."""
    rows = [(name, sorted(v)) for name, v in sorted(metrics.items()) if v]
    if not rows:
        return "<p class=muted>No timings were measured in this run (no stream was read).</p>"
    top = max(values[-1] for _, values in rows) or 1.0
    width, left, row_h = 640, 150, 34
    height = row_h * len(rows) + 26
    scale = (width - left - 20) / top
    parts = [f'<svg class=chart viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="timings of the run in seconds" xmlns="http://www.w3.org/2000/svg">']
    for row, (name, values) in enumerate(rows):
        y = 14 + row * row_h
        median, p95 = values[len(values) // 2], values[min(len(values) - 1, int(len(values) * 0.95))]
        label = LABELS.get(name, name)
        parts.append(f'<text x="0" y="{y + 4}" class=lbl>{text(label)}</text>')
        parts.append(f'<text x="0" y="{y + 17}" class=sub>n={len(values)}, median {_seconds(median)}</text>')
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y}" y2="{y}" class=axis />')
        for value in values:
            parts.append(f'<circle cx="{left + value * scale:.1f}" cy="{y}" r="3.5" class=dot>'
                         f'<title>{_seconds(value)}</title></circle>')
        for mark, value, css in (("median", median, "med"), ("p95", p95, "p95")):
            x = left + value * scale
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 9}" y2="{y + 9}" class={css}>'
                         f'<title>{mark} {_seconds(value)}</title></line>')
    axis_y = height - 6
    for i in range(5):
        value = top * i / 4
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(f'<text x="{left + value * scale:.1f}" y="{axis_y}" class=tick text-anchor="{anchor}">'
                     f'{_seconds(value)}</text>')
    parts.append("</svg>")
    parts.append("<p class=muted>Each dot is one measurement; black mark: median, red mark: 95th percentile.</p>")
    return "".join(parts)
