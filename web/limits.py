"""The largest request body each route accepts: one table, enforced by web.middleware on every request before
its body is read. A Content-Length above the route's limit is refused at once; a body sent without one
(chunked) is cut off when it passes the limit. Either way the answer is the 413 page (or, for a
server-to-server route, the text its protocol expects), and nothing is spooled to disk.

A route not listed takes an ordinary form's limit. An upload route's limit is the largest file it accepts
(the services' own rules) with room for the form around it, and for a file a little too large to be answered
by the service's own message ("文件大小不能超过…") rather than this refusal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.routing import Route

from services.accounts import profile, realname
from services import scores
from services.registration import materials, photos

KB, MB = 1024, 1024 * 1024
FORM = 64 * KB  # every route not listed (ordinary forms; a GET has no body)
ROOM = 1 * MB
MATERIAL_FILES = 5  # web.forms.MAX_FILES: the files one form may carry


@dataclass(frozen=True)
class Limit:
    body: int  # bytes
    refusal: str | None = None  # a server-to-server route's answer (plain text) instead of the 413 page


# route name (app.py, views/*.routes) → its limit
LIMITS: dict[str, Limit] = {
    # 报名信息填写 is one multipart form holding the 个人照片 input: any of its buttons may send a chosen photo.
    "step_info_photo": Limit(photos.PhotoRules().max_kb * KB + ROOM),  # 个人照片: 2 MB
    "step_info": Limit(photos.PhotoRules().max_kb * KB + ROOM),
    "step_info_photo_accept": Limit(photos.PhotoRules().max_kb * KB + ROOM),
    "profile_basic": Limit(profile.PHOTO_RULES.max_bytes + ROOM),  # 证件照: 2 MB
    # 证明材料上传 is one multipart form holding every item's file input: 上传 of a row and 下一步 both send every
    # file chosen (at most MAX_FILES of a form, web.forms), each bounded by the service at 10 MB.
    "step_material_upload": Limit(MATERIAL_FILES * max(materials.MAX_PDF_BYTES, materials.IMAGE_RULES.max_bytes) + ROOM),
    "step_materials": Limit(MATERIAL_FILES * max(materials.MAX_PDF_BYTES, materials.IMAGE_RULES.max_bytes) + ROOM),
    "realname_online": Limit(len(realname.IMAGE_FIELDS) * realname.ID_IMAGE_RULES.max_bytes + ROOM),  # 3 × 5 MB
    "review_scores_upload": Limit(scores.MAX_BYTES + ROOM),  # 成绩导入: 100,000 rows are about 3 MB
    "pay_notify": Limit(8 * KB, refusal="fail"),  # the gateway's notification: a few hundred bytes
}
ORDINARY = Limit(FORM)


class BodyLimits:
    """The limit of a request's path: the routes of LIMITS, found by their names in the route table."""

    def __init__(self, routes):
        found = {r.name: r for r in routes if isinstance(r, Route) and r.name in LIMITS}
        missing = set(LIMITS) - set(found)
        if missing:  # a renamed route must not silently fall back to the ordinary limit
            raise RuntimeError(f"web.limits names routes that do not exist: {sorted(missing)}")
        self.table: list[tuple[re.Pattern, Limit]] = [(found[name].path_regex, limit) for name, limit in LIMITS.items()]

    def __call__(self, path: str) -> Limit:
        for regex, limit in self.table:
            if regex.match(path):
                return limit
        return ORDINARY
