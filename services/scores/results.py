"""成绩查询 and the pass rules (issue 16): what a candidate sees of their published scores, and each level's
result computed from every published score of the account at that level.

- 合格 per subject: 60 or more of 100 (PASS_TENTHS).
- 初级: passed when both subjects are passed in the same exam year.
- 中级 (成绩滚动): passed when all three subjects are passed within two consecutive exam years; a subject passed
  in year Y counts for Y and Y + 1 (有效至 Y + 1 年).
- 高级: the one exam subject (the later 评审 is outside the platform).
A passed level is 合格 with the year that completed it. Only published scores count (ScoreRelease.published_at
<= now): before that a candidate sees nothing, by any URL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.applications import Application
from models.exams import Exam
from models.scores import Score
from services.scores import PASS_TENTHS, fmt


@dataclass
class SubjectScore:
    subject: str
    tenths: int

    @property
    def score(self) -> str:
        return fmt(self.tenths)

    @property
    def passed(self) -> bool:
        return self.tenths >= PASS_TENTHS


@dataclass
class LevelResult:
    level: str
    passed_year: int | None = None  # 合格 in that year
    valid: dict[str, int] = field(default_factory=dict)  # 中级: subject passed → valid until (year)
    missing: list[str] = field(default_factory=list)  # subjects still to pass

    @property
    def passed(self) -> bool:
        return self.passed_year is not None

    @property
    def text(self) -> str:
        if self.passed:
            extra = "，可参加评审" if self.level == "高级" else ""
            return f"{self.level}资格考试合格（{self.passed_year} 年）{extra}"
        if self.level == "初级":
            return "初级资格考试未通过：需在同一考试年度两个科目均合格"
        if self.level == "中级":
            return "中级资格考试尚未通过：需在连续两个考试年度内三个科目均合格"
        return f"{self.level}资格考试未通过"


def level_result(level: str, subjects: list[str], passed: dict[str, set[int]], this_year: int | None = None
                 ) -> LevelResult:
    """The level's result from the years in which each subject was passed (`passed`: subject → years)."""
    out = LevelResult(level)
    years = sorted({y for ys in passed.values() for y in ys})
    window = 2 if level == "中级" else 1
    for y in years:
        if all(any(y - k in passed.get(s, set()) for k in range(window)) for s in subjects):
            out.passed_year = y
            break
    if not out.passed and level == "中级" and years:
        latest = this_year or years[-1]
        out.valid = {s: max(ys) + 1 for s, ys in passed.items() if ys and max(ys) + 1 >= latest}
        out.missing = [s for s in subjects if s not in out.valid]
    return out


async def passed_years(account_id: int, level: str, now: datetime) -> dict[str, set[int]]:
    """subject → the exam years in which the account passed it, from published scores of the level."""
    rows = await Score.filter(application__account_id=account_id, exam__level=level, tenths__gte=PASS_TENTHS,
                              exam_province__score_release__published_at__lte=now).values_list(
        "subject", "exam__year")
    out: dict[str, set[int]] = {}
    for subject, year in rows:
        out.setdefault(subject, set()).add(year)
    return out


@dataclass
class ScoreSheet:
    """成绩查询 of one application: published or not, its subjects' scores, the level's result."""
    app: Application
    exam: Exam
    number: str
    published: bool
    published_at: datetime | None = None
    subjects: list[SubjectScore] = field(default_factory=list)
    result: LevelResult | None = None


async def sheet(app: Application, now: datetime) -> ScoreSheet:
    """The application's scores when published at `now`, else nothing but the publication time."""
    from models.arrangement import Admission
    from models.scores import ScoreRelease

    exam = await Exam.get(id=app.exam_id)
    admission = await Admission.filter(application_id=app.id).first()
    release = await ScoreRelease.filter(exam_province_id=app.province_id).first() if app.province_id else None
    published = release is not None and release.published_at <= now
    out = ScoreSheet(app, exam, admission.number if admission else "", published,
                     release.published_at if release and published else None)
    if not published:
        return out
    rows = await Score.filter(application_id=app.id).values_list("subject", "tenths")
    order = {s: i for i, s in enumerate(exam.subjects)}
    out.subjects = sorted((SubjectScore(s, t) for s, t in rows), key=lambda x: order.get(x.subject, 99))
    if out.subjects:
        out.result = level_result(exam.level, exam.subjects, await passed_years(app.account_id, exam.level, now),
                                  exam.year)
    return out


async def applications_of(account_id: int) -> list[dict]:
    """The account's paid applications (the ones that sat an exam), newest exam first, for the 成绩查询 list."""
    return await Application.filter(account_id=account_id, status="paid").order_by("-exam__year", "-id").values(
        "id", "exam__name", "exam__year", "exam__level")


# ------------------------------------------------------------------ effects on registration


async def carried(account_id: int, exam: Exam, now: datetime) -> dict[str, int]:
    """中级 成绩滚动: the subjects of `exam` the account passed in the exam year before (published scores), each
    valid until exam.year: registered for no more, paid for no more. Empty for another level, or once passed."""
    if exam.level != "中级":
        return {}
    passed = await passed_years(account_id, exam.level, now)
    if level_result(exam.level, exam.subjects, passed).passed:
        return {}
    return {s: exam.year for s in exam.subjects if exam.year - 1 in passed.get(s, set())}


async def passed_levels(reads, account_id: int, now: datetime) -> dict[str, int]:
    """级别 → the year the account passed it (published scores): a passed level is not registered for again."""
    # 选择考试 and each 进入 ask this: one query (db.reads) for every level's passed subjects (most candidates
    # have none, and then nothing else is read), instead of one per level.
    by_level: dict[str, dict[str, set[int]]] = {}
    for row in await reads.passed_subjects(account_id, PASS_TENTHS, now):
        by_level.setdefault(row["level"], {}).setdefault(row["subject"], set()).add(row["year"])
    if not by_level:
        return {}
    subjects = {}
    for level, subs in await Exam.all().values_list("level", "subjects"):
        subjects.setdefault(level, list(subs))
    out = {}
    for level, subs in subjects.items():
        result = level_result(level, subs, by_level.get(level, {}))
        if result.passed:
            out[level] = result.passed_year
    return out
