"""Who may see a stored upload, decided here once for every URL that serves one: /files/{name} and the
reviewers' board (/review/applications/{id}/files/{name}, .../pages/{n}/{name}).

- Its owner (a candidate): the 实名认证 images of their requests, their profile photo, the photo (or the photo
  waiting for 使用此照片) and the 证明材料 of their applications.
- A reviewer: the files of a submission in scope, as the snapshot records them (Snapshot.files: the photo
  and materials the reviewers decide on), and the 实名认证 images of the requests in scope.

Anyone else, and any other name, sees nothing (the views answer 404). `stored_file` then says how to send it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tortoise.expressions import Q, Subquery

from db.reads import Reads
from models.accounts import Session
from models.applications import Application, Material
from models.profiles import Profile, RealnameRequest
from models.snapshot import Snapshot
from services.documents import uploads
from services.reference.exams import ReferenceData
from services.review.scope import Scope, scope_of


def _realname_images(name: str) -> Q:
    return Q(front=name) | Q(back=name) | Q(handheld=name)


async def owner_may_see(account_id: int, name: str, reads: Reads | None = None) -> bool:
    """Is `name` one of this candidate's own uploads? The kind in the stored name (uploads.store) says where it
    can be referred to: only those rows are read. With `reads` (db.reads), a photo (shown on 信息采集 and in the
    wizard, several times a journey) is looked up by prepared equality reads instead of the ORM's."""
    kind = name.split("/", 1)[0] if "/" in name else ""
    if kind == "realname":
        return await RealnameRequest.filter(_realname_images(name), account_id=account_id).exists()
    if kind == "photo" and reads is not None:
        return bool(await reads.columns(Profile, ("account_id",), account_id=account_id, photo=name)
                    or await reads.columns(Application, ("id",), account_id=account_id, photo=name)
                    or await reads.columns(Application, ("id",), account_id=account_id, pending_photo=name))
    if kind == "photo":
        return (await Profile.filter(account_id=account_id, photo=name).exists()
                or await Application.filter(Q(photo=name) | Q(pending_photo=name), account_id=account_id).exists())
    if kind == "material":
        return await Material.filter(stored=name, application__account_id=account_id).exists()
    return False


async def reviewer_may_see(scope: Scope, name: str, application_id: int | None = None) -> bool:
    """Is `name` a file of a submission in scope (of that application, when `application_id` is given), or, for
    any application, an 实名认证 image of a request in scope?"""
    apps = Application.filter(scope.applications())
    if application_id is not None:
        apps = apps.filter(id=application_id)
    else:  # the applications that may hold it; the snapshot decides
        apps = apps.filter(Q(photo=name) | Q(id__in=Subquery(Material.filter(stored=name).values("application_id"))))
    for snapshot in await apps.limit(20).values_list("snapshot", flat=True):
        if snapshot and name in Snapshot.from_json(snapshot).files:
            return True
    if application_id is not None:
        return False
    return await RealnameRequest.filter(scope.realname_requests() & _realname_images(name)).exists()


async def may_see(reference: ReferenceData, session: Session | None, name: str, *,
                  application_id: int | None = None) -> bool:
    """May whoever holds this session open the stored upload `name`? With `application_id` (the board's URLs):
    only as a file of that application, by a reviewer whose scope covers it."""
    if session is None:
        return False
    if session.reviewer_id:
        return await reviewer_may_see(await scope_of(reference, session.reviewer), name, application_id)
    if session.account_id and application_id is None:
        return await owner_may_see(session.account_id, name, reference.reads)
    return False


@dataclass(frozen=True)
class StoredFile:
    """How to send an upload: its path, media type and headers. PDFs are stored as uploaded (they may carry
    scripts): they are downloaded, never rendered in our origin."""

    path: Path
    media_type: str
    headers: dict
    size: int


def stored_file(upload_dir, name: str) -> StoredFile | None:
    """The upload `name` as it is on disk, or None when there is no such file."""
    try:
        path = uploads.path_of(upload_dir, name)
    except uploads.UploadError:
        return None
    try:
        size = path.stat().st_size
    except OSError:
        return None
    media = {"png": "image/png", "pdf": "application/pdf"}.get(name.rsplit(".", 1)[-1], "image/jpeg")
    disposition = "attachment" if media == "application/pdf" else "inline"
    return StoredFile(path, media, {"Cache-Control": "private, no-store", "Content-Disposition": disposition}, size)
