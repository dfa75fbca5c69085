"""The board's 姓名/证件号后4位 search, kept in the reviewer's server-side session, never in a URL.

A candidate's name or the end of an ID number in a query string goes into the access logs of nginx and the
app, the browser's history and any link copied from the address bar. So the search is posted (POST
/review/search) and kept on the session row (Session.review_search): the queue, its pages, its counts and 导出
read it from there, and it ends with the session (logout, expiry). Each session has its own: another reviewer,
or the same reviewer in another browser, does not see it.
"""
from __future__ import annotations

from models.accounts import Session

MAX = Session._meta.fields_map["review_search"].max_length  # the field's maxlength, and no name is longer


def of(session: Session | None) -> str:
    """The search in force for this session ('' for none)."""
    return (session.review_search or "") if session is not None else ""


async def remember(session: Session, text: str) -> str:
    """Keep `text` (stripped, at most MAX characters; '' clears it) as this session's search, and return it."""
    text = text.strip()[:MAX]
    await Session.filter(id=session.id).update(review_search=text or None)
    session.review_search = text or None  # this request's copy of the row: what is rendered next
    return text
