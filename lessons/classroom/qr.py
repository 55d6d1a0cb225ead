"""The join link as a QR code picture to project (segno, pure Python)."""

from __future__ import annotations

import io

import segno


def qr_png(text: str, scale: int = 8) -> bytes:
    """A PNG of ``text`` as a QR code: black on white with a quiet zone, readable from a projector."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
