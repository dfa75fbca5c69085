"""The submission snapshot: what the candidate submitted at 提交, fixed then. Reviewers decide on it, the
报名表 prints it, the payment page and the public verification page show parts of it; none of them reads
the live rows. Stored as JSON in Application.snapshot, read as `application.submission` (a Snapshot).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass(frozen=True)
class ExamFacts:
    name: str
    level: str  # 初级 / 中级 / 高级
    year: int


@dataclass(frozen=True)
class ProvinceFacts:
    code: str
    name: str


@dataclass(frozen=True)
class SiteFacts:
    name: str
    address: str = ""


@dataclass(frozen=True)
class ConditionFacts:
    code: str  # services.registration.eligibility.CONDITIONS
    label: str


@dataclass(frozen=True)
class CandidateFacts:
    name: str
    id_type: str
    id_number: str
    phone: str
    gender: str | None = None
    birth_date: str | None = None  # YYYY-MM-DD


@dataclass(frozen=True)
class Personal:
    """报名信息填写's personal sections, as typed there (text, "" when empty)."""

    ethnicity: str = ""  # 民族
    political_status: str = ""  # 政治面貌
    address: str = ""  # 通讯地址
    postcode: str = ""  # 邮政编码
    email: str = ""  # 电子邮箱
    level: str = ""  # 学历
    school: str = ""  # 毕业院校
    major: str = ""  # 所学专业
    graduated_on: str = ""  # 毕业时间
    certificate_no: str = ""  # 学历证书编号
    degree: str = ""  # 学位
    degree_org: str = ""  # 授予单位
    degree_date: str = ""  # 授予时间
    no_employer: str = ""  # "1" when the candidate has no employer
    employer: str = ""  # 工作单位
    employer_province: str = ""  # 单位所在省市
    employer_city: str = ""
    accounting_start: str = ""  # 从事会计工作开始时间
    position: str = ""  # 职务

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_values(cls, values: dict) -> "Personal":
        return cls(**{name: str(values.get(name) or "") for name in cls.names()})


@dataclass(frozen=True)
class MaterialFile:
    """One 证明材料 as submitted: the item of the province's list and the stored upload."""

    item: str
    stored: str
    kind: str  # pdf / jpg / png
    pages: int = 1


@dataclass(frozen=True)
class Snapshot:
    exam: ExamFacts
    province: ProvinceFacts
    city: str  # 报考地市
    site: SiteFacts  # 报名点
    subjects: tuple[str, ...]  # 报名科目
    fee_fen: int  # 应缴费用, in fen
    condition: ConditionFacts  # 报考条件
    candidate: CandidateFacts
    photo: str | None  # the stored 个人照片
    personal: Personal
    materials: tuple[MaterialFile, ...] = field(default_factory=tuple)
    review_mode: str = "manual"  # manual: 网上人工审核, commitment: 告知承诺

    @property
    def files(self) -> set[str]:
        """Every upload the snapshot refers to: none of them may be deleted while it is kept."""
        return {name for name in (self.photo, *(m.stored for m in self.materials)) if name}

    def to_json(self) -> dict:
        data = asdict(self)
        data["subjects"] = list(self.subjects)
        data["materials"] = [asdict(m) for m in self.materials]
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Snapshot":
        return cls(
            exam=ExamFacts(**data["exam"]), province=ProvinceFacts(**data["province"]), city=data.get("city", ""),
            site=SiteFacts(**data["site"]), subjects=tuple(data.get("subjects") or ()),
            fee_fen=int(data.get("fee_fen") or 0), condition=ConditionFacts(**data["condition"]),
            candidate=CandidateFacts(**data["candidate"]), photo=data.get("photo"),
            personal=Personal.from_values(data.get("personal") or {}),
            materials=tuple(MaterialFile(**m) for m in data.get("materials") or ()),
            review_mode=data.get("review_mode", "manual"))
