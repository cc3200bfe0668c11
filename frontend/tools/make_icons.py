"""Write the PWA icons (frontend/icons/*.png) with the standard library only.

The mark is neutral on purpose (discretion): two overlapping rings on a plain field, no text.
Run ``python3 frontend/tools/make_icons.py`` after changing it; the PNGs are committed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "icons"
FIELD = (0x2B, 0x3A, 0x55)  # the theme colour
MARK = (0xF2, 0xEE, 0xE6)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(size: int, pixel: object) -> bytes:
    """An 8-bit RGB PNG; ``pixel(x, y)`` gives each pixel's colour."""
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            rows.extend(pixel(x, y))  # type: ignore[operator]
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def rings(size: int, scale: float) -> object:
    """Two interlocking rings, centred; ``scale`` shrinks the mark into a maskable safe zone."""
    c = size / 2
    r = size * 0.2 * scale
    width = size * 0.045 * scale
    offset = size * 0.11 * scale
    centres = ((c - offset, c), (c + offset, c))

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        px, py = x + 0.5, y + 0.5
        for cx, cy in centres:
            d = ((px - cx) ** 2 + (py - cy) ** 2) ** 0.5
            if abs(d - r) <= width:
                return MARK
        return FIELD

    return pixel


def main() -> None:
    ICONS.mkdir(exist_ok=True)
    (ICONS / "icon-192.png").write_bytes(png(192, rings(192, 1.0)))
    (ICONS / "icon-512.png").write_bytes(png(512, rings(512, 1.0)))
    # Maskable: the platform crops to a circle or squircle; keep the mark in the inner 80 %.
    (ICONS / "icon-maskable-512.png").write_bytes(png(512, rings(512, 0.75)))


if __name__ == "__main__":
    main()
