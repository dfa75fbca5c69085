"""create_app(settings): the route table (one Mount per area), middleware, lifespan, templates."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

import db
import settings as settings_module
from services.reference import exams as examdata
from services.documents import form_pdf as form_pdf_service
from services.payment import orders as payment_service
from services.reference import rarechars as rarechars_service
from services.providers.sms import make_sms_provider
from services.providers.alipay import make_alipay_provider
from services.providers.payment import make_payment_provider
from services.providers.wechat import make_wechat_provider
from views import accounts, dev, files, home, payment, printing, profile, rarechars, realname, review, wechat, wizard
from web import SECURITY_HEADERS, PlumbingMiddleware, Renderer, SqliteReader, template_filters

log = logging.getLogger("kjks")
ROOT = settings_module.ROOT


def create_app(settings: settings_module.Settings | None = None, *, manage_db: bool = True) -> Starlette:
    settings = settings or settings_module.load()

    templates = Jinja2Templates(directory=[str(ROOT / "templates"), str(ROOT / "partials")])
    # Templates change only with a deploy: no stat() of every template file on every render.
    templates.env.auto_reload = not (settings.production or settings.app_env == "test")
    template_filters(templates)
    templates.env.globals["rarechar_radicals"] = rarechars_service.radicals
    templates.env.filters["rarechar_button"] = rarechars.button_html
    render = Renderer(templates, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if manage_db:
            await db.init(settings.database_url)
        if settings.database_url.startswith("sqlite://"):
            app.state.sqlite_reader = SqliteReader(db.normalize_url(settings.database_url))
            examdata.reader = app.state.sqlite_reader
        rarechars_service.search(pinyin="yan")  # load the table now, not on the first visitor's search
        await anyio.to_thread.run_sync(form_pdf_service.register_fonts)  # not on the first 报名表打印
        gc.freeze()  # what start-up allocated lives for the process: keep it out of every GC pass
        # Unpaid orders close on time without a separate scheduler; safe with several processes.
        closer = asyncio.create_task(payment_service.close_expired_forever(settings)) if manage_db else None
        try:
            yield
        finally:
            if closer:
                closer.cancel()
            if manage_db:
                await db.close()

    routes = [
        Route("/", home.index, name="home"),
        Route("/help", home.help_centre, name="help"),
        Route("/captcha.png", accounts.captcha_image, name="captcha"),
        Route("/register", accounts.register, methods=["GET", "POST"], name="register"),
        Route("/sms/send", accounts.send_sms, methods=["POST"], name="sms_send"),
        Route("/login", accounts.login, methods=["GET", "POST"], name="login"),
        Route("/logout", accounts.logout, methods=["POST"], name="logout"),
        Route("/forgot", accounts.forgot, methods=["GET", "POST"], name="forgot"),
        Route("/account", accounts.account_page, name="account"),
        Mount("/login/wechat", routes=wechat.routes),
        Route("/account/wechat/unbind", wechat.unbind, methods=["POST"], name="wechat_unbind"),
        Route("/rarechars", rarechars.search_page, name="rarechars"),
        *realname.routes,
        *profile.routes,
        *wizard.routes,
        *payment.routes,
        *printing.routes,
        *review.routes,
        Route("/regions/cities", realname.city_options, name="city_options"),
        Route("/files/{name:path}", files.serve, name="file"),
        Mount("/static", StaticFiles(directory=str(ROOT / "static")), name="static"),
    ]
    if not settings.production:
        routes.append(Mount("/dev/pay", routes=payment.dev_routes))  # the payment gateway sandbox
        routes.append(Mount("/dev", routes=dev.routes))  # sandbox pages exist only outside production

    async def not_found(request: Request, exc: HTTPException):
        if exc.status_code in (301, 302, 303, 307) and exc.headers and "Location" in exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
        if exc.status_code == 403:
            return render(request, "errors/403.html", {"detail": exc.detail}, status=403)
        if exc.status_code == 404:
            return render(request, "errors/404.html", status=404)
        if exc.status_code == 405:
            return render(request, "errors/404.html", status=405)
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    async def server_error(request: Request, exc: Exception):
        rid = request.scope.get("state", {}).get("request_id", "-")
        log.exception("server error rid=%s %s %s", rid, request.method, request.url.path)
        # Starlette answers a 500 outside our middleware: the security headers are added here.
        try:
            return render(request, "errors/500.html", {"request_id": rid}, status=500, headers=SECURITY_HEADERS)
        except Exception:
            return PlainTextResponse(f"系统繁忙，请稍后再试。请求编号：{rid}", status_code=500, headers=SECURITY_HEADERS)

    app = Starlette(
        debug=False,
        routes=routes,
        middleware=[Middleware(PlumbingMiddleware, settings=settings, exempt_prefixes=("/pay/notify",))],
        exception_handlers={HTTPException: not_found, 500: server_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.render = render
    app.state.sms = make_sms_provider(settings)
    app.state.wechat = make_wechat_provider(settings)
    app.state.alipay = make_alipay_provider(settings)
    app.state.payments = make_payment_provider(settings)
    return app


def asgi():
    """uvicorn factory: `uvicorn --factory app:asgi`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app()
