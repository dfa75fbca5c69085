"""实名认证: by Alipay (the provider confirms) or online (three ID images that a reviewer decides on).

Verification is required before 信息采集 and before any exam registration. Every change is conditional and says
whether it applied: the first verification wins (mark_verified), one request waits at a time (submit_online, whose
images follow the row through uploads.store_then), and a request is decided once (decide).
"""
from __future__ import annotations

from datetime import timedelta

import anyio.to_thread
from tortoise.transactions import in_transaction

from models.accounts import Account
from models.profiles import AlipayAttempt, RealnameRequest
from services.documents import uploads
from services.reference import regions
from services.reference.regions import PROVINCES

# 证件照片: JPEG or PNG by content, at most 5 MB, at least 600×400 pixels.
ID_IMAGE_RULES = uploads.ImageRules(max_bytes=5 * 1024 * 1024, min_width=600, min_height=400)
IMAGE_FIELDS = {"front": "证件人像面", "back": "证件非人像面", "handheld": "手持证件人像面"}
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
    or had a request waiting meanwhile: two submissions at once make one request."""
    async def change(names: list[str]) -> uploads.Change:
        async with in_transaction():
            # A no-op update of the unverified account takes its row's lock (SQLite: the write lock), so
            # concurrent submissions of one account queue here and each sees what the one before it created.
            unverified = await Account.filter(id=account_id, realname_at__isnull=True).update(realname_method=None)
            if not unverified or await RealnameRequest.exists(account_id=account_id, status="pending"):
                return uploads.Change(False)
            await RealnameRequest.create(account_id=account_id, province_code=province, city_code=city,
                                         **dict(zip(IMAGE_FIELDS, names)))
        return uploads.Change(True)

    new = [("realname", images[f].data, images[f].extension) for f in IMAGE_FIELDS]
    return (await uploads.store_then(upload_dir, new, change)).applied


async def decide(request_id: int, approve: bool, reason: str | None, by: str, now) -> str | None:
    """A reviewer's (or the CLI's) decision. Returns an error message, or None when it took effect."""
    if not approve and not (reason or "").strip():
        return "请填写不通过的原因"
    status = "approved" if approve else "rejected"
    async with in_transaction():
        changed = await RealnameRequest.filter(id=request_id, status="pending").update(
            status=status, reason=None if approve else reason.strip(), decided_by=by, decided_at=now)
        if not changed:
            row = await RealnameRequest.get_or_none(id=request_id)
            return "申请不存在" if row is None else f"该申请已由{row.decided_by}审核"
        if approve:
            row = await RealnameRequest.get(id=request_id)
            await mark_verified(row.account_id, "online", now)
    return None

