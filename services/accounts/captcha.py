"""图形验证码: drawn with Pillow (in a thread), 4 characters, single use, valid for 3 minutes.

One live captcha per browser: drawing a new one replaces the old, and checking one deletes it, whether
the answer was right or wrong. CAPTCHA_FIXED (tests only; refused in production) fixes the answer.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import random
import secrets
from datetime import timedelta
from typing import Awaitable, Callable

import anyio.to_thread
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models.accounts import Captcha

TTL = timedelta(minutes=3)
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: people misread them
_FONT = ImageFont.load_default(size=30)


def _hash(secret: str, answer: str) -> str:
    return hmac.new(secret.encode(), f"captcha:{answer.upper()}".encode(), hashlib.sha256).hexdigest()


def draw(text: str) -> bytes:
    """The image of `text` (PNG, 120×44): each character rotated at random over random lines, with noise.
    About 1.4 ms of CPU, from 2.3 (three in every journey): bilinear rotation, the noise drawn in one call per
    shade, and the PNG's zlib at its fastest level (the image is 5 KB either way)."""
    rnd = random.Random(secrets.randbits(64))
    width, height = 120, 44
    img = Image.new("RGB", (width, height), (244, 247, 252))
    d = ImageDraw.Draw(img)
    for _ in range(6):
        d.line([(rnd.randint(0, width), rnd.randint(0, height)) for _ in range(2)],
               fill=(rnd.randint(120, 200), rnd.randint(120, 200), rnd.randint(120, 200)), width=1)
    for i, ch in enumerate(text):
        glyph = Image.new("RGBA", (34, 40), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((4, 2), ch, font=_FONT,
                                   fill=(rnd.randint(10, 90), rnd.randint(30, 100), rnd.randint(90, 160), 255))
        glyph = glyph.rotate(rnd.uniform(-25, 25), resample=Image.BILINEAR, expand=False)
        img.paste(glyph, (6 + i * 27, rnd.randint(-2, 4)), glyph)
    for _ in range(6):  # 60 dots in six shades
        d.point([(rnd.randint(0, width - 1), rnd.randint(0, height - 1)) for _ in range(10)],
                fill=(rnd.randint(0, 160),) * 3)
    img = img.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=1)
    return out.getvalue()


async def new_captcha(sid_hash: str, *, secret: str, fixed: str | None, now) -> bytes:
    text = fixed or "".join(secrets.choice(ALPHABET) for _ in range(4))
    expires = now + TTL
    values = {"answer_hash": _hash(secret, text), "expires_at": expires}
    # A browser's first captcha is an insert, a later one an update: a read (cheap) chooses, and a race between
    # two images drawn at once for one browser ends in an update either way (the later answer stands).
    updated = await Captcha.exists(sid=sid_hash) and await Captcha.filter(sid=sid_hash).update(**values)
    if not updated:
        try:
            await Captcha.create(sid=sid_hash, **values)
        except IntegrityError:
            await Captcha.filter(sid=sid_hash).update(**values)
    return await anyio.to_thread.run_sync(draw, text)


def purgeable(now) -> Q:
    """Captchas past their time (purged by services.accounts.housekeeping)."""
    return Q(expires_at__lte=now)


def checker(sid_hash: str, answer: str, *, secret: str, now) -> Callable[[], Awaitable[str | None]]:
    """This browser's captcha check, for the login flow to run (and use up) at its turn."""
    return lambda: check_captcha(sid_hash, answer, secret=secret, now=now)


async def check_captcha(sid_hash: str, answer: str, *, secret: str, now) -> str | None:
    """Consume this browser's captcha. Returns the error message, or None when the answer was right."""
    if not answer:
        return "请输入验证码"
    row = await Captcha.get_or_none(sid=sid_hash)
    if row is None:
        return "验证码已失效，请点击图片刷新"
    # Delete by the hash we read: of two concurrent checks only one deletes the row.
    deleted = await Captcha.filter(sid=sid_hash, answer_hash=row.answer_hash).delete()
    if not deleted:
        return "验证码已失效，请点击图片刷新"
    if row.expires_at <= now:
        return "验证码已过期，请点击图片刷新"
    if not hmac.compare_digest(row.answer_hash, _hash(secret, answer.strip())):
        return "验证码错误，请重新输入"
    return None
