"""报名信息填写's personal data: copied from 信息采集 into the application, edited there, never written back.

Changes made in the wizard stay in Application.personal: the 信息采集 record is never rewritten by a
registration.
"""
from __future__ import annotations

from models.applications import Application
from models.profiles import Education, Profile
from models.snapshot import Personal
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


async def take_values(app: Application) -> dict:
    return {k: app.personal.get(k, "") for k in PERSONAL_FIELDS}
