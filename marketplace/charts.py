"""Charts for admin pages as inline SVG, drawn on the server (no script, no CDN): a training run's loss curve,
and bars for the analytics page."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD = 560, 180, 36
BAR_GAP = 6
COLOUR = "#417690"  # admin's own blue


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
        'stroke="#999"/><polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
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
        colour=COLOUR,
        first=f"{steps[0]:g}",
        last=f"{steps[-1]:g}",
        high=f"{high:.3f}",
        low=f"{low:.3f}",
    )


def bars_svg(bars: list[tuple[str, float, str]], *, label: str, top: float | None = None) -> SafeString:
    """Vertical bars, one per (name under it, value, text over it), scaled to `top` (else the largest value)."""
    if not bars:
        return format_html("<p>{}</p>", "Nothing to chart yet.")
    highest = top or max(value for _, value, _ in bars) or 1.0
    slot = (WIDTH - 2 * PAD) / len(bars)
    width = max(4.0, slot - BAR_GAP)
    floor = HEIGHT - PAD

    def bar(position: int, name: str, value: float, caption: str) -> tuple:
        height = round(max(0.0, value) / highest * (HEIGHT - 2 * PAD), 1)
        left = round(PAD + position * slot + BAR_GAP / 2, 1)
        middle = round(left + width / 2, 1)
        return (left, round(floor - height, 1), round(width, 1), height, COLOUR, middle, round(floor - height - 4, 1),
                caption, middle, floor + 14, name)  # fmt: skip

    shapes = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>'
        '<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>',
        (bar(position, *entry) for position, entry in enumerate(bars)),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="{label}" style="background:#fff;border:1px solid #ddd"><title>{label}</title>'
        '<line x1="{p}" y1="{b}" x2="{r}" y2="{b}" stroke="#999"/>{shapes}</svg>',
        w=WIDTH,
        h=HEIGHT,
        p=PAD,
        b=floor,
        r=WIDTH - PAD,
        label=label,
        shapes=shapes,
    )
