"""The loss curve of a training run as inline SVG, drawn on the server (no script, no CDN)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD = 560, 180, 36


def loss_curve_svg(history: list[list[float]]) -> SafeString:
    """A polyline of [step, loss] points with the step and loss ranges on the axes."""
    if len(history) < 2:
        return format_html("<p>{}</p>", "The curve appears after the second step.")
    steps = [float(step) for step, _ in history]
    losses = [float(loss) for _, loss in history]
    low, high = min(losses), max(losses)
    span_x, span_y = (steps[-1] - steps[0]) or 1.0, (high - low) or 1.0

    def x(step: float) -> float:
        return round(PAD + (step - steps[0]) / span_x * (WIDTH - 2 * PAD), 1)

    def y(loss: float) -> float:
        return round(HEIGHT - PAD + (low - loss) / span_y * (HEIGHT - 2 * PAD), 1)

    points = format_html_join(" ", "{},{}", ((x(step), y(loss)) for step, loss in zip(steps, losses, strict=True)))
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="Training loss by step" style="background:#fff;border:1px solid #ddd">'
        '<line x1="{p}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/><line x1="{p}" y1="{p}" x2="{p}" y2="{b}" '
        'stroke="#999"/><polyline fill="none" stroke="#417690" stroke-width="2" points="{points}"/>'
        '<text x="{p}" y="{below}" font-size="11">step {first}</text>'
        '<text x="{r}" y="{below}" font-size="11" text-anchor="end">step {last}</text>'
        '<text x="4" y="{top}" font-size="11">{high}</text><text x="4" y="{b}" font-size="11">{low}</text>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        p=PAD,
        b=HEIGHT - PAD,
        r=WIDTH - PAD,
        below=HEIGHT - PAD + 16,
        top=PAD + 4,
        points=points,
        first=f"{steps[0]:g}",
        last=f"{steps[-1]:g}",
        high=f"{high:.3f}",
        low=f"{low:.3f}",
    )
