"""Reading what a request sends: posted forms, query values, the client's address, a `next` path."""
from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request


class Form:
    """Single-valued access to a posted form: a missing field is '', a repeated one is an error."""

    def __init__(self, data: FormData):
        self.data = data
        self.errors: dict[str, str] = {}

    def get(self, name: str, *, strip: bool = True) -> str:
        values = self.data.getlist(name)
        if len(values) > 1:
            self.errors[name] = "该项重复提交，请刷新页面后重新填写"
            return ""
        value = values[0] if values else ""
        if not isinstance(value, str):
            self.errors[name] = "该项格式不正确"
            return ""
        return value.strip() if strip else value

    def texts(self, name: str) -> list[str]:
        """Every value of a repeated field (check boxes), files left out."""
        return [v for v in self.data.getlist(name) if isinstance(v, str)]

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def int_or_none(value) -> int | None:
    """A whole number typed or posted (an id, a page), or None for anything else."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(value: str) -> str:
    """Where to go after logging in: a path of this site only, else the home page."""
    return value if value.startswith("/") and not value.startswith("//") else "/"
