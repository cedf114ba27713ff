"""Point symbols by category group (``data/codelists/groups.csv``: colour and symbol): a small
inline SVG shape per group, so groups differ by shape as well as by colour (readable in grey
print and for colour-blind readers; the colours are Okabe–Ito).

The same two channels as every project (`layers.style`): status by opacity and dash (proposed
dashed and lighter, cancelled grey dotted), precision by fill (exact filled, approximate
*hollow* -- white centre). Every value put in the SVG is a validated ``#rrggbb`` colour or a
number from this module, so the markup needs no escaping; it reaches the browser as JSON data.
"""

from __future__ import annotations

from layers.style import CANCELLED_COLOR, HEX, STAGE_OPACITY

SIZE = 22
#: shapes in a 20 x 20 box (SVG elements without presentation attributes)
SHAPES = {
    "circle": '<circle cx="10" cy="10" r="7.5"/>',
    "square": '<rect x="3" y="3" width="14" height="14"/>',
    "diamond": '<polygon points="10,1.5 18.5,10 10,18.5 1.5,10"/>',
    "triangle": '<polygon points="10,2 18.5,17.5 1.5,17.5"/>',
    "cross": '<polygon points="7,2 13,2 13,7 18,7 18,13 13,13 13,18 7,18 7,13 2,13 2,7 7,7"/>',
    "drop": '<path d="M10 1.5 C10 1.5 3.5 9 3.5 12.5 A6.5 6.5 0 0 0 16.5 12.5 '
            'C16.5 9 10 1.5 10 1.5 Z"/>',
    "bolt": '<polygon points="12,1 3,11.5 9,11.5 7.5,19 17,8 11,8"/>',
    "leaf": '<path d="M3 17 C3 8 8 3 17 3 C17 12 12 17 3 17 Z"/>',
}
FALLBACK_SHAPE = "circle"


def symbol_svg(color: str, symbol: str, stage: str = "done", dash: str = "",
               approximate: bool = False, size: int = SIZE) -> str:
    """The SVG markup of a point symbol: group `color` and `symbol`, status `stage`/`dash`,
    hollow (white fill) when `approximate`."""
    color = color if HEX.match(str(color)) else "#566573"
    stroke = CANCELLED_COLOR if stage == "cancelled" else color
    opacity = STAGE_OPACITY.get(stage, 0.6)
    fill, fill_opacity = ("#ffffff", 0.95) if approximate else (stroke, max(opacity, 0.55))
    dash_attr = ""
    if dash:
        dash_attr = ' stroke-dasharray="1.5 2"' if stage == "cancelled" else \
            ' stroke-dasharray="3 2"'
    width = 2.6 if approximate else 1.6
    edge = stroke if approximate else "#ffffff"
    shape = SHAPES.get(symbol, SHAPES[FALLBACK_SHAPE])
    inner = ""
    if approximate:  # a small centre dot in the group colour: still reads as its group
        inner = f'<circle cx="10" cy="10.5" r="2" fill="{stroke}" stroke="none"/>'
    return (f'<svg width="{size}" height="{size}" '
            f'viewBox="-1 -1 22 22"><g fill="{fill}" fill-opacity="{fill_opacity}" '
            f'stroke="{edge}" stroke-opacity="{max(opacity, 0.5) if approximate else 1}" '
            f'stroke-width="{width}" stroke-linejoin="round"{dash_attr}>{shape}</g>'
            f'{inner}</svg>')
