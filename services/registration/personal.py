"""报名信息填写's personal data: copied from 信息采集 into the application, edited there, never written back.

Changes made in the wizard stay in Application.personal: the 信息采集 record is never rewritten by a
registration.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from models.accounts import IdType
from models.applications import Application
from models.exams import ExamCity, ExamProvince, Site
from models.profiles import Education, Profile
from models.snapshot import Personal
from services.accounts import profile as record_rules
from services.accounts.names import mask_id_number
from services import clock
from services.registration import fees
from services.scores import results
from services.registration.eligibility import EDU_RANK

PERSONAL_FIELDS = Personal.names()


async def personal_from_record(account) -> dict:
    """The starting values: 信息采集 as it stands (the highest education)."""
    profile = await Profile.get_or_none(account_id=account.id)
    educations = await Education.filter(account_id=account.id)
    best = max(educations, key=lambda e: (EDU_RANK.get(e.level, 0), e.graduated_on), default=None)
    iso = lambda d: d.isoformat() if d else ""  # noqa: E731
    p = profile
    return {
        "ethnicity": p.ethnicity if p else "", "political_status": p.political_status if p else "",
        "address": p.address if p else "", "postcode": p.postcode if p else "", "email": p.email if p else "",
        "level": best.level if best else "", "school": best.school if best else "", "major": best.major if best else "",
        "graduated_on": iso(best.graduated_on) if best else "", "certificate_no": best.certificate_no if best else "",
        "degree": (p.degree or "") if p else "", "degree_org": (p.degree_org or "") if p else "",
        "degree_date": iso(p.degree_date) if p else "",
        "no_employer": "1" if p and p.no_employer else "", "employer": (p.employer or "") if p else "",
        "employer_province": (p.employer_province or "") if p else "", "employer_city": (p.employer_city or "") if p else "",
        "accounting_start": iso(p.accounting_start) if p else "", "position": (p.position or "") if p else "",
        "photo_from_record": p.photo if p else None,
    }


async def registrant(account) -> dict:
    """Who is registering, shown read-only in 报名信息填写's 基本信息 (the manual: the collected information is
    pulled into the page), so that a name with a rare character is seen before 提交: from the account, and
    性别 / 出生日期 from 信息采集 where the 证件号码 does not give them. The 证件号码 masked as on the account page."""
    profile = None if account.birth_date else await Profile.get_or_none(account_id=account.id)
    birth = account.birth_date or (profile.birth_date if profile else None)
    return {"name": account.name, "id_type": IdType.LABELS.get(account.id_type, account.id_type),
            "id_number": mask_id_number(account.id_number),
            "gender": account.gender or (profile.gender if profile else None) or "",
            "birth_date": birth.isoformat() if birth else ""}


def take_values(app: Application) -> dict:
    return {k: app.personal.get(k, "") for k in PERSONAL_FIELDS}


@dataclass(frozen=True)
class Checked:
    """报名信息填写 as posted: the personal values as typed (what `personal` stores) and the errors by field."""

    personal: dict
    errors: dict


async def check_info(form, account, app: Application, ep: ExamProvince, city_id: int | None, site_id: int | None,
                     subjects: list[str], today: date) -> Checked:
    """A 报名点 of a city of this province with a place left (or the one already held), the subjects by the
    level's rule, a photo, and the 信息采集 record's own rules for the personal sections (`form`: web.forms.Form)."""
    errors: dict[str, str] = {}
    site = await Site.get_or_none(id=site_id).select_related("city") if site_id else None
    if not city_id or not await ExamCity.exists(id=city_id, exam_province_id=ep.id):
        errors["city"] = "请选择报考地市"
    elif site is None or site.city_id != city_id or site.city.exam_province_id != ep.id:
        errors["site"] = "请选择所选地市的报名点"
    elif site.taken >= site.capacity and site.id != app.site_id:
        errors["site"] = "该报名点已满，请选择其他报名点"
    fewest, most = fees.subject_rule(app.exam)
    kept = await results.carried(account.id, app.exam, clock.now())  # 中级 成绩滚动: passed last year
    if len(set(subjects)) != len(subjects) or not set(subjects) <= set(app.exam.subjects):
        errors["subjects"] = f"报名科目只能从{app.exam.level}科目中选择"
    elif set(subjects) & set(kept):
        errors["subjects"] = f"{'、'.join(s for s in subjects if s in kept)}已通过且仍在有效期内，无需再次报考"
    elif not fewest <= len(subjects) <= most:
        errors["subjects"] = (f"{app.exam.level}须同时报考全部{fewest}个科目" if fewest == most
                              else f"请选择{fewest}至{most}个科目")
    if not app.photo:
        errors["photo"] = "请上传个人照片"
    profile = await Profile.get_or_none(account_id=account.id)
    birth = record_rules.birth_date_of(account, profile)
    # 性别/出生日期 belong to the record, not to this form: a stand-in with a birth date skips those fields.
    who = SimpleNamespace(birth_date=birth or date(1900, 1, 1))
    # The record's own rules, applied to what was typed here (the values stay strings in `personal`).
    record_rules.validate_basic(form, who, today)
    edu = record_rules.validate_education(form, today, birth)
    record_rules.validate_degree(form, today, birth, [SimpleNamespace(**edu)] if edu["graduated_on"] else [])
    record_rules.validate_work(form, today, birth)
    errors.update(form.errors)
    return Checked({k: form.get(k) for k in PERSONAL_FIELDS}, errors)
