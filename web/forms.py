"""Reading what a request sends, typed and bounded where it comes in: posted forms and query values (`Form`,
`posted`), a `next` path, the client's address.

Every value a handler reads goes through a `Form` (a posted form, or `Form(request.query_params)`): text holds
no control character that no field accepts (NUL above all: PostgreSQL refuses it) and fits a maximum (a default
for any value, or the column it is looked up in); an id is a whole number within the id columns' range; a value
that names something of a known shape (web.paths) has that shape. What does not is refused with a Chinese
message next to the field, or read as nothing, so no handler passes an impossible value to the database. Path
parameters are typed by web.paths; the size of a request by web.limits (before its body is read).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from services.reference import regions
from web import paths

TEXT_MAX = 1000  # characters of any one value (the longest text a form takes is 200)
FIELD_BYTES = 64 * 1024  # one text field of a multipart form (files are bounded by web.limits)
MAX_FIELDS = 200  # fields of one form (批量通过 posts at most a page of ids)
MAX_FILES = 5  # files of one form (实名认证 posts three)
# Control characters no field accepts; tab, line feed and carriage return are typed in a textarea.
REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

INVALID = "包含无效字符，请删除后重新填写"
REPEATED = "该项重复提交，请刷新页面后重新填写"
NOT_TEXT = "该项格式不正确"
TOO_MANY = "提交的项目过多，请刷新页面后重新填写"
MALFORMED = "提交的内容格式有误，请刷新页面后重新填写"
FIELD_TOO_LARGE = "填写的内容过长，请检查后重新提交"


def too_long(most: int) -> str:
    return f"内容过长，不能超过{most}个字"


def column(model, name: str) -> int:
    """The length of a text column (a CharField's max_length): the longest value a lookup in it can match."""
    return model._meta.fields_map[name].max_length


class Form:
    """Single-valued, typed access to a posted form or a query string.

    A missing field is ''; a repeated one, a value with a refused control character, or one longer than its
    maximum is '' with the message in `errors` (next to the field). `limits` gives a field its own maximum (a
    value written to or looked up in a column); `keys` names the fields whose value is looked up against a
    column of that length to find who is logging in: longer, it names no row and `key()` says so, without an
    error, so the answer is the one for an unknown name.
    """

    def __init__(self, data, *, limits: dict[str, int] | None = None, keys: dict[str, int] | None = None):
        self.data = data
        self.errors: dict[str, str] = {}
        self.limits = limits or {}
        self.keys = keys or {}

    def _clean(self, name: str, value) -> str | None:
        """The text of one value, or None (with the message) when it is refused."""
        if not isinstance(value, str):
            self.error(name, NOT_TEXT)
            return None
        if REFUSED.search(value):
            self.error(name, INVALID)
            return None
        most = self.limits.get(name, TEXT_MAX)
        if len(value) > most and name not in self.keys:
            self.error(name, too_long(most))
            return None
        return value

    def get(self, name: str, *, strip: bool = True) -> str:
        values = self.data.getlist(name)
        if len(values) > 1:
            self.error(name, REPEATED)
            return ""
        value = self._clean(name, values[0]) if values else ""
        if value is None:
            return ""
        return value.strip() if strip else value

    def texts(self, name: str) -> list[str]:
        """Every value of a repeated field (check boxes), files left out."""
        return [v for v in self.data.getlist(name) if isinstance(v, str) and self._clean(name, v) is not None]

    def key(self, name: str) -> str | None:
        """The value of a `keys` field when its column can hold it, else None (no row has it)."""
        value = self.get(name)
        return value if len(value) <= self.keys[name] else None

    def number(self, name: str, low: int, high: int) -> int | None:
        """A whole number within [low, high], or None (for '' and anything else)."""
        value = self.get(name)
        if not re.fullmatch(r"-?[0-9]{1,12}", value):
            return None
        n = int(value)
        return n if low <= n <= high else None

    def id(self, name: str) -> int | None:
        """An id (1..web.paths.ID_MAX), or None: nothing else names a row."""
        value = self.get(name)
        return int(value) if paths.fits("id", value) else None

    def shaped(self, name: str, shape: str) -> str:
        """The value when it has the shape (web.paths.SHAPES) of what it names, else ''."""
        value = self.get(name)
        return value if paths.fits(shape, value) else ""

    def choice(self, name: str, choices, message: str) -> str | None:
        """One of `choices`, or None with `message` next to the field."""
        value = self.get(name)
        if value in choices:
            return value
        self.error(name, message)
        return None

    def replace(self, name: str, value: str) -> None:
        """`name` holds `value` from now on: a value the handler derived from another one it read (a city's
        province), so that the rules that read the form see one consistent pair."""
        self.data = FormData([(k, v) for k, v in self.data.multi_items() if k != name] + [(name, value)])

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    async def close(self) -> None:
        """Remove the uploaded files' temporary copies (a multipart form)."""
        if isinstance(self.data, FormData):
            await self.data.close()


async def posted(request: Request, **typing) -> Form:
    """The posted form, typed (`Form(data, **typing)`). What the framework cannot read (too many fields or files,
    a text field too large, malformed multipart) is refused here with the Chinese 400 / 413 page, never the
    framework's English words. A file is bounded by the route's body limit (web.limits); a form with files
    is closed by the caller (`await form.close()`)."""
    try:
        data = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=FIELD_BYTES)
    except (MultiPartException, HTTPException) as exc:
        message = getattr(exc, "message", None) or getattr(exc, "detail", "")
        if isinstance(exc, HTTPException) and exc.status_code != 400:
            raise  # the body limit's 413 (web.middleware): its own page already
        if "exceeded maximum size" in message:
            raise HTTPException(413, FIELD_TOO_LARGE) from None
        raise HTTPException(400, TOO_MANY if message.startswith("Too many") else MALFORMED) from None
    return Form(data, **typing)


def province_from_city(form: Form, province: str, city: str) -> None:
    """A city chosen from the list of every province's cities (the page without JavaScript, partials/
    city_select.html) names its province: the form's `province`, left empty, is set to it."""
    named = regions.province_of(form.get(city))
    if named and province in form.data and not form.get(province):  # a province chosen too must match (the rules)
        form.replace(province, named)


def ascii_fields(body: bytes, most: int = 256) -> dict[str, str] | None:
    """A server-to-server form (urlencoded): its fields when each is printable ASCII of at most `most`
    characters and appears once, else None (refused whole: a repeated field could smuggle a second value past
    a signature, and nothing else is what a gateway signs)."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return None
    pairs = parse_qsl(text, keep_blank_values=True)
    printable = re.compile(rf"[\x20-\x7e]{{0,{most}}}")
    if not all(printable.fullmatch(k) and printable.fullmatch(v) for k, v in pairs):
        return None
    fields = dict(pairs)
    return fields if len(fields) == len(pairs) else None


def split_ids(values: list[str]) -> tuple[list[int], list[str]]:
    """The ids among `values` (1..web.paths.ID_MAX), and the values that are not ids (they name no row)."""
    return [int(v) for v in values if paths.fits("id", v)], [v for v in values if not paths.fits("id", v)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


_SAME_SITE_PATH = re.compile(r"/(?![/\\])[!-\[\]-~]*")  # printable ASCII without a backslash or a space
NEXT_MAX = 512


def safe_next(value) -> str:
    """Where to go after logging in (or back to): a path of this site only, else the home page. The one check
    of every `next` and `back`: it starts with one "/" (not "//" or "/\\", which a browser reads as another
    host), holds no backslash, space or control character and so no scheme or host."""
    if isinstance(value, str) and len(value) <= NEXT_MAX and _SAME_SITE_PATH.fullmatch(value):
        return value
    return "/"
