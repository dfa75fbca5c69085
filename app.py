"""create_app(settings): the route table (the map of the product), middleware, lifespan, templates.

Each route names one handler in views/; each handler calls the service functions of its area
(services/<area>/) and renders a template. What lives for the whole process is made here once:
the read path (app.state.reads), the exam reference data (app.state.reference), the outside providers
(app.state.providers) and the renderer (app.state.render).
"""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect
from starlette.routing import Mount, Route

import db
import settings as settings_module
from db.reads import Reads
from services.accounts import housekeeping, login, passwords
from services.documents import form_pdf, sweep
from services.documents.tickets import window as ticket_window
from services.notifications import jobs as notification_jobs
from services.payment import closing
from services.providers import make_providers
from services.reference import rarechars, regions
from services.reference.exams import ReferenceData
from views import accounts, dev, files, health, home, payment, printing, profile, realname, review, wechat, wizard
from views import messages, room_lists, score_board, scores, tickets
from views import rarechars as rarechar_views
from web import errors, metrics
from web.admission import Admission
from web.limits import BodyLimits
from web.middleware import PlumbingMiddleware
from web.render import Renderer, templates_for
from web.static import StaticFiles

log = logging.getLogger("kjks")
ROOT = settings_module.ROOT


def create_app(settings: settings_module.Settings | None = None, *, manage_db: bool = True) -> Starlette:
    settings = settings or settings_module.load()
    passwords.configure(time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib,
                        parallelism=settings.password_parallelism, at_once=settings.password_hashes_at_once)
    login.configure(failure_seconds=settings.login_failure_seconds)
    static = StaticFiles(ROOT / "static")  # from memory, under versioned URLs (web/static.py)
    render = Renderer(templates_for(settings, {"rarechar_radicals": rarechars.radicals, "static_url": static.url,
                                               # every province's cities: the city list without JavaScript
                                               "region_provinces": regions.PROVINCES, "region_cities": regions.cities,
                                               "ticket_window": ticket_window}),  # 准考证打印's button
                      settings)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if manage_db:
            await db.init(settings.database_url)
        app.state.reads = Reads(settings.database_url)
        app.state.reference = ReferenceData(app.state.reads, settings.reference_max_age)
        rarechars.search(pinyin="yan")  # load the table now, not on the first visitor's search
        await anyio.to_thread.run_sync(form_pdf.register_fonts)  # not on the first 报名表打印
        gc.freeze()  # what start-up allocated lives for the process: keep it out of every GC pass
        # The periodic jobs, without a separate scheduler; each is safe with several processes at once:
        # unpaid orders close on time, what anonymous requests leave is purged, crash leftovers are swept,
        # candidates are told what happened.
        jobs = [
            closing.close_expired_forever(app.state.providers.payments),
            housekeeping.purge_forever(idle_seconds=settings.session_idle_seconds,
                                       max_seconds=settings.session_max_seconds),
            sweep.sweep_forever(settings.upload_dir),
            # 消息 and SMS: the time-based events recorded, the SMS due sent (services/notifications/)
            notification_jobs.notify_forever(app.state.providers.sms),
        ] if manage_db else []
        tasks = [asyncio.create_task(job) for job in jobs] + [asyncio.create_task(app.state.admission.watch())]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await app.state.providers.aclose()
            await app.state.reference.close()
            app.state.reads.close()
            if manage_db:
                await db.close()

    routes = [
        Route("/", home.index, name="home"),
        Route("/help", home.help_centre, name="help"),
        # For the operator: the process serves and its database answers (views/health.py)
        Route("/healthz", health.healthz, name="healthz"),
        Route("/readyz", health.readyz, name="readyz"),
        # Prometheus, only for METRICS_ALLOW (web/metrics.py); nginx does not pass it on (deploy/nginx.conf)
        Route("/metrics", metrics.make_endpoint(settings.metrics_allow), name="metrics"),
        # 注册, 登录, 找回密码, 账号信息 (views/accounts.py; services/accounts/)
        Route("/captcha.png", accounts.captcha_image, name="captcha"),
        Route("/register", accounts.register, methods=["GET", "POST"], name="register"),
        Route("/sms/send", accounts.send_sms, methods=["POST"], name="sms_send"),
        Route("/login", accounts.login, methods=["GET", "POST"], name="login"),
        Route("/logout", accounts.logout, methods=["POST"], name="logout"),
        Route("/forgot", accounts.forgot, methods=["GET", "POST"], name="forgot"),
        Route("/account", accounts.account_page, name="account"),
        Route("/rarechars", rarechar_views.search_page, name="rarechars"),
        Route("/register/rarechars", accounts.rarechar_page, methods=["POST"], name="rarechar_pick"),  # without JS
        # 微信扫码登录 (views/wechat.py; services/accounts/wechat.py)
        Mount("/login/wechat", routes=wechat.routes),
        Route("/account/wechat/unbind", wechat.unbind, methods=["POST"], name="wechat_unbind"),
        # 实名认证 (views/realname.py; services/accounts/realname.py)
        *realname.routes,
        Route("/regions/cities", realname.city_options, name="city_options"),
        # 信息采集 (views/profile.py; services/accounts/profile.py)
        *profile.routes,
        # 网上报名: the wizard (views/wizard.py; services/registration/)
        *wizard.routes,
        # 网上缴费 (views/payment.py; services/payment/)
        *payment.routes,
        # 报名表打印 and its verification page (views/printing.py; services/documents/printing.py, form_pdf.py)
        *printing.routes,
        # 准考证打印, its verification page, the reviewers' copy (views/tickets.py; services/documents/tickets.py)
        *tickets.routes,
        # 考场签到表, 门贴 and the arrangement's CSV for the office (views/room_lists.py; services/documents/room_lists.py)
        *room_lists.routes,
        # 消息: the candidate's notifications and the reminders' switch (views/messages.py; services/notifications/)
        *messages.routes,
        # 成绩: the office's import and publication on the board, the candidate's 成绩查询 (views/score_board.py,
        # views/scores.py; services/scores/)
        *score_board.routes,
        *scores.routes,
        # 审核: the reviewers' board (views/review.py; services/review/)
        *review.routes,
        # Uploaded files, only for whoever may see them (views/files.py; services/documents/access.py)
        Route("/files/{name:stored}", files.serve, name="file"),
        Mount("/static", static, name="static"),
    ]
    if not settings.production:
        # The outside providers' sandboxes (their own pages), only outside production (views/dev.py).
        routes.append(Mount("/dev", routes=dev.routes))

    # 系统繁忙 instead of a collapse: how many requests this process is handling, and who waits (web/admission.py).
    admission = Admission(settings.admission_bound, settings.admission_lag_ms, database_waits=db.database_waits)
    app = Starlette(
        debug=False,
        routes=routes,
        # Outermost, the requests' metrics (web/metrics.py), so that the refusals are counted too. Then every
        # request: its size (web.limits, one limit per route) before its body is read, admission, then CSRF.
        middleware=[Middleware(metrics.MetricsMiddleware),
                    Middleware(PlumbingMiddleware, settings=settings, exempt_prefixes=("/pay/notify",),
                               body_limit=BodyLimits(routes), refuse=errors.refusal, busy=errors.busy,
                               admission=admission)],
        exception_handlers={HTTPException: errors.http_error, ClientDisconnect: errors.client_gone,
                            500: errors.server_error, **wizard.exception_handlers},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.admission = admission
    app.state.render = render
    app.state.providers = make_providers(settings)
    return app


def asgi():
    """uvicorn factory: `uvicorn --factory app:asgi`."""
    settings = settings_module.load()
    node = f" node={settings.node_name}" if settings.node_name else ""  # several nodes write to one log store
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s{node} %(levelname)s %(name)s %(message)s")
    return create_app(settings)
