"""报名费 and 报名科目: how many subjects a level takes at once, and the fee in fen (never taken from the page)."""
from __future__ import annotations

from models.exams import Exam, ExamProvince


def subject_rule(exam: Exam) -> tuple[int, int]:
    """(fewest, most) subjects at once: 初级 takes both subjects in one year; 中级/高级 from one up."""
    fewest = len(exam.subjects) if exam.level == "初级" else 1
    return fewest, max(fewest, exam.max_subjects)


def fee_fen(ep: ExamProvince, subjects: list[str]) -> int:
    """The amount in fen: per person plus per subject. Computed here, never taken from the page."""
    return ep.fee_per_person_fen + ep.fee_per_subject_fen * len(subjects) if subjects else 0


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
