"""生僻字 picker: search by pinyin, stroke count and radical. A page without JavaScript, a panel with htmx."""
from starlette.requests import Request

from services.reference import rarechars
from web.forms import int_or_none
from web.render import render


async def search_page(request: Request):
    q = request.query_params
    pinyin = (q.get("pinyin") or "").strip()[:12]
    strokes, radical = int_or_none(q.get("strokes") or None), int_or_none(q.get("radical") or None)
    results = rarechars.search(pinyin=pinyin or None, strokes=strokes, radical=radical, limit=200)
    searched = bool(pinyin or strokes or radical)
    ctx = {"results": results, "searched": searched, "pinyin": pinyin, "strokes": strokes, "radical": radical,
           "radicals": rarechars.radicals(), "back": q.get("back", "/register")}
    return render(request, "accounts/rarechars.html", ctx, fragment="rarechar_results.html")
