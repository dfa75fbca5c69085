"""报名信息填写: sites, subjects and fees, and the personal data copied from 信息采集 into the application.

Changes made here stay in Application.personal: the 信息采集 record is never rewritten by a registration.
"""
from __future__ import annotations

from models.applications import Application
from models.exams import Exam, ExamCity, ExamProvince, Site
from models.profiles import Education, Profile

PERSONAL_FIELDS = ("ethnicity", "political_status", "address", "postcode", "email",
                   "level", "school", "major", "graduated_on", "certificate_no",
                   "degree", "degree_org", "degree_date",
                   "no_employer", "employer", "employer_province", "employer_city", "accounting_start", "position")


def subject_rule(exam: Exam) -> tuple[int, int]:
    """(fewest, most) subjects at once: 初级 takes both subjects in one year; 中级/高级 from one up."""
    fewest = len(exam.subjects) if exam.level == "初级" else 1
    return fewest, max(fewest, exam.max_subjects)


def fee_fen(ep: ExamProvince, subjects: list[str]) -> int:
    """The amount in fen: per person plus per subject. Computed here, never taken from the page."""
    return ep.fee_per_person_fen + ep.fee_per_subject_fen * len(subjects) if subjects else 0


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


async def personal_from_record(account) -> dict:
    """The starting values: 信息采集 as it stands (the highest education)."""
    profile = await Profile.get_or_none(account_id=account.id)
    educations = await Education.filter(account_id=account.id)
    from services.registration.eligibility import EDU_RANK

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
