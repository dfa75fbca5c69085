"""QR codes (the WeChat and Alipay scan codes, the 报名表's verification code), drawn by segno.

segno chooses the best of the eight masks by scoring each one, which is most of its time: 6-7 ms of CPU for a
scan URL here, against 2 ms with the mask given. Every mask gives a valid code that any reader decodes (the
score only avoids patterns that could look like finder marks to a weak reader), and error correction stays at
least "M" (15%, raised where the size leaves room, as before); mask 2 is the one segno chose most often for our
URLs.
"""
from __future__ import annotations

import segno

MASK = 2


def code(content: str) -> segno.QRCode:
    return segno.make_qr(content, error="m", mask=MASK)


def svg_data_uri(content: str) -> str:
    """The code as an SVG data URI, for an <img> (4 pixels a module, a quiet zone of 2)."""
    return code(content).svg_data_uri(scale=4, border=2)


def matrix(content: str) -> tuple:
    """The code's modules, rows of 0/1 (for drawing into a PDF)."""
    return code(content).matrix
