"""上传图片: checked on the server, re-encoded without metadata, stored under names the server chooses.

Files follow rows (`store_then`): a new file is written first, then the row that refers to it is changed,
and a file the change dropped is deleted only after that change has committed; a change that did not take
effect leaves the old files as they were and removes the new one.

The format is decided by the file's content (magic bytes, then Pillow restricted to that one format),
never by its name or the client's content type. Accepted images are decoded, turned upright (EXIF
orientation), converted to RGB and re-encoded, so nothing the client sent (EXIF, GPS, ICC profile,
text chunks, bytes after the end marker) reaches the disk.

Pixels are what an image costs, not bytes: a flat PNG of 40 megapixels fits in 130 KB and decodes to 120 MB.
Every image is decoded within a pixel budget (`ImageRules.max_pixels`, 13 MP unless a form sets less), checked
from the header before a single pixel is decoded. A baseline JPEG above it (a phone's 16 to 64 MP modes) is
decoded at 1/2, 1/4 or 1/8 of its size by libjpeg itself (`Image.draft`: the scaling happens in the inverse DCT,
so memory and time follow the decoded size) and stored at that size. A PNG or a progressive JPEG cannot be
decoded smaller (libjpeg keeps every coefficient of a progressive JPEG whatever the scale), so above the budget
it is refused with a message that says what to do. PNGs are re-encoded with zlib's RLE strategy: a noisy 4.5 MP
PNG took 6 s to re-encode at level 9 (optimize), 0.3 s with RLE, for a file up to 15% larger.
"""
from __future__ import annotations

import io
import math
import os
import pathlib
import re
import secrets
import tempfile
import zlib
from dataclasses import dataclass
from typing import Awaitable, Callable

import anyio.to_thread

from PIL import Image, ImageOps

EMPTY = "文件为空，请重新选择"
DAMAGED = "图片已损坏或不完整，请重新选择"
TOO_LARGE = "图片尺寸过大"
# A pixel budget per decoded image: 13 MP holds a phone camera's default picture at full size (12 to 13 MP:
# 4000×3000, 4032×3024, 4160×3120) and an A4 page scanned at 300 dpi (8.7 MP); a larger baseline JPEG is decoded
# smaller (see above). The worst image within it and 5 MB (a noisy PNG) takes about 1.5 s, a photo 0.2 s.
MAX_PIXELS = 13_000_000
_REDUCTIONS = (1, 2, 4, 8)  # the scales libjpeg can decode a JPEG at directly
BAD_NAME = "文件名无效"

# format -> (magic bytes, name shown to candidates, extension, media type)
_FORMATS = {
    "JPEG": (b"\xff\xd8\xff", "JPG", ".jpg", "image/jpeg"),
    "PNG": (b"\x89PNG\r\n\x1a\n", "PNG", ".png", "image/png"),
}
# Pillow reports a JPEG carrying multi-picture data (some phone cameras) as MPO; it is still a JPEG.
_PILLOW_NAMES = {"JPEG": {"JPEG", "MPO"}, "PNG": {"PNG"}}
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_STORED = re.compile(r"(?:[a-z][a-z0-9_]{0,31}/)?[0-9a-f]{32}\.(?:jpg|png|pdf)")  # .pdf: 证明材料
_CHUNK = 64 * 1024
TEMP_PREFIX = ".tmp-"  # a file being written by `store`; renamed to its stored name once complete


class UploadError(ValueError):
    """str(e) is the Chinese message shown next to the form field."""


@dataclass(frozen=True)
class ImageRules:
    max_bytes: int
    min_width: int
    min_height: int
    formats: tuple[str, ...] = ("JPEG", "PNG")
    max_pixels: int = MAX_PIXELS  # decoded pixels; see the module's docstring

    def __post_init__(self):
        if not self.formats or set(self.formats) - _FORMATS.keys():
            raise ValueError(f"formats must be a non-empty subset of {sorted(_FORMATS)}")


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    format: str  # "JPEG" or "PNG"
    width: int
    height: int

    @property
    def extension(self) -> str:
        return _FORMATS[self.format][2]

    @property
    def media_type(self) -> str:
        return _FORMATS[self.format][3]


def size_message(max_bytes: int) -> str:
    # Rounded down, so a file of exactly the size shown is always accepted.
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if max_bytes >= scale:
            return f"文件大小不能超过{math.floor(max_bytes / scale * 10) / 10:g}{unit}"
    return f"文件大小不能超过{max_bytes}字节"


def pixels_message(max_pixels: int) -> str:
    return f"{TOO_LARGE}：不能超过{max_pixels // 10_000}万像素，请重新拍摄或换一张较小的图片"


def format_message(formats: tuple[str, ...]) -> str:
    return f"只支持{'、'.join(_FORMATS[f][1] for f in formats)}格式的图片"


def clean_image(data: bytes, rules: ImageRules) -> CleanImage:
    """Sync and CPU-bound: the caller runs it in a thread (anyio.to_thread.run_sync). Raises UploadError."""
    # Cheap checks first: nothing is parsed before the size is known to be acceptable.
    if not data:
        raise UploadError(EMPTY)
    if len(data) > rules.max_bytes:
        raise UploadError(size_message(rules.max_bytes))
    fmt = next((f for f in rules.formats if data.startswith(_FORMATS[f][0])), None)
    if fmt is None:
        raise UploadError(format_message(rules.formats))

    # Pillow's own bomb threshold is a hard limit on the header, whatever the budget: anything Pillow would
    # merely warn about is refused too (without touching the process-global, thread-unsafe warnings filters
    # from a worker thread).
    too_large = pixels_message(min(rules.max_pixels, Image.MAX_IMAGE_PIXELS or rules.max_pixels))
    try:
        # Only the header is read here; restricting Pillow to the sniffed format means no other
        # decoder ever sees the bytes.
        img = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The Warning is only raised (rather than printed) when warnings are configured as errors.
        raise UploadError(too_large) from None
    except Exception:  # Pillow's parsers raise many exception types on hostile input
        raise UploadError(DAMAGED) from None
    if img.format not in _PILLOW_NAMES[fmt]:
        raise UploadError(format_message(rules.formats))
    # Refuse, or choose the scale to decode at, before decoding a single pixel.
    reduction = _reduction(img, rules.max_pixels, data)
    if reduction is None or img.width * img.height > (Image.MAX_IMAGE_PIXELS or math.inf):
        raise UploadError(too_large)
    if reduction > 1:
        img.draft(None, (max(1, img.width // reduction), max(1, img.height // reduction)))
        if img.width * img.height > rules.max_pixels:  # draft could not scale it (e.g. an unusual tile layout)
            raise UploadError(too_large)

    try:
        img.load()
        ImageOps.exif_transpose(img, in_place=True)  # in place: no second copy of a big image
    except Exception:  # truncated data, broken chunks, malformed EXIF...
        raise UploadError(DAMAGED) from None
    if img.width < rules.min_width or img.height < rules.min_height:
        raise UploadError(f"图片尺寸不能小于{rules.min_width}×{rules.min_height}像素")

    if img.mode == "I;16" and "transparency" not in img.info:
        # 16-bit greyscale PNG: Pillow's conversion to RGB clips at 255 instead of scaling.
        img = img.point(lambda v: v / 257)
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, "white")
        img.paste(rgba, mask=rgba.getchannel("A"))
    elif img.mode != "RGB":  # an RGB image is encoded as decoded (a copy of 1600×1200 costs 6 ms)
        img = img.convert("RGB")
    # The encoders fall back to im.info for the ICC profile, transparency and JPEG comment.
    img.info = {}
    out = io.BytesIO()
    if fmt == "JPEG":
        # Without optimize (a second pass for the Huffman tables): 8 → 5 ms for 1600×1200, files ~5% larger.
        img.save(out, "JPEG", quality=90)
    else:
        img.save(out, "PNG", compress_type=zlib.Z_RLE)  # see the module docstring
    return CleanImage(out.getvalue(), fmt, img.width, img.height)


def _reduction(img: Image.Image, max_pixels: int, data: bytes) -> int | None:
    """The smallest scale divisor that brings the decoded image within `max_pixels`: 1 when it fits, 2/4/8 for a
    baseline JPEG of one scan decoded smaller by libjpeg, None when it cannot be decoded within the budget."""
    progressive = "progressive" in img.info or "progression" in img.info
    scalable = img.format in _PILLOW_NAMES["JPEG"] and not progressive and _one_scan(data)
    steps = _REDUCTIONS if scalable else (1,)
    w, h = img.size
    return next((k for k in steps if math.ceil(w / k) * math.ceil(h / k) <= max_pixels), None)


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _one_scan(data: bytes) -> bool:
    """Whether a JPEG's first scan holds every component of its frame (one interleaved scan). A sequential JPEG may
    also carry its components in scans of their own: libjpeg then keeps every coefficient of the full image,
    whatever scale it is asked to decode at, as for a progressive one (a 9000×9000 file of 2.8 MB took 506 MB)."""
    i, components = 2, None
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in _SOF and i + 9 < len(data):
            components = data[i + 9]
        elif marker == 0xDA:  # start of scan: its component count
            return components is not None and i + 4 < len(data) and data[i + 4] == components
        i += 2 + length
    return False


def store(upload_dir: pathlib.Path, kind: str, data: bytes, extension: str) -> str:
    """Write atomically under a server-chosen name; returns the stored name, e.g. 'realname/3f2a...9c.jpg'."""
    if kind and not _KIND.fullmatch(kind):
        raise ValueError(f"bad upload kind: {kind!r}")
    if extension not in (".jpg", ".png", ".pdf"):
        raise ValueError(f"bad extension: {extension!r}")
    name = f"{kind}/{secrets.token_hex(16)}{extension}" if kind else f"{secrets.token_hex(16)}{extension}"
    final = pathlib.Path(upload_dir) / name
    final.parent.mkdir(parents=True, exist_ok=True)
    # Temp file in the same directory, so os.replace is a rename on one filesystem: readers see either
    # no file or the whole file. mkstemp creates it 0600, fine for ID-card photos.
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=TEMP_PREFIX, suffix=extension)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    # Persist the rename itself (the directory entry) across a crash.
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return name


def is_stored_name(name: str) -> bool:
    """Whether `name` (relative to the upload folder, "kind/hex.ext") is one `store` could have chosen."""
    return isinstance(name, str) and bool(_STORED.fullmatch(name))


def path_of(upload_dir: pathlib.Path, stored_name: str) -> pathlib.Path:
    """The file's path; raises UploadError for a name the server could not have chosen.

    Existence is not checked: opening a missing file raises FileNotFoundError.
    """
    # fullmatch against the server's own pattern: no '..', no absolute paths, no other folders.
    if not is_stored_name(stored_name):
        raise UploadError(BAD_NAME)
    return pathlib.Path(upload_dir) / stored_name


def delete(upload_dir: pathlib.Path, stored_name: str) -> None:
    """Remove a stored file; no error if it is already gone."""
    path_of(upload_dir, stored_name).unlink(missing_ok=True)


async def read_upload(upload_file, max_bytes: int) -> bytes:
    """Read a Starlette UploadFile in chunks, refusing (UploadError with the size message) as soon as it
    exceeds max_bytes, so a huge upload is never held whole in memory. Empty → UploadError."""
    chunks, total = [], 0
    while chunk := await upload_file.read(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise UploadError(size_message(max_bytes))
        chunks.append(chunk)
    if not total:
        raise UploadError(EMPTY)
    return b"".join(chunks)


@dataclass(frozen=True)
class Change:
    """What a row change did: whether it took effect, and the stored files it no longer refers to."""

    applied: bool
    dropped: tuple[str | None, ...] = ()


async def store_then(upload_dir: pathlib.Path, new: list[tuple[str, bytes, str]],
                     change: Callable[[list[str]], Awaitable[Change]]) -> Change:
    """Store the new files (kind, data, extension), then run `change(names)`, which changes and commits the
    row(s) referring to them (a conditional update whose row count it checks). If the change did not take
    effect, or failed, the new files are removed and nothing else is touched; once it has committed, the files
    it dropped are deleted. The one way an upload replaces another."""
    names: list[str] = []
    try:
        for kind, data, extension in new:
            names.append(await anyio.to_thread.run_sync(store, upload_dir, kind, data, extension))
        result = await change(names)
    except BaseException:
        for name in names:
            delete(upload_dir, name)
        raise
    if not result.applied:
        for name in names:
            delete(upload_dir, name)
        return result
    return drop_after(upload_dir, Change(True, tuple(n for n in result.dropped if n not in names)))


def drop_after(upload_dir: pathlib.Path, result: Change) -> Change:
    """After a committed change that took effect: delete the files it dropped (a change that removed
    references without adding files calls this directly)."""
    if result.applied:
        for name in result.dropped:
            if name:
                delete(upload_dir, name)
    return result
