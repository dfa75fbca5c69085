"""生僻字 picker: search by pinyin, stroke count and radical. A page without JavaScript, a panel with htmx."""
from starlette.requests import Request

from services.reference import rarechars
from web.forms import Form, safe_next
from web.render import render


async def search_page(request: Request):
    q = Form(request.query_params)
    pinyin = q.get("pinyin")[:12]
    strokes, radical = q.number("strokes", 1, 99), q.number("radical", 1, 214)  # the 214 Kangxi radicals
    results = rarechars.search(pinyin=pinyin or None, strokes=strokes, radical=radical, limit=200)
    searched = bool(pinyin or strokes or radical)
    ctx = {"results": results, "searched": searched, "pinyin": pinyin, "strokes": strokes, "radical": radical,
           "radicals": rarechars.radicals(), "back": safe_next(q.get("back") or "/register")}
    return render(request, "accounts/rarechars.html", ctx, fragment="rarechar_results.html")
