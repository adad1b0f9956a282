"""Placeholder product images drawn as SVG, so the shop looks finished with no network and no files."""
from __future__ import annotations

from markupsafe import escape

#: Drawn in white on the tile (a 400 x 400 box); a darker shade is for details.
SHADE = 'stroke="#000" stroke-opacity="0.15"'

#: A simple glyph per category.
GLYPHS = {
    "food": (
        '<path d="M150 120h100l20 40v130a20 20 0 0 1-20 20H150a20 20 0 0 1-20-20V160z"/>'
        '<rect x="150" y="100" width="100" height="24" rx="6"/>'
    ),
    "shoes": (
        '<path d="M90 250c0-40 10-80 30-100l60 20c20 30 50 40 100 45 40 5 50 20 50 35v20H90z"/>'
        '<rect x="90" y="270" width="240" height="16" rx="8"/>'
    ),
    "shoe-care": (
        '<rect x="160" y="150" width="80" height="150" rx="18"/><rect x="180" y="110" width="40" height="44" rx="8"/>'
        '<rect x="220" y="118" width="40" height="12" rx="6"/>'
    ),
    "camera": (
        '<rect x="100" y="150" width="200" height="130" rx="20"/><rect x="140" y="128" width="60" height="30" rx="8"/>'
        '<circle cx="200" cy="215" r="44" fill-opacity="0.55"/><circle cx="200" cy="215" r="26"/>'
    ),
    "computers": '<rect x="120" y="130" width="160" height="110" rx="10"/><path d="M95 255h210l-15 25H110z"/>',
    "skincare": (
        '<rect x="165" y="170" width="70" height="130" rx="16"/><rect x="180" y="130" width="40" height="44" rx="6"/>'
        '<circle cx="200" cy="118" r="16"/>'
    ),
    "accessories": (
        '<path d="M130 170h140l15 130H115z"/>'
        '<path d="M165 175v-25a35 35 0 0 1 70 0v25" fill="none" stroke="#fff" stroke-width="12"/>'
    ),
}

#: Products whose picture differs from their category's.
PRODUCT_GLYPHS = {
    "brush": (
        '<rect x="120" y="175" width="160" height="46" rx="23"/><path d="M135 225h130v50H135z" fill-opacity="0.65"/>'
        f'<path d="M150 225v50M170 225v50M190 225v50M210 225v50M230 225v50M250 225v50" {SHADE} stroke-width="4"/>'
    ),
    "cleaner": (
        '<rect x="150" y="165" width="100" height="135" rx="40"/><rect x="180" y="130" width="40" height="40" rx="8"/>'
        '<circle cx="265" cy="140" r="14" fill-opacity="0.6"/><circle cx="290" cy="112" r="9" fill-opacity="0.5"/>'
    ),
    "lens": (
        '<circle cx="200" cy="200" r="88"/><circle cx="200" cy="200" r="62" fill="#000" fill-opacity="0.16"/>'
        '<circle cx="200" cy="200" r="36" fill-opacity="0.7"/>'
    ),
    "tripod": (
        '<rect x="160" y="110" width="80" height="40" rx="10"/><rect x="190" y="150" width="20" height="40"/>'
        '<path d="M200 190 130 310M200 190v120M200 190l70 120" fill="none" stroke="#fff" stroke-width="14"'
        ' stroke-linecap="round"/>'
    ),
    "sdcard": (
        '<path d="M150 110h80l40 40v150a12 12 0 0 1-12 12H150a12 12 0 0 1-12-12V122a12 12 0 0 1 12-12z"/>'
        f'<path d="M160 125v30M180 125v30M200 125v30M220 125v30" {SHADE} stroke-width="9"/>'
    ),
    "mouse": f'<rect x="150" y="120" width="100" height="170" rx="50"/><path d="M200 125v55" {SHADE} stroke-width="6"/>',
    "keyboard": (
        '<rect x="90" y="150" width="220" height="110" rx="14"/>'
        f'<path d="M112 180h176M112 205h176M112 230h176" {SHADE} stroke-width="14" stroke-dasharray="16 6"/>'
    ),
    "toner": '<rect x="160" y="150" width="80" height="150" rx="12"/><rect x="172" y="115" width="56" height="40" rx="10"/>',
    "socks": '<path d="M170 110h60v120l40 40a30 30 0 0 1-42 42l-62-62a40 40 0 0 1 4-14z"/>',
    "cap": (
        '<path d="M120 240a80 80 0 0 1 160 0z"/><path d="M200 240h110a10 10 0 0 1 0 20H200z"/>'
        '<circle cx="200" cy="158" r="8"/>'
    ),
    "scarf": '<path d="M120 150c40-30 120-30 160 0v40c-40-30-120-30-160 0z"/><path d="M230 170h40v140h-40z"/>',
}

FONT = "-apple-system, 'Segoe UI', 'Helvetica Neue', Arial, sans-serif"


def product_svg(product_id: str, label: str, category: str, colour: str) -> str:
    """A square tile in ``colour`` with the product's (or its category's) glyph and ``label`` under it."""
    glyph = PRODUCT_GLYPHS.get(product_id) or GLYPHS.get(category, '<circle cx="200" cy="200" r="70"/>')
    label = escape(label)
    return f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400" role="img"
 aria-label="{label}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="{colour}" stop-opacity="0.78"/><stop offset="1" stop-color="{colour}"/></linearGradient>
<linearGradient id="s" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-opacity="0"/><stop offset="1" stop-opacity="0.22"/>
</linearGradient></defs>
<rect width="400" height="400" fill="url(#g)"/><rect y="280" width="400" height="120" fill="url(#s)"/>
<circle cx="330" cy="70" r="120" fill="#fff" fill-opacity="0.08"/>
<circle cx="60" cy="360" r="90" fill="#fff" fill-opacity="0.06"/>
<g fill="#fff" fill-opacity="0.92" transform="translate(0 -20)">{glyph}</g>
<text x="200" y="352" text-anchor="middle" fill="#fff" font-family="{FONT}" font-size="24" font-weight="600"
 letter-spacing="0.5">{label}</text>
</svg>"""
