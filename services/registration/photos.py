"""个人照片: the exam registration ID photo, checked and, where possible, fixed by the server.

The official platform refuses any photo that is not already right. Here a photo that is too large or a
little off in shape is cropped and scaled to the standard size instead, and the page shows the result
as a preview the candidate accepts before it is used (PhotoResult.adjusted). What cannot be fixed (too
small, not a JPEG, damaged, far from portrait) is refused with the rule that failed.

The standard size is min_width×min_height (295×413 nationally). That is the 1-inch photo, whose shape
is 5:7 (0.714), not 3:4 (0.75): so any shape between 3:4 and the standard size's own is accepted as it
is, and a photo that has to be cropped is cropped to the standard size's shape, so that scaling it to
the standard size never stretches the face and the result passes these same rules if uploaded again.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

from services.documents import uploads
from services.documents.uploads import UploadError

NOT_JPEG = "照片只支持JPG格式"
BAD_SHAPE = "照片比例与3:4相差过大，请上传竖版证件照"
_JPEG_MAGIC = b"\xff\xd8\xff"
_RATIO = 3 / 4
_TOLERANCE = 0.01  # how far (relative) a photo's width/height may be from the accepted shapes
_MAX_CROP = 0.35  # largest share of the area a crop may remove; beyond it the photo is not a portrait
_TOP_SHARE = 0.3  # share of a vertical crop taken from the top: heads are near the top of ID photos
# Tried in order until the file is above the minimum size: a plain, smooth photo can encode below 10 KB
# at 295×413, and the official platform would refuse it. A photo still too small at quality 100 (nearly
# flat colour, e.g. a blank or heavily blurred picture) is refused: padding the file would only defeat
# the rule, whose point is a real, detailed photo.
_ENCODINGS = ({"quality": 92}, {"quality": 95, "subsampling": 0}, {"quality": 100, "subsampling": 0})


def _size_text(kb: int) -> str:
    # Rounded down, like uploads.size_message, so a file of exactly the size shown is accepted.
    return f"{math.floor(kb / 1024 * 10) / 10:g}MB" if kb >= 1024 else f"{kb}KB"


@dataclass(frozen=True)
class PhotoRules:
    min_width: int = 295
    min_height: int = 413
    min_kb: int = 10
    max_kb: int = 2048

    def __post_init__(self):
        # Province settings are data someone typed: fail loudly at start-up, not on a candidate's upload.
        values = (self.min_width, self.min_height, self.min_kb, self.max_kb)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
            raise ValueError(f"photo rules must be positive integers: {self}")
        if self.min_kb >= self.max_kb or self.min_width > self.min_height:
            raise ValueError(f"inconsistent photo rules: {self}")

    @classmethod
    def from_province(cls, overrides: dict | None) -> "PhotoRules":
        """None/{} → the national rules. An unknown key raises TypeError (a typo must not pass silently)."""
        return cls(**(overrides or {}))


@dataclass(frozen=True)
class PhotoResult:
    data: bytes  # the JPEG to store
    width: int
    height: int
    adjusted: bool  # cropped and/or scaled by the server: show a preview to accept
    note: str  # Chinese, "" when unchanged


def prepare_photo(data: bytes, rules: PhotoRules) -> PhotoResult:
    """Sync/CPU-bound (callers use a thread). Raises uploads.UploadError with the rule that failed."""
    max_bytes, min_bytes = rules.max_kb * 1024, rules.min_kb * 1024
    if not data:
        raise UploadError(uploads.EMPTY)
    if len(data) > max_bytes:
        raise UploadError(f"照片不能超过{_size_text(rules.max_kb)}")
    if len(data) <= min_bytes:
        raise UploadError(f"照片应大于{_size_text(rules.min_kb)}")
    if not data.startswith(_JPEG_MAGIC):
        raise UploadError(NOT_JPEG)
    # uploads does the hostile-input work: bomb refusal from the header, EXIF orientation, metadata
    # stripped. Its minimum dimensions are switched off: the check below gives the photo's own message.
    image_rules = uploads.ImageRules(max_bytes=max_bytes, min_width=1, min_height=1, formats=("JPEG",))
    try:
        clean = uploads.clean_image(data, image_rules)
    except UploadError as e:
        if str(e) == uploads.format_message(("JPEG",)):  # JPEG magic bytes but not a JPEG inside
            raise UploadError(NOT_JPEG) from None
        raise

    w, h, sw, sh = clean.width, clean.height, rules.min_width, rules.min_height
    too_small = f"照片尺寸不能小于{sw}×{sh}像素"
    if w < sw or h < sh:
        raise UploadError(too_small)
    if w > h:
        raise UploadError(BAD_SHAPE)
    low, high = sorted((_RATIO, sw / sh))
    good_shape = low * (1 - _TOLERANCE) <= w / h <= high * (1 + _TOLERANCE)
    if good_shape and not (w > 2 * sw and h > 2 * sh):
        data = clean.data
        if not min_bytes < len(data) <= max_bytes:  # uploads re-encoded it at quality 90
            data = _encode(_decode(data), rules)
        return PhotoResult(data, w, h, False, "")

    # Crop to the standard size's shape (a sliver even for a good shape, so that nothing is stretched).
    if w / h > sw / sh:
        cw, ch = round(h * sw / sh), h
        box = ((w - cw) // 2, 0, (w - cw) // 2 + cw, h)
    else:
        cw, ch = w, round(w * sh / sw)
        top = round((h - ch) * _TOP_SHARE)
        box = (0, top, w, top + ch)
    if not good_shape and 1 - cw * ch / (w * h) > _MAX_CROP:
        raise UploadError(BAD_SHAPE)
    if cw < sw or ch < sh:  # cannot happen while the short side is kept whole; guards any change of rule
        raise UploadError(too_small)
    img = _decode(clean.data).resize((sw, sh), Image.Resampling.LANCZOS, box=box)
    cropped, scaled = (cw, ch) != (w, h), (cw, ch) != (sw, sh)  # at least one, or it was kept above
    done = "裁剪并缩放" if cropped and scaled else "裁剪" if cropped else "缩放"
    return PhotoResult(_encode(img, rules), sw, sh, True, f"已自动{done}为{sw}×{sh}像素")


def _decode(data: bytes) -> Image.Image:
    # Our own re-encoded JPEG from uploads.clean_image: already checked, RGB, upright, no metadata.
    img = Image.open(io.BytesIO(data), formats=["JPEG"])
    img.load()
    img.info = {}  # the JFIF header fields; the encoder then writes nothing but pixels
    return img


def _encode(img: Image.Image, rules: PhotoRules) -> bytes:
    for options in _ENCODINGS:
        out = io.BytesIO()
        img.save(out, "JPEG", **options)
        if out.tell() > rules.max_kb * 1024:  # only with a province maximum far below the national one
            raise UploadError(f"照片处理后超过{_size_text(rules.max_kb)}，请换一张照片")
        if out.tell() > rules.min_kb * 1024:
            return out.getvalue()
    raise UploadError(f"照片处理后不足{_size_text(rules.min_kb)}，请上传更清晰的照片")
