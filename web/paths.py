"""Typed path parameters: the shapes of what a URL may name, as Starlette path convertors.

Every route names its parameters with one of these ({app_id:id}, {state:token}, {name:stored}...). They are
registered with Starlette once, when this module is imported (web/__init__.py imports it, so before any route is
built: an unknown convertor fails at start-up). A URL whose parameter does not have its shape matches no route:
it is the 404 page, and no handler sees it. The same shapes check query values that name the same things
(web.forms.Form.shaped).
"""
from __future__ import annotations

import re

from starlette.convertors import Convertor, register_url_convertor

from models.applications import Application
from services.documents import form_pdf, uploads
from services.payment import orders

ID_MAX: int = Application._meta.pk.constraints["le"]  # every id column is an INTEGER: 2147483647
PAGE_MAX = 999  # pages of a PDF material (services.registration.materials allows far fewer)


def whole_numbers(high: int) -> str:
    """A regex of the whole numbers 1..high written as usual (no sign, no leading zero): a longer or larger
    number does not match, so it never reaches int() or the database."""
    digits = str(high)
    n = len(digits)
    shorter = [f"[1-9][0-9]{{0,{n - 2}}}"] if n > 1 else []
    same_length = []
    for i, d in enumerate(digits):  # the first i digits as in `high`, then a smaller one, then any
        low = 1 if i == 0 else 0
        if int(d) - 1 >= low:
            same_length.append(f"{digits[:i]}[{low}-{int(d) - 1}][0-9]{{{n - i - 1}}}")
    return "(?:" + "|".join(shorter + same_length + [digits]) + ")"


def _chars(alphabet: str) -> str:
    return "[" + re.escape(alphabet) + "]"


# name → regex; each is the shape the code issues (see where each comes from).
SHAPES: dict[str, str] = {
    "id": whole_numbers(ID_MAX),
    "page": whole_numbers(PAGE_MAX),
    # WeChat login state (services.accounts.wechat) and Alipay certify id (services.providers.alipay):
    # secrets.token_urlsafe(24); Alipay's own certify ids are 32 characters as well.
    "token": r"[A-Za-z0-9_-]{32}",
    # 成绩导入's batch between its preview and its confirmation (services.scores): secrets.token_urlsafe(16)[:22].
    "import_token": r"[A-Za-z0-9_-]{22}",
    # 订单号码, services.payment.orders.order_number: 20271130-11-7F3K9Q2M
    "order": orders.NUMBER_SHAPE.pattern,
    "province": r"[0-9]{2}",  # a province code (services.reference.regions.PROVINCES)
    # an exam's code, the natural key of the seed file (Exam.code, 32 characters at most), e.g. 2027-chuji
    "exam_code": r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}",
    # the 报名表's verification code (services.documents.form_pdf.new_code)
    "verify_code": f"{_chars(form_pdf.CODE_ALPHABET)}{{{form_pdf.CODE_LENGTH}}}",
    # the sandbox gateway's trade number (services.providers.payment.SandboxPayments.create)
    "trade_no": r"SBX[0-9]{8}[0-9A-F]{16}",
    # a stored upload's name (services.documents.uploads.store), e.g. realname/3f2a…9c.jpg
    "stored": uploads._STORED.pattern,
}
_COMPILED = {name: re.compile(regex) for name, regex in SHAPES.items()}


def fits(shape: str, value) -> bool:
    """Whether `value` is a string of this shape."""
    return isinstance(value, str) and _COMPILED[shape].fullmatch(value) is not None


class _Shaped(Convertor[str]):
    def __init__(self, regex: str):
        self.regex = regex

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


class _Number(_Shaped):
    def convert(self, value: str) -> int:  # type: ignore[override]
        return int(value)


for _name, _regex in SHAPES.items():
    register_url_convertor(_name, _Number(_regex) if _name in ("id", "page") else _Shaped(_regex))
