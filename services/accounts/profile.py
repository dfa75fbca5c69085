"""信息采集: one validation function per section, each returning the clean values and the errors, and the
record's reads and writes.

Dates: 毕业时间 and 从事会计工作开始时间 are not in the future and not before the 14th birthday (when the
birth date is known from a mainland ID number); 学位授予时间 is not before the graduation of the matching
education (学士/双学士 → 大学本科, 硕士/博士 → 研究生). Text fields have length limits and refuse markup.

Writes: each section is saved on its own by one conditional update of the Profile row (created by the first
save, never by a read), and any change undoes 确认提交: a changed record needs a new confirmation. The 证件照
is replaced through uploads.store_then: the old file is deleted only after the row stopped pointing at it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import anyio.to_thread
from tortoise.exceptions import IntegrityError

from db import transactions
from db.reads import Reads
from models.accounts import Account
from models.profiles import Education, Profile
from services.documents import uploads
from services.reference import regions
from services.reference import options as reference
from services.reference.regions import PROVINCES

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
MARKUP_RE = re.compile(r"[<>]")
DEGREE_EDUCATION = {"学士": "大学本科", "双学士": "大学本科", "硕士": "研究生", "博士": "研究生"}

# 证件照 for 信息采集 (the exam wizard adds automatic cropping): JPEG, 295×413 or larger, 10 KB – 2 MB, 3:4.
PHOTO_RULES = uploads.ImageRules(max_bytes=2 * 1024 * 1024, min_width=295, min_height=413, formats=("JPEG",))
PHOTO_MIN_BYTES = 10 * 1024
PHOTO_TRIES = 5  # a photo replaced meanwhile (another tab) is read again and replaced in turn

# The fields of each section's form, in the order of the page.
FIELDS = {
    "basic": ("ethnicity", "political_status", "address", "postcode", "email", "gender", "birth_date"),
    "education": ("level", "school", "major", "graduated_on", "certificate_no"),
    "degree": ("degree", "degree_org", "degree_date"),
    "work": ("no_employer", "employer", "employer_province", "employer_city", "accounting_start", "position"),
}
SAVE_FAILED = "保存失败，请重新提交"


def text(form, name: str, label: str, max_len: int, *, required: bool = True) -> str:
    value = form.get(name)
    if not value:
        if required:
            form.error(name, f"请填写{label}")
        return ""
    if len(value) > max_len:
        form.error(name, f"{label}不能超过{max_len}个字")
    elif MARKUP_RE.search(value) or any(ord(ch) < 32 for ch in value):
        form.error(name, f"{label}中不能包含“<”“>”等标记或控制字符")
    return value


def choice(form, name: str, label: str, options) -> str:
    value = form.get(name)
    if value not in options:
        form.error(name, f"请选择{label}")
        return ""
    return value


def month_or_date(form, name: str, label: str, today: date, birth: date | None) -> date | None:
    """Accepts YYYY-MM-DD or YYYY-MM (the 1st of the month), as people remember graduation by month."""
    raw = form.get(name)
    if not raw:
        form.error(name, f"请填写{label}")
        return None
    try:
        value = date.fromisoformat(raw if len(raw) > 7 else raw + "-01")
    except ValueError:
        form.error(name, f"{label}格式不正确，请按“年-月-日”填写")
        return None
    if value > today:
        form.error(name, f"{label}不能晚于今天")
    elif birth is not None and value < fourteenth_birthday(birth):
        form.error(name, f"{label}不能早于出生日期满14周岁（{fourteenth_birthday(birth).isoformat()}）")
    elif value.year < 1930:
        form.error(name, f"{label}不正确")
    return value


def fourteenth_birthday(birth: date) -> date:
    try:
        return birth.replace(year=birth.year + 14)
    except ValueError:  # 29 February
        return birth.replace(year=birth.year + 14, day=28)


def validate_basic(form, account: Account, today: date) -> dict:
    values = {
        "ethnicity": choice(form, "ethnicity", "民族", reference.ETHNIC_GROUPS),
        "political_status": choice(form, "political_status", "政治面貌", reference.POLITICAL_STATUS),
        "address": text(form, "address", "通讯地址", 100),
        "postcode": form.get("postcode"),
        "email": form.get("email"),
    }
    if account.birth_date is None:  # not a mainland ID number: 性别 and 出生日期 are entered
        values["gender"] = choice(form, "gender", "性别", ("男", "女"))
        raw = form.get("birth_date")
        try:
            values["birth_date"] = date.fromisoformat(raw)
            if not date(1900, 1, 1) <= values["birth_date"] <= today:
                form.error("birth_date", "出生日期不正确")
        except ValueError:
            form.error("birth_date", "请按“年-月-日”填写出生日期")
            values["birth_date"] = None
    if not re.fullmatch(r"[0-9]{6}", values["postcode"]):
        form.error("postcode", "邮政编码应为6位数字")
    if not values["email"]:
        form.error("email", "请填写电子邮箱")
    elif len(values["email"]) > 100 or not EMAIL_RE.fullmatch(values["email"]):
        form.error("email", "电子邮箱格式不正确，例如 name@example.com")
    return values


def validate_education(form, today: date, birth: date | None) -> dict:
    return {
        "level": choice(form, "level", "学历", reference.EDUCATION_LEVELS),
        "school": text(form, "school", "毕业院校", 60),
        "major": text(form, "major", "所学专业", 60),
        "graduated_on": month_or_date(form, "graduated_on", "毕业时间", today, birth),
        "certificate_no": text(form, "certificate_no", "学历证书编号", 40),
    }


def validate_degree(form, today: date, birth: date | None, educations: list[Education]) -> dict:
    degree = choice(form, "degree", "学位", reference.DEGREES)
    values = {"degree": degree, "degree_org": None, "degree_date": None}
    if degree and degree != "无":
        values["degree_org"] = text(form, "degree_org", "授予单位", 60)
        values["degree_date"] = month_or_date(form, "degree_date", "授予时间", today, birth)
        matching = [e for e in educations if e.level == DEGREE_EDUCATION[degree]]
        if values["degree_date"] and matching and "degree_date" not in form.errors:
            earliest = min(e.graduated_on for e in matching)
            if values["degree_date"] < earliest:
                form.error("degree_date", f"授予时间不能早于{DEGREE_EDUCATION[degree]}毕业时间（{earliest.isoformat()}）")
    return values


def validate_work(form, today: date, birth: date | None) -> dict:
    no_employer = form.get("no_employer") == "1"
    values = {"no_employer": no_employer, "employer": None, "employer_province": None, "employer_city": None,
              "position": None}
    if not no_employer:
        values["employer"] = text(form, "employer", "工作单位", 100)
        province, city = form.get("employer_province"), form.get("employer_city")
        if province not in PROVINCES:
            form.error("employer_province", "请选择单位所在省份")
        elif not regions.is_city(province, city):
            form.error("employer_city", "请选择单位所在城市")
        values.update(employer_province=province, employer_city=city)
        values["position"] = text(form, "position", "职务", 30, required=False) or None
    start = form.get("accounting_start")
    # 从事会计工作开始时间 is optional: a person may not have started yet.
    values["accounting_start"] = month_or_date(form, "accounting_start", "从事会计工作开始时间", today, birth) if start else None
    return values


def birth_date_of(account: Account, profile: Profile | None) -> date | None:
    return account.birth_date or (profile.birth_date if profile else None)


def sections(profile: Profile | None, educations: list[Education]) -> list[dict]:
    """The task list: each section with its status (已完成 / 未完成)."""
    p = profile
    return [
        {"id": "basic", "label": "基本信息", "done": bool(p and p.basic_saved and p.photo)},
        {"id": "education", "label": "学历信息", "done": bool(educations)},
        {"id": "degree", "label": "学位信息", "done": bool(p and p.degree)},
        {"id": "work", "label": "工作信息", "done": bool(p and p.work_saved)},
    ]


# ---------------------------------------------------------------------- reading the record


@dataclass
class Record:
    """A candidate's 信息采集 as it stands: the Profile row (a blank, unsaved one before the first save) and the
    学历 entries by graduation date."""

    profile: Profile
    educations: list[Education]

    @property
    def sections(self) -> list[dict]:
        return sections(self.profile, self.educations)

    @property
    def complete(self) -> bool:
        return all(s["done"] for s in self.sections)

    def shown(self, section: str) -> dict[str, str]:
        """A section's stored values as its form shows them (dates as YYYY-MM-DD, a ticked box as "1"); the 学历
        form adds an entry, so it starts empty."""
        if section == "education":
            return {}
        return {k: _as_text(getattr(self.profile, k)) for k in FIELDS[section]}


def _as_text(value) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else ""
    return value or ""


async def record(account_id: int, *, educations: bool = True, reads: Reads | None = None) -> Record:
    """The account's 信息采集 record. The pages pass `reads` (db.reads: prepared SQL, on SQLite in the event loop;
    信息采集 is shown about ten times in a journey); the saves read it through the ORM, in their transaction."""
    if reads is not None:
        profile = await reads.first(Profile, account_id=account_id) or Profile(account_id=account_id)
        entries = sorted(await reads.find(Education, account_id=account_id),
                         key=lambda e: (e.graduated_on, e.id)) if educations else []
        return Record(profile, entries)
    profile = await Profile.get_or_none(account_id=account_id) or Profile(account_id=account_id)
    entries = await Education.filter(account_id=account_id).order_by("graduated_on", "id") if educations else []
    return Record(profile, entries)


async def _profile(account_id: int) -> Profile | None:
    return await Profile.get_or_none(account_id=account_id)


# ---------------------------------------------------------------------- saving a section
# Each returns whether the section was saved; when it was not, form.errors says why.


async def save_basic(account: Account, form, today: date, *, photo, upload_dir) -> bool:
    """基本信息 with the 证件照: a new photo (an upload from the form) replaces the old one; without one, the
    stored photo stays (the section needs one)."""
    values = validate_basic(form, account, today)
    image = None
    if photo is not None and getattr(photo, "filename", None):
        try:
            image = await clean_photo(photo)
        except uploads.UploadError as e:
            form.error("photo", str(e))
    elif not await _photo_of(account.id):
        form.error("photo", "请上传证件照")
    if form.errors:
        return False
    values["basic_saved"] = True
    if image is None:
        return _saved(form, await _change(account.id, values))

    async def change(names: list[str]) -> uploads.Change:
        for _ in range(PHOTO_TRIES):
            old = await _photo_of(account.id)
            if await _change(account.id, {**values, "photo": names[0]}, photo=old):
                return uploads.Change(True, (old,))
        return uploads.Change(False)

    done = await uploads.store_then(upload_dir, [("photo", image.data, image.extension)], change)
    return _saved(form, done.applied)


async def save_degree(account: Account, form, today: date) -> bool:
    rec = await record(account.id)
    values = validate_degree(form, today, birth_date_of(account, rec.profile), rec.educations)
    return not form.errors and _saved(form, await _change(account.id, values))


async def save_work(account: Account, form, today: date) -> bool:
    values = validate_work(form, today, birth_date_of(account, await _profile(account.id)))
    return not form.errors and _saved(form, await _change(account.id, {**values, "work_saved": True}))


async def add_education(account: Account, form, today: date) -> bool:
    """学历信息: one more entry (more than one allowed)."""
    values = validate_education(form, today, birth_date_of(account, await _profile(account.id)))
    if form.errors:
        return False

    async def change() -> None:
        # Lock order (db.transactions): the 学历 entry, then the record.
        await Education.create(account_id=account.id, **values)
        await _unconfirm(account.id)

    await transactions.atomic(change)
    return True


async def delete_education(account_id: int, education_id: int) -> bool:
    """Delete one of this account's entries; False when it has none of that id."""
    async def change() -> bool:
        if not await Education.filter(id=education_id, account_id=account_id).delete():
            return False
        await _unconfirm(account_id)
        return True

    return await transactions.atomic(change)


def _saved(form, applied: bool) -> bool:
    if not applied:
        form.error("form", SAVE_FAILED)
    return applied


async def clean_photo(upload) -> uploads.CleanImage:
    """The 证件照 checked and re-encoded (in a thread); raises UploadError with the message for the field."""
    data = await uploads.read_upload(upload, PHOTO_RULES.max_bytes)
    if len(data) <= PHOTO_MIN_BYTES:
        raise uploads.UploadError("照片文件应大于10KB，请上传清晰的照片")
    image = await anyio.to_thread.run_sync(uploads.clean_image, data, PHOTO_RULES)
    if not 0.70 <= image.width / image.height <= 0.80:
        raise uploads.UploadError(f"照片应为竖版3:4比例（如295×413像素），您上传的是{image.width}×{image.height}")
    return image


async def _photo_of(account_id: int) -> str | None:
    photos = await Profile.filter(account_id=account_id).values_list("photo", flat=True)
    return photos[0] if photos else None


_ANY = object()


async def _change(account_id: int, values: dict, *, photo=_ANY) -> bool:
    """One conditional update of the record, which also undoes its confirmation; `photo=` the photo the row must
    still have (None: none yet). The first save creates the row. Returns whether the row changed."""
    def rows():
        query = Profile.filter(account_id=account_id)
        if photo is _ANY:
            return query
        return query.filter(photo__isnull=True) if photo is None else query.filter(photo=photo)

    values = {**values, "confirmed_at": None}
    if await rows().update(**values):
        return True
    try:
        await Profile.create(account_id=account_id)
    except IntegrityError:  # the row exists (a concurrent first save, or the photo condition did not hold)
        pass
    return bool(await rows().update(**values))


async def _unconfirm(account_id: int) -> None:
    # Unconditional on purpose: it waits for the row's lock held by a concurrent 确认提交 (see confirm).
    await Profile.filter(account_id=account_id).update(confirmed_at=None)


# ---------------------------------------------------------------------- 确认提交


class _Incomplete(Exception):
    pass


async def confirm(account_id: int, now) -> bool:
    """确认提交 a complete record. Returns False (nothing changed) when a section is not done."""
    async def change() -> bool:
        # Update first, then look: the update takes the row's lock, which a concurrent 学历 deletion also
        # takes (_unconfirm), so the record read below is the one that is confirmed.
        if not await Profile.filter(account_id=account_id).update(confirmed_at=now):
            return False
        if not (await record(account_id)).complete:
            raise _Incomplete  # rolls the confirmation back
        return True

    try:
        return await transactions.atomic(change)
    except _Incomplete:
        return False
