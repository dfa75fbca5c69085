"""报考条件: the catalogue of conditions, and the checks that can be made from the 信息采集 record.

中级 (years of accounting work counted to 31 December of the exam year): 大学专科 5 years, 大学本科 or
学士 4, 双学士 or 研究生班 2, 硕士 1, 博士 0. 初级: 高中 or above. A condition that the record cannot
show (e.g. another professional title) is not checked here: the reviewers check its proof materials.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.profiles import Education, Profile

EDU_RANK = {"初中及以下": 0, "高中（中专、职高、技校）": 1, "大学专科": 2, "大学本科": 3, "研究生": 4}
DEGREE_RANK = {"无": 0, "学士": 1, "双学士": 2, "硕士": 3, "博士": 4}

# code: (level, label, education rank needed, degree rank needed, years of accounting work)
CONDITIONS: dict[str, tuple] = {
    "chuji_high_school": ("初级", "具备国家教育部门认可的高中毕业（含高中、中专、职高和技校）及以上学历", 1, None, 0),
    "zhongji_zhuanke": ("中级", "具备大学专科学历，从事会计工作满5年", 2, None, 5),
    "zhongji_benke": ("中级", "具备大学本科学历或学士学位，从事会计工作满4年", 3, 1, 4),
    "zhongji_shuangxueshi": ("中级", "具备第二学士学位或研究生班毕业，从事会计工作满2年", None, 2, 2),
    "zhongji_shuoshi": ("中级", "具备硕士学位，从事会计工作满1年", None, 3, 1),
    "zhongji_boshi": ("中级", "具备博士学位", None, 4, 0),
    "zhongji_title": ("中级", "已取得经济、统计、审计专业技术中级资格", None, None, None),
}


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    checkable: bool
    met: bool
    reason: str  # why it is not met, in Chinese ("" when met or not checkable)


def work_years(start: date | None, exam_year: int) -> int:
    """Full years of accounting work from `start` to 31 December of the exam year."""
    if start is None:
        return 0
    end = date(exam_year, 12, 31)
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    return max(0, years)


def check(code: str, exam_year: int, educations: list, degree: str | None, accounting_start: date | None) -> Check:
    level, label, edu_needed, degree_needed, years_needed = CONDITIONS[code]
    if edu_needed is None and degree_needed is None and years_needed is None:
        return Check(code, label, False, True, "")
    best_edu = max((EDU_RANK.get(e.level, 0) for e in educations), default=-1)
    best_degree = DEGREE_RANK.get(degree or "无", 0)
    # 大学本科学历 OR 学士学位: either is enough where both are given.
    by_edu = edu_needed is not None and best_edu >= edu_needed
    by_degree = degree_needed is not None and best_degree >= degree_needed
    if not (by_edu or by_degree):
        if edu_needed is not None and degree_needed is not None:
            reason = "信息采集中的学历和学位均未达到要求"
        elif edu_needed is not None:
            reason = "信息采集中的最高学历未达到要求" if educations else "信息采集中没有学历信息"
        else:
            reason = "信息采集中的学位未达到要求"
        return Check(code, label, True, False, reason)
    years = work_years(accounting_start, exam_year)
    if years_needed and years < years_needed:
        counted = f"截至{exam_year}年12月31日从事会计工作{years}年" if accounting_start else "信息采集中没有从事会计工作开始时间"
        return Check(code, label, True, False, f"{counted}，需满{years_needed}年")
    return Check(code, label, True, True, "")


async def checks_for(account_id: int, exam_year: int, codes: list[str]) -> list[Check]:
    """The province's conditions (`codes`), each checked against the candidate's 信息采集 record."""
    profile = await Profile.get_or_none(account_id=account_id)
    educations = await Education.filter(account_id=account_id)
    return [check(code, exam_year, educations, profile.degree if profile else None,
                  profile.accounting_start if profile else None) for code in codes]
