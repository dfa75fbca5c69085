"""Every change the wizard makes to a draft application, one function each (提交, 重新报名 and reopening a
rejected application are in submission.py).

Each is a conditional update, `UPDATE application SET ..., version = version + 1 WHERE id = ? AND status =
'draft'`, whose row count says what happened: a change that finds the application no longer a draft (提交 in
another tab, 重新报名) changes nothing and says so (False, `Change(applied=False)`, a refused `Upload`, None),
and the page shows NOT_A_DRAFT or sends the candidate to the step the application is at. On success the
`app` instance passed in holds the values written.

`version` moves with every change, in the same statement: 提交 (submission.submit) fixes its snapshot at one
version and moves the application only at that version, so what it submits is never missing a change that
landed at the same moment, nor pointing at a file such a change replaced.

Files follow rows (services.documents.uploads): the new file is stored first, the row is changed and
committed, and only then is the file it replaced deleted; a refused change removes the new file and leaves
the old ones as they were. A file the application's last snapshot refers to (a rejected application being
corrected) is never deleted here.

Lock order, for every transaction that touches more than one row (db.transactions has the whole order, for
every area): the application row, then its materials, then the site (提交's place, 重新报名 giving it back),
then its orders (重新报名 closing them, a payment). Such a transaction begins with the version bump of the
application row (`_held`): on PostgreSQL that takes the row's lock until commit, so the changes of one
application and its 提交 queue behind one another; on SQLite it takes the database's write lock at once, so the
transaction never has to upgrade a read lock. `transactions.atomic` runs it again if the database aborts it
as a deadlock or a serialization failure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

import anyio.to_thread
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from db import transactions
from models.applications import Application, Material, Status
from models.exams import ExamProvince
from services.documents import uploads
from services.documents.uploads import Change
from services.reference.exams import ReferenceData
from services.registration import materials, personal as personal_data, photos
from services.registration.submission import required_materials

NOT_A_DRAFT = "该报名已提交，不能再修改"


@dataclass(frozen=True)
class Upload:
    """What an upload did, for its field: the message ("" when it was stored), how the server adjusted a photo,
    and whether it was refused because the application is no longer a draft."""

    error: str = ""
    note: str = ""
    refused: bool = False


REFUSED = Upload(NOT_A_DRAFT, refused=True)


async def enter(reference: ReferenceData, account_id: int, exam_id: int
                ) -> tuple[Application, ExamProvince | None] | None:
    """进入: the candidate's active application for this exam, started if there is none; None: no such exam."""
    exam = await reference.exam(exam_id)
    if exam is None:
        return None
    key = f"{account_id}:{exam_id}"  # one active application per candidate and exam (a unique column)
    app = await Application.get_or_none(active_key=key)
    if app is None:
        try:
            app = await Application.create(account_id=account_id, exam_id=exam_id, active_key=key)
        except IntegrityError:  # a double click: the other request created it
            app = await Application.get(active_key=key)
    return app, await reference.province(app.province_id) if app.province_id else None


# ---------------------------------------------------------------------- changes of one statement


async def _update(app: Application, **values) -> bool:
    moved = await Application.filter(id=app.id, status=Status.DRAFT).update(version=F("version") + 1, **values)
    if moved:
        _sync(app, values)
    return bool(moved)


def _sync(app: Application, values: dict) -> None:
    for name, value in values.items():
        setattr(app, name, value)


async def choose_province(app: Application, ep: ExamProvince) -> bool:
    """选择省份 (the province's window is checked by the caller)."""
    if app.province_id == ep.id:
        return True
    # Another province: what was read and chosen for the old one no longer holds.
    return await _update(app, province_id=ep.id, notice_agreed_at=None, announcements_read_at=None, condition=None,
                         site_id=None, info_done=False, materials_done=False)


async def agree_notice(app: Application, now) -> bool:
    """阅读须知: 完全同意."""
    return await _update(app, notice_agreed_at=now)


async def read_announcements(app: Application, now) -> bool:
    """通知公告: 已阅读并知晓."""
    return await _update(app, announcements_read_at=now)


async def choose_condition(app: Application, code: str) -> bool:
    """选择报考条件 (checked by the caller). Another condition may need other 证明材料: that step opens again."""
    return await _update(app, condition=code, **({} if code == app.condition else {"materials_done": False}))


async def save_info(app: Application, site_id: int, subjects: list[str], personal: dict) -> bool:
    """报名信息填写, every field valid (personal_data.check_info): the step is done."""
    return await _update(app, site_id=site_id, subjects=subjects, personal=personal, info_done=True)


async def keep_typed(app: Application, site_id: int | None, subjects: list[str], personal: dict) -> bool:
    """报名信息填写 as typed, kept across the page's own round trips (上传照片, 使用此照片, and without JavaScript
    更新报名点 / 计算费用), so that each answers with a redirect (PRG) and the page shows what was typed. Not
    checked yet (the caller keeps only a site of the province, the exam's subjects): the step is done only once
    确认无误，下一步 saves it checked (save_info)."""
    return await _update(app, site_id=site_id, subjects=subjects, personal=personal, info_done=False)


async def start_personal(app: Application, account, upload_dir) -> bool:
    """报名信息填写, first visit: 信息采集 copied into the application, its photo as a file of the application's
    own (a photo already uploaded here wins). Only at the version `app` was read at: False when the draft
    changed meanwhile or is no longer one (the caller reads it again)."""
    personal = await personal_data.personal_from_record(account)
    record_photo = personal.pop("photo_from_record")
    new = []
    if record_photo and not app.photo:
        try:
            new.append(("photo", uploads.path_of(upload_dir, record_photo).read_bytes(), ".jpg"))
        except (OSError, uploads.UploadError):
            pass

    async def change(names: list[str]) -> Change:
        values = {"personal": personal, **({"photo": names[0]} if names else {})}
        moved = await Application.filter(id=app.id, status=Status.DRAFT, version=app.version).update(
            version=F("version") + 1, **values)
        if moved:
            _sync(app, {**values, "version": app.version + 1})
        return Change(bool(moved))

    return (await uploads.store_then(upload_dir, new, change)).applied


# ---------------------------------------------------------------------- changes that replace files


class _Undo(Exception):
    """Raised inside a held change to roll it back; `answer` is what the caller is told."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer


async def _held(app: Application, change: Callable[[Application], Awaitable[tuple]], **values):
    """Run `change(row)` in one transaction that begins by bumping the draft's version (with `values`): the
    lock on its row until commit (see the lock order above). `change` gets the row as it now is, makes its
    own changes and returns the stored files they dropped. Returns Change(applied, dropped) once committed (the
    caller deletes the dropped files: uploads.store_then / drop_after), Change(False) when the application is
    no longer a draft, or what `change` raised _Undo with (rolled back)."""
    async def held() -> tuple[Application, tuple] | None:
        if not await Application.filter(id=app.id, status=Status.DRAFT).update(version=F("version") + 1, **values):
            return None
        row = await Application.get(id=app.id)
        return row, await change(row)

    try:
        done = await transactions.atomic(held)
    except _Undo as e:
        return e.answer
    if done is None:
        return Change(False)
    row, dropped = done
    _sync(app, {**values, "version": row.version})
    kept = row.submission.files if row.snapshot else set()
    return Change(True, tuple(name for name in dropped if name and name not in kept))


async def _set(app: Application, **values) -> None:
    """Inside a held change (the row is this transaction's until commit)."""
    await Application.filter(id=app.id).update(**values)
    _sync(app, values)


async def _prepared(upload, missing: str, max_bytes: int, prepare: Callable, *args):
    """(what `prepare(data, *args)` made of the upload, in a thread, "") or (None, the message for the field)."""
    if upload is None or not getattr(upload, "filename", None):
        return None, missing
    try:
        data = await uploads.read_upload(upload, max_bytes)
        return await anyio.to_thread.run_sync(prepare, data, *args), ""
    except uploads.UploadError as e:
        return None, str(e)


async def upload_photo(app: Application, ep: ExamProvince, upload_dir, upload) -> Upload:
    """个人照片, checked and prepared by the server: a photo it adjusted waits as the pending photo for 使用此照片
    (a preview), any other becomes the application's photo at once."""
    rules = photos.PhotoRules.from_province(ep.photo_rules)
    prepared, error = await _prepared(upload, "请选择照片", rules.max_kb * 1024, photos.prepare_photo, rules)
    if error:
        return Upload(error)

    async def change(names: list[str]) -> Change:
        async def put(row: Application) -> tuple:
            app.photo = row.photo
            if prepared.adjusted:
                await _set(app, pending_photo=names[0])
                return (row.pending_photo,)
            await _set(app, photo=names[0], pending_photo=None)
            return row.photo, row.pending_photo
        return await _held(app, put)

    stored = await uploads.store_then(upload_dir, [("photo", prepared.data, ".jpg")], change)
    return Upload(note=prepared.note) if stored.applied else REFUSED


async def accept_photo(app: Application, upload_dir) -> Change:
    """使用此照片: the pending photo (adjusted by the server and previewed) becomes the application's photo."""
    async def accept(row: Application) -> tuple:
        app.photo, app.pending_photo = row.photo, row.pending_photo
        if not row.pending_photo:
            return ()
        await _set(app, photo=row.pending_photo, pending_photo=None)
        return (row.photo,)

    return uploads.drop_after(upload_dir, await _held(app, accept))


async def upload_material(app: Application, upload_dir, item: dict, upload) -> Upload:
    """证明材料: one item of the province's list uploaded or replaced (JPEG, PNG or PDF, by content)."""
    clean, error = await _prepared(upload, "请选择文件", materials.MAX_PDF_BYTES, materials.clean_material,
                                   item["types"])
    if error:
        return Upload(error)

    async def change(names: list[str]) -> Change:
        async def put(row: Application) -> tuple:
            old = await Material.get_or_none(application_id=app.id, item=item["name"])
            if old:
                await Material.filter(id=old.id).update(stored=names[0], kind=clean.kind, pages=clean.pages)
                return (old.stored,)
            await Material.create(application_id=app.id, item=item["name"], stored=names[0], kind=clean.kind,
                                  pages=clean.pages)
            return ()
        return await _held(app, put)

    stored = await uploads.store_then(upload_dir, [("material", clean.data, clean.extension)], change)
    return Upload() if stored.applied else REFUSED


async def delete_material(app: Application, upload_dir, material_id: int) -> Change | None:
    """删除 one 证明材料: the step is to be taken again. None: no such material of this application."""
    async def drop(row: Application) -> tuple:
        material = await Material.get_or_none(id=material_id, application_id=app.id)
        if material is None:
            raise _Undo(None)
        await Material.filter(id=material.id).delete()
        return (material.stored,)

    result = await _held(app, drop, materials_done=False)
    return None if result is None else uploads.drop_after(upload_dir, result)


async def finish_materials(app: Application, ep: ExamProvince) -> list[str] | None:
    """证明材料上传's 下一步: done when every required item is uploaded. Returns the names of the required items
    still missing ([] when the step is done), or None when the application is no longer a draft."""
    async def check(row: Application) -> tuple:
        have = set(await Material.filter(application_id=app.id).values_list("item", flat=True))
        missing = [m["name"] for m in required_materials(ep, row.condition) if m["required"] and m["name"] not in have]
        if missing:
            raise _Undo(missing)
        return ()

    result = await _held(app, check, materials_done=True)
    return result if isinstance(result, list) else [] if result.applied else None
