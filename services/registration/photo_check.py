"""The automatic photo check: flags a 证件照 that a reviewer should look at, never refuses it by itself.

Rules (on the decoded image, grey levels 0–255):
- 背景: the border strips (left, right and top, 6% wide) must be light and plain: mean ≥ 170 and little
  spread, as for a white or light-blue ID-photo background;
- 曝光: the whole image must be neither too dark (mean < 60) nor overexposed (mean > 235, or over 60% of
  the pixels burnt out at 250+);
- 对比度: the spread of grey levels must not be tiny (standard deviation < 18: a flat, washed-out picture).
The first rule that fails gives the message; None means nothing was found.
"""
from __future__ import annotations

import io

from PIL import Image, ImageStat

BORDER = 0.06
LIGHT_BACKGROUND = 170
PLAIN_BACKGROUND = 40  # standard deviation of the border strips
TOO_DARK, TOO_BRIGHT, BURNT_SHARE = 60, 235, 0.6
LOW_CONTRAST = 18


def _strips(img: Image.Image) -> list[Image.Image]:
    w, h = img.size
    bw, bh = max(1, int(w * BORDER)), max(1, int(h * BORDER))
    return [img.crop((0, 0, bw, h)), img.crop((w - bw, 0, w, h)), img.crop((0, 0, w, bh))]


def check(jpeg_bytes: bytes) -> str | None:
    """What is wrong with the photo, in Chinese, or None."""
    try:
        with Image.open(io.BytesIO(jpeg_bytes)) as im:
            grey = im.convert("L")
    except Exception:
        return "照片无法识别"
    whole = ImageStat.Stat(grey)
    mean, spread = whole.mean[0], whole.stddev[0]
    if mean < TOO_DARK:
        return "照片过暗"
    hist = grey.histogram()
    if mean > TOO_BRIGHT or sum(hist[250:]) > BURNT_SHARE * sum(hist):
        return "照片曝光过度"
    if spread < LOW_CONTRAST:
        return "照片对比度过低"
    for strip in _strips(grey):
        s = ImageStat.Stat(strip)
        if s.mean[0] < LIGHT_BACKGROUND:
            return "照片背景颜色过深，应为白色或浅色背景"
        if s.stddev[0] > PLAIN_BACKGROUND:
            return "照片背景不是纯色"
    return None
