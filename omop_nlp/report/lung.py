"""The lung diagram: five lobes and the lingula, shaded by how often each carries a lesion.

Drawn as the radiologist sees a frontal image (the patient's right lung on the viewer's left).
"""

from __future__ import annotations

from collections import Counter
from html import escape

from omop_nlp.report.summary import LUNG_LOBES

# Each lobe as an SVG path in a 320 x 300 box; fissures are the shared edges.
_LOBE_PATHS = {
    "rul": "M150,30 C110,20 70,60 55,120 L150,105 Z",
    "rml": "M55,120 L150,105 L150,170 L45,185 C46,160 49,140 55,120 Z",
    "rll": "M45,185 L150,170 L150,270 C120,285 60,285 35,265 C33,235 38,205 45,185 Z",
    "lul": "M170,30 C210,20 250,60 262,125 L170,140 Z",
    "lingula": "M262,125 L170,140 L170,185 L272,190 C270,165 267,145 262,125 Z",
    "lll": "M272,190 L170,185 L170,270 C200,285 260,285 285,265 C287,235 280,210 272,190 Z",
}
_LABEL_AT = {"rul": (105, 85), "rml": (100, 150), "rll": (95, 230), "lul": (215, 90), "lingula": (220, 165),
             "lll": (225, 235)}  # fmt: skip
_OTHER = ("right_lung", "left_lung", "pleura")


def lung_svg(counts: Counter[str]) -> str:
    """SVG with one ``path.lobe`` per lobe, carrying ``data-key`` and ``data-count``."""
    top = max([counts[k] for k in LUNG_LOBES] + [1])
    parts = ['<svg class="lung" viewBox="0 0 320 340" width="320" height="340" role="img" '
             'aria-label="lesion locations">']  # fmt: skip
    for key in LUNG_LOBES:
        n = counts[key]
        shade = 0.08 + 0.85 * n / top
        x, y = _LABEL_AT[key]
        parts.append(f'<path class="lobe" data-key="{key}" data-count="{n}" d="{_LOBE_PATHS[key]}" '
                     f'fill="rgba(200,40,40,{shade:.2f})" stroke="#444" stroke-width="1.5">'
                     f"<title>{key}: {n} lesion mention(s)</title></path>")  # fmt: skip
        parts.append(f'<text x="{x}" y="{y}" text-anchor="middle" font-size="12">{key.upper()}</text>')
        parts.append(f'<text class="lobe-count" x="{x}" y="{y + 15}" text-anchor="middle" font-size="12">{n}</text>')
    parts.append('<text x="160" y="300" text-anchor="middle" font-size="11">patient right | patient left</text>')
    other = ", ".join(f"{escape(k)} {counts[k]}" for k in _OTHER)
    parts.append(f'<text x="160" y="322" text-anchor="middle" font-size="11">no lobe: {other}</text>')
    parts.append("</svg>")
    return "".join(parts)
