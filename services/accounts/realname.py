"""实名认证: by Alipay (the provider confirms) or online (three ID images that a reviewer decides on).

Verification is required before 信息采集 and before any exam registration. Every change is conditional and says
whether it applied: the first verification wins (mark_verified), one request waits at a time (submit_online, whose
images follow the row through uploads.store_then; the database's unique pending_key), and a request is decided once
(decide).
"""
from __future__ import annotations

from datetime import timedelta

import anyio.to_thread
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from db import transactions
from models.accounts import Account
from models.profiles import AlipayAttempt, RealnameRequest
from services.documents import uploads
from services.reference import regions
from services.reference.regions import PROVINCES

IMAGE_FIELDS = {"front": "证件人像面", "back": "证件非人像面", "handheld": "手持证件人像面"}
# 证件照片: JPEG or PNG by content, at most 5 MB, at least 600×400 pixels, decoded within 12 MP for the three
# images of a request, a fixed 4 MP share each (one image cannot take another's share, and the message names a
# rule the candidate can follow). An ID card fills a good part of such a picture: at 3 MP (a 12 MP phone photo,
# which libjpeg decodes at half size, see uploads) its digits are still 25 pixels or more tall. A JPEG photo of any
# size passes; a PNG above 4 MP (a screenshot larger than 1290×2796) is refused. The worst three images within
# the budget take about 1.3 s (noisy PNGs), three phone photos 0.4 s.
REQUEST_PIXELS = 12_000_000
ID_IMAGE_RULES = uploads.ImageRules(max_bytes=5 * 1024 * 1024, min_width=600, min_height=400,
                                    max_pixels=REQUEST_PIXELS // len(IMAGE_FIELDS))
ALIPAY_TTL = timedelta(minutes=10)


def is_verified(account: Account) -> bool:
    return account.realname_at is not None


async def mark_verified(account_id: int, method: str, now) -> bool:
    """Conditional: the first verification wins and later ones change nothing."""
    return bool(await Account.filter(id=account_id, realname_at__isnull=True).update(
        realname_at=now, realname_method=method))


async def start_alipay(provider, account: Account, now) -> AlipayAttempt:
    certify_id = await provider.initialize(account.name, account.id_number, now=now)
    return await AlipayAttempt.create(certify_id=certify_id, account_id=account.id, created_at=now,
                                      expires_at=now + ALIPAY_TTL)


async def alipay_attempt(account_id: int, certify_id: str) -> AlipayAttempt | None:
    """This account's own Alipay certification (another account's certify id finds nothing)."""
    return await AlipayAttempt.get_or_none(certify_id=certify_id, account_id=account_id)


def purgeable_attempts(now) -> Q:
    """Alipay certifications expired for a day (until then their page still says 已过期)."""
    return Q(expires_at__lte=now - timedelta(days=1))


async def check_alipay(provider, attempt: AlipayAttempt, now) -> str:
    """'passed' (and the account is verified), 'pending' or 'expired'."""
    status = await provider.query(attempt.certify_id, now=now)
    if status == "passed":
        await mark_verified(attempt.account_id, "alipay", now)
    return status


async def latest_request(account_id: int) -> RealnameRequest | None:
    return await RealnameRequest.filter(account_id=account_id).order_by("-id").first()


def region_errors(province: str, city: str) -> dict[str, str]:
    errors = {}
    if province not in PROVINCES:
        errors["province"] = "请选择所在省份"
    elif not regions.is_city(province, city):
        errors["city"] = "请选择所在城市"
    return errors


async def clean_images(files: dict) -> tuple[dict, dict[str, str]]:
    """Read and normalise each uploaded image (in a thread). Returns (clean images, errors by field)."""
    clean, errors = {}, {}
    for field, label in IMAGE_FIELDS.items():
        upload = files.get(field)
        if upload is None or not getattr(upload, "filename", None):
            errors[field] = f"请上传{label}"
            continue
        try:
            data = await uploads.read_upload(upload, ID_IMAGE_RULES.max_bytes)
            clean[field] = await anyio.to_thread.run_sync(uploads.clean_image, data, ID_IMAGE_RULES)
        except uploads.UploadError as e:
            errors[field] = str(e)
    return clean, errors


async def submit_online(account_id: int, province: str, city: str, images: dict, upload_dir) -> bool:
    """Store the three images, then create the request. False (and no file kept) when the account was verified
    or had a request waiting meanwhile: the database holds one pending request per account (its unique
    pending_key), so submissions at once make one request whatever the timing."""
    async def create(names: list[str]) -> bool:
        # Lock order (db.transactions): the account row (held while unverified), then its requests.
        if not await transactions.lock(Account, id=account_id, realname_at__isnull=True):
            return False
        await RealnameRequest.create(account_id=account_id, province_code=province, city_code=city,
                                     pending_key=account_id, **dict(zip(IMAGE_FIELDS, names)))
        return True

    async def change(names: list[str]) -> uploads.Change:
        try:
            return uploads.Change(await transactions.atomic(lambda: create(names)))
        except IntegrityError:  # a request of this account is waiting already
            return uploads.Change(False)

    new = [("realname", images[f].data, images[f].extension) for f in IMAGE_FIELDS]
    return (await uploads.store_then(upload_dir, new, change)).applied


async def decide(request_id: int, approve: bool, reason: str | None, by: str, now) -> str | None:
    """A reviewer's (or the CLI's) decision. Returns an error message, or None when it took effect."""
    if not approve and not (reason or "").strip():
        return "请填写不通过的原因"
    status = "approved" if approve else "rejected"
    account_ids = await RealnameRequest.filter(id=request_id).values_list("account_id", flat=True)

    async def change() -> bool:
        # Lock order (db.transactions): the account row, then its request (as submit_online takes them).
        await transactions.lock(Account, id=account_ids[0])
        changed = await RealnameRequest.filter(id=request_id, status="pending").update(
            status=status, pending_key=None, reason=None if approve else reason.strip(), decided_by=by,
            decided_at=now)
        if changed and approve:
            await mark_verified(account_ids[0], "online", now)
        return bool(changed)

    if account_ids and await transactions.atomic(change):
        return None
    row = await RealnameRequest.get_or_none(id=request_id)
    return "申请不存在" if row is None else f"该申请已由{row.decided_by}审核"

