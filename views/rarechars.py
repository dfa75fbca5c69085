"""生僻字 picker: search by pinyin, stroke count and radical. A page without JavaScript, a panel with htmx."""
from functools import lru_cache

from markupsafe import Markup, escape
from starlette.requests import Request

from services.reference import rarechars
from web import current_session, render


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@lru_cache(maxsize=None)
def button_html(rc: rarechars.RareChar) -> Markup:
    """One result button, rendered once per character: a 200-result fragment is then a join."""
    return Markup(
        f'<li><button type="button" class="rc" data-char="{escape(rc.char)}" title="{escape(rc.codepoint)} '
        f'{escape("/".join(rc.pinyin))} {rc.strokes}画">{escape(rc.char)}<small>{escape(rc.pinyin[0])}</small>'
        f"</button></li>"
    )


async def search_page(request: Request):
    await current_session(request)
    q = request.query_params
    pinyin = (q.get("pinyin") or "").strip()[:12]
    strokes, radical = _int(q.get("strokes")), _int(q.get("radical"))
    results = rarechars.search(pinyin=pinyin or None, strokes=strokes, radical=radical, limit=200)
    searched = bool(pinyin or strokes or radical)
    ctx = {"results": results, "searched": searched, "pinyin": pinyin, "strokes": strokes, "radical": radical,
           "radicals": rarechars.radicals(), "back": q.get("back", "/register")}
    return render(request, "accounts/rarechars.html", ctx, fragment="rarechar_results.html")
