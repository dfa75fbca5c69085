"""The texts of the notifications: templates/notifications/<event>.txt, one file per event with three blocks
(title, sms, body). Rendered once when the event is recorded and stored with it, so a 消息 reads as it was sent.

An SMS is at most 70 characters (one message on Chinese networks) with the sign-off; what a reviewer wrote as a
reason is cut to fit it (in full in the 消息). No text carries a full ID number: any run that looks like one, in
a reviewer's reason too, is masked.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from jinja2 import Environment, FileSystemLoader, StrictUndefined

import settings as settings_module
from services import clock

log = logging.getLogger("kjks.notifications")
SIGN = "【会计资格考试报名】"  # the platform's SMS sign-off, as on its verification codes (services.providers.sms)
SMS_MAX = 70
ID_LIKE = re.compile(r"(?<![0-9])[0-9]{14}(?:[0-9]{3}[0-9Xx]|[0-9])(?![0-9Xx])")  # 15 or 18 characters

_env = Environment(loader=FileSystemLoader(settings_module.ROOT / "templates" / "notifications"),
                   undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class Text:
    title: str
    sms: str
    body: str


def mask_ids(text: str) -> str:
    """Every run of digits shaped like an ID number kept to its first 3 and last 4 characters."""
    return ID_LIKE.sub(lambda m: m[0][:3] + "*" * (len(m[0]) - 7) + m[0][-4:], text)


def exam_label(year: int, level: str) -> str:
    """The exam as an SMS names it: 2027年初级会计资格考试 (the full 考试名称 is too long for one SMS)."""
    return f"{year}年{level}会计资格考试"


def when(moment: datetime | None) -> str:
    """A time as the texts say it, China time: 1月3日23:59."""
    if moment is None:
        return ""
    local = moment.astimezone(clock.CN)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def _block(template, name: str, context: dict) -> str:
    return mask_ids("".join(template.blocks[name](template.new_context(context))).strip())


def render(event: str, **context) -> Text:
    """The title, SMS and 消息 of `event`. A `reason` longer than the SMS allows is cut there with "…"."""
    template = _env.get_template(f"{event}.txt")
    context = {"sign": SIGN, **{k: mask_ids(v) if isinstance(v, str) else v for k, v in context.items()}}
    body = _block(template, "body", context)
    sms = _block(template, "sms", context)
    reason = context.get("reason")
    if len(sms) > SMS_MAX and reason:
        room = len(reason) - (len(sms) - SMS_MAX) - 1
        sms = _block(template, "sms", {**context, "reason": reason[:max(room, 0)] + "…"})
    if len(sms) > SMS_MAX:  # a template edited too long: cut, never refused (it is rendered inside a decision)
        log.error("the %s SMS is %d characters, cut to %d: %s", event, len(sms), SMS_MAX, sms)
        sms = sms[:SMS_MAX - 1] + "…"
    return Text(_block(template, "title", context), sms, body)
