"""成绩导入 and 成绩发布 (issue 16): the office's score file, its preview, its confirmation, the publication time.

The file: CSV of 准考证号, 科目, 成绩 (a header row naming them is recognised, in any order; without one the
columns are in that order). UTF-8 with or without BOM, or GBK (read as GB18030), Windows or Unix line ends,
spaces and full-width characters around cells are taken off (NFKC). A cell that a spreadsheet would run as a
formula (= + - @ first) refuses its row, whatever follows. Each row is refused with its reason (REASONS), or
accepted as new, changed (a corrected file: old and new score) or unchanged.

`prepare()` stores the file's text in a ScoreImport row (status preview, a random token) and returns the
preview; nothing else is stored. `confirm()` stores the whole file in one transaction, or nothing: refused while
any row is refused, while there is nothing to change (an identical second import), or when the scores changed
since the preview (its fingerprint of the changes no longer matches: preview again). Confirmations of one exam
wait on the exam row's lock (db.transactions.lock), so two never interleave.

成绩发布: ScoreRelease.published_at per ExamProvince (`set_publication`). **For notifications (成绩已发布):**
the candidates whose scores are published at `now` are `released_applications(now)`: for every ScoreRelease
with published_at <= now, the applications of that ExamProvince holding at least one Score row, as
(application_id, exam_province_id, published_at). A later correction (new ScoreRelease time, new scores) does
not create a new publication: one event per application is enough.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from db import transactions
from models.arrangement import Admission
from models.exams import Exam, ExamProvince
from models.scores import Score, ScoreImport, ScoreRelease
from services.reference.regions import PROVINCES

MAX_BYTES = 16 * 1024 * 1024  # 100,000 rows are about 3 MB
PASS_TENTHS = 600  # 合格: 60 or more of 100
FORMULA_START = ("=", "+", "-", "@")
HEADERS = {"number": ("准考证号",), "subject": ("科目", "科目名称", "考试科目"), "score": ("成绩", "分数", "得分")}
SCORE = re.compile(r"(\d{1,3})(?:\.(\d))?")
SIGNED_NUMBER = re.compile(r"[+-]\d+(?:\.\d+)?")


class FileRefused(Exception):
    """The whole file cannot be read (nothing is stored): the message says why."""


REASONS = {
    "columns": "缺少列：每行应有准考证号、科目、成绩三列",
    "formula": "单元格以 = + - @ 开头，像是公式，已拒绝",
    "number": "准考证号不存在（本考试没有这个准考证号）",
    "province": "其他省份的考生",
    "subject": "考生未报考该科目",
    "score": "成绩应为 0–100 之间的数字，最多一位小数",
}


def fmt(tenths: int | None) -> str:
    if tenths is None:
        return ""
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (BOM or not), else GBK/GB18030; anything else is refused as a whole."""
    if not data.strip():
        raise FileRefused("文件是空的")
    if len(data) > MAX_BYTES:
        raise FileRefused(f"文件超过 {MAX_BYTES // 1024 // 1024} MB")
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx (zip) or .xls (OLE)
        raise FileRefused("这是 Excel 工作簿，不是 CSV：请在 Excel 中“另存为”CSV 后上传")
    if b"\x00" in data:
        raise FileRefused("文件含有空字符（可能是 UTF-16 或二进制文件）：请保存为 UTF-8 或 GBK 编码的 CSV 文件")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileRefused("无法识别文件编码：请保存为 UTF-8 或 GBK 编码的 CSV 文件") from None


def _clean(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell).strip()


@dataclass
class Line:
    line: int  # the file's row number (1 = the first row, the header included)
    number: str
    subject: str
    score: str
    reason: str = ""  # why refused, "" when accepted
    tenths: int | None = None


def parse(text: str) -> list[Line]:
    """Every non-empty row of the file, its cells cleaned, with the reason of a refusal that needs no lookup."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:  # a cell over the csv module's field limit, and the like: the file as a whole
        raise FileRefused(f"无法按 CSV 读取文件（{e}）") from None
    cols = (0, 1, 2)
    out: list[Line] = []
    start = 0
    for i, row in enumerate(rows):
        cells = [_clean(c) for c in row]
        if not any(cells):
            continue
        names = {c: j for j, c in enumerate(cells)}
        if "准考证号" in names:  # the header
            found = [next((names[n] for n in HEADERS[k] if n in names), None) for k in ("number", "subject", "score")]
            if None not in found:
                cols, start = tuple(found), i + 1
        break
    for i, row in enumerate(rows[start:], start=start + 1):
        cells = [_clean(c) for c in row]
        if not any(cells):
            continue
        got = [cells[c] if c < len(cells) else "" for c in cols]
        line = Line(i, *got)
        extra = [c for j, c in enumerate(cells) if j not in cols and c]
        if any(c.startswith(FORMULA_START) and not SIGNED_NUMBER.fullmatch(c) for c in cells):
            line.reason = REASONS["formula"]
        elif not all(got) or (cols == (0, 1, 2) and extra):
            line.reason = REASONS["columns"]
        else:
            m = SCORE.fullmatch(line.score)
            tenths = int(m[1]) * 10 + int(m[2] or 0) if m else None
            if tenths is None or tenths > 1000:
                line.reason = REASONS["score"]
            line.tenths = tenths
        out.append(line)
    return out


@dataclass
class Change:
    number: str
    name: str
    subject: str
    old: str
    new: str


@dataclass
class Preview:
    rows: int = 0
    new: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)
    refused: list[Line] = field(default_factory=list)
    fingerprint: str = ""
    writes: list[tuple[int, int, str, int, int | None]] = field(default_factory=list)  # app, ep, subject, tenths, old id

    @property
    def accepted(self) -> int:
        return self.new + len(self.changes) + self.unchanged

    @property
    def nothing_to_change(self) -> bool:
        return not self.refused and not self.writes

    @property
    def may_confirm(self) -> bool:
        return not self.refused and bool(self.writes)

    def summary(self) -> dict:
        return {"rows": self.rows, "new": self.new, "changed": len(self.changes), "unchanged": self.unchanged,
                "refused": len(self.refused), "fingerprint": self.fingerprint}

    @property
    def message(self) -> str:
        s = (f"共 {self.rows} 行：新增 {self.new}，更正 {len(self.changes)}，未变 {self.unchanged}，"
             f"拒绝 {len(self.refused)}")
        if self.refused:
            return s + "。有被拒绝的行，整个文件不会导入：请修正后重新上传"
        if not self.writes:
            return s + "。与已导入的成绩完全一致，无需导入，未做任何修改"
        return s + "。确认后整个文件一次导入"


def _subjects(value) -> list[str]:
    if isinstance(value, str):
        import json
        return json.loads(value)
    return list(value or [])


async def evaluate(exam: Exam, province_code: str | None, text: str) -> Preview:
    """The preview of the file against the exam's 准考证号 and the scores stored now (FileRefused: not CSV)."""
    lines = parse(text)
    admissions = {r["number"]: r for r in await Admission.filter(exam_id=exam.id).values(
        "number", "application_id", "exam_province_id", "exam_province__province_code", "application__subjects",
        "application__cand_name")}
    stored = {(r["application_id"], r["subject"]): (r["id"], r["tenths"]) for r in await Score.filter(
        exam_id=exam.id).values("id", "application_id", "subject", "tenths")}
    p = Preview(rows=len(lines))
    seen: dict[tuple[str, str], int] = {}
    for line in lines:
        a = admissions.get(line.number)
        if not line.reason:
            if a is None:
                line.reason = REASONS["number"]
            elif province_code and a["exam_province__province_code"] != province_code:
                other = PROVINCES.get(a["exam_province__province_code"], a["exam_province__province_code"])
                line.reason = f"{REASONS['province']}（{other}），不能在本省导入"
            elif line.subject not in _subjects(a["application__subjects"]):
                line.reason = REASONS["subject"] if line.subject in exam.subjects else f"本考试没有科目“{line.subject}”"
            elif (line.number, line.subject) in seen:
                line.reason = f"重复：第 {seen[line.number, line.subject]} 行已有该考生该科目的成绩"
        if line.reason:
            p.refused.append(line)
            continue
        seen[line.number, line.subject] = line.line
        old = stored.get((a["application_id"], line.subject))
        if old is None:
            p.new += 1
        elif old[1] == line.tenths:
            p.unchanged += 1
            continue
        else:
            p.changes.append(Change(line.number, a["application__cand_name"] or "", line.subject, fmt(old[1]),
                                    fmt(line.tenths)))
        p.writes.append((a["application_id"], a["exam_province_id"], line.subject, line.tenths, old and old[0]))
    digest = hashlib.sha256()
    for w in sorted(p.writes, key=lambda w: (w[0], w[2])):
        digest.update(repr(w).encode())
    p.fingerprint = digest.hexdigest() if p.writes else ""
    return p


async def prepare(exam: Exam, province_code: str | None, data: bytes, filename: str, actor: str,
                  now: datetime) -> tuple[ScoreImport, Preview]:
    """Read the file (FileRefused when it cannot be) and keep it as a batch in preview: nothing else is stored."""
    text = decode(data)
    preview = await evaluate(exam, province_code, text)
    batch = await ScoreImport.create(token=secrets.token_urlsafe(16)[:22], exam=exam, province_code=province_code,
                                     filename=filename[:200], content=text, summary=preview.summary(), actor=actor,
                                     created_at=now)
    return batch, preview


@dataclass
class Outcome:
    ok: bool
    message: str
    preview: Preview | None = None


class _Abort(Exception):
    def __init__(self, outcome: Outcome):
        self.outcome = outcome


async def confirm(batch: ScoreImport, now: datetime) -> Outcome:
    """Store the whole previewed file, in one transaction, or nothing (the outcome says why)."""
    exam = await Exam.get(id=batch.exam_id)

    async def work() -> Outcome:
        await transactions.lock(Exam, id=exam.id)  # one confirmation of this exam at a time
        if not await ScoreImport.filter(id=batch.id, status="preview").update(status="confirmed", confirmed_at=now):
            raise _Abort(Outcome(False, "这份文件已经确认导入过，或已被新的文件取代"))
        p = await evaluate(exam, batch.province_code, batch.content)
        if p.refused:
            raise _Abort(Outcome(False, p.message, p))
        if not p.writes:
            raise _Abort(Outcome(False, p.message, p))
        if p.fingerprint != batch.summary.get("fingerprint"):
            raise _Abort(Outcome(False, "预览之后成绩已有变化（另一次导入），请重新上传并核对变更后再确认", p))
        replaced = [w[4] for w in p.writes if w[4] is not None]
        for i in range(0, len(replaced), 500):
            await Score.filter(id__in=replaced[i:i + 500]).delete()
        await Score.bulk_create([Score(application_id=a, exam_id=exam.id, exam_province_id=ep, subject=s, tenths=t,
                                       batch_id=batch.id) for a, ep, s, t, _ in p.writes], batch_size=1000)
        # older previews of this exam would now be judged against other scores: superseded, their text dropped
        await ScoreImport.filter(exam_id=exam.id, status="preview").update(status="superseded", content="")
        return Outcome(True, f"已导入：新增 {p.new} 条，更正 {len(p.changes)} 条（未变 {p.unchanged} 条）", p)

    try:
        return await transactions.atomic(work)
    except _Abort as e:
        return e.outcome


async def batch_of(exam: Exam, token: str, province_code: str | None = None) -> ScoreImport | None:
    return await ScoreImport.filter(exam_id=exam.id, token=token, province_code=province_code).first()


async def set_publication(ep: ExamProvince, published_at: datetime, actor: str, now: datetime) -> ScoreRelease:
    """成绩发布时间 of one exam in one province (set again to change it)."""
    release = await ScoreRelease.filter(exam_province_id=ep.id).first()
    if release is None:
        from tortoise.exceptions import IntegrityError
        try:
            return await ScoreRelease.create(exam_province_id=ep.id, published_at=published_at, set_by=actor,
                                             set_at=now)
        except IntegrityError:  # set at the same moment by another reviewer: theirs is replaced below
            pass
    await ScoreRelease.filter(exam_province_id=ep.id).update(published_at=published_at, set_by=actor, set_at=now)
    return await ScoreRelease.get(exam_province_id=ep.id)


async def publication(ep_id: int) -> ScoreRelease | None:
    return await ScoreRelease.filter(exam_province_id=ep_id).first()


async def released_applications(now: datetime) -> list[tuple[int, int, datetime]]:
    """(application_id, exam_province_id, published_at) of every application whose scores are published at
    `now` (see the module's docstring): what 成绩已发布 notifies."""
    releases = dict(await ScoreRelease.filter(published_at__lte=now).values_list("exam_province_id", "published_at"))
    if not releases:
        return []
    rows = await Score.filter(exam_province_id__in=list(releases)).distinct().values_list(
        "application_id", "exam_province_id")
    return sorted({(a, ep, releases[ep]) for a, ep in rows})
