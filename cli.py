"""The maintainers' CLI: python -m cli {migrate, seed FILE, demo, arrange, scores import, reviewer add, realname, sweep, run}.

It reuses the app's settings, database init and services.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import sys
from datetime import datetime, timezone
from pathlib import Path

from services.clock import CN
import db
import server
import settings as settings_module
from services.reference import regions
from services.accounts import login, passwords
from services.accounts.reviewers import add_reviewer
from services.reference import seeding
from services.reference.regions import PROVINCES

ROOT = Path(__file__).resolve().parent
DEMO_FILE = ROOT / "data" / "demo.toml"
# The demo reviewer exists only in development, with a password printed at every start.
DEMO_REVIEWER = ("beijing", "11", "Shenhe2027")


def today():
    return datetime.now(CN).date()


async def _with_db(settings, coro_fn):
    await db.migrate(settings.database_url)
    await db.init(settings.database_url)
    try:
        return await coro_fn()
    finally:
        await db.close()


async def seed_demo() -> dict:
    counts = await seeding.seed(DEMO_FILE, today())
    await add_reviewer(DEMO_REVIEWER[0], DEMO_REVIEWER[1], None, DEMO_REVIEWER[2])
    return counts


def cmd_migrate(settings, args):
    asyncio.run(db.migrate(settings.database_url, f"models.{args.to}" if args.to else None))
    print(f"数据库结构已迁移至 {args.to}" if args.to else "数据库已是最新结构")


def cmd_seed(settings, args):
    try:
        counts = asyncio.run(_with_db(settings, lambda: seeding.seed(Path(args.file), today())))
    except (seeding.SeedError, OSError) as e:
        print(f"导入失败：{e}", file=sys.stderr)
        return 2
    print(f"导入完成：新增 {counts['created']}，更新 {counts['updated']}，未变 {counts['unchanged']}")


def cmd_demo(settings, args):
    counts = asyncio.run(_with_db(settings, seed_demo))
    print(f"演示数据：新增 {counts['created']}，更新 {counts['updated']}，未变 {counts['unchanged']}")


def cmd_arrange(settings, args):
    """考场编排 of one exam in one province: the preview, or the arrangement (exit 2 when refused)."""
    from services import arrangement
    from services.clock import local, now

    async def go():
        ep = await arrangement.province_of(args.exam, args.province)
        if ep is None:
            return False, f"没有考试 {args.exam} 在省份 {args.province} 的报名", None
        if args.preview:
            p = await arrangement.preview(ep)
            return not p.shortages, "；".join(p.shortages) or "座位充足，可以编排", p
        out = await arrangement.arrange(ep, "命令行", now(), force=args.force)
        if out.reason == "pay_open":
            return False, f"缴费尚未结束（缴费截止 {local(ep.pay_end)}），确需提前编排请加 --force", out.plan
        return out.ok, out.message, out.plan

    ok, message, plan = asyncio.run(_with_db(settings, go))
    if plan is not None:
        print(f"已缴费考生 {plan.paid} 名，已编排 {plan.admitted} 名")
        print("报名点\t场次\t已编排\t待编排\t座位\t缺")
        for x in plan.loads:
            print(f"{x.city_name} {x.site_name}\t{x.session}\t{x.seated}\t{x.to_seat}\t{x.seats}\t{x.short or ''}")
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 2


def cmd_scores_import(settings, args):
    """成绩导入 of one exam: the preview (every refused row with its reason), stored only with --confirm; exit 2
    when the file is refused or cannot be confirmed."""
    from models.exams import Exam
    from services import scores
    from services.clock import now

    try:
        data = Path(args.file).read_bytes()
    except OSError as e:
        print(f"无法读取文件：{e}", file=sys.stderr)
        return 2

    async def go():
        exam = await Exam.filter(code=args.exam).first()
        if exam is None:
            return False, f"没有考试 {args.exam}", None
        if args.province and args.province not in PROVINCES:
            return False, f"未知的省份代码 {args.province}", None
        try:
            batch, p = await scores.prepare(exam, args.province, data, Path(args.file).name, "命令行", now())
        except scores.FileRefused as e:
            return False, f"文件无法导入：{e}", None
        if not args.confirm or not p.may_confirm:
            hint = "（预览，未导入；核对无误后加 --confirm 导入）" if p.may_confirm else ""
            return p.may_confirm or p.nothing_to_change, p.message + hint, p
        out = await scores.confirm(batch, now())
        return out.ok, out.message, out.preview or p

    ok, message, p = asyncio.run(_with_db(settings, go))
    if p is not None:
        for line in p.refused:
            print(f"第 {line.line} 行\t{line.number}\t{line.subject}\t{line.score}\t{line.reason}")
        for c in p.changes:
            print(f"更正\t{c.number}\t{c.name}\t{c.subject}\t{c.old} → {c.new}")
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 2


def cmd_reviewer_add(settings, args):
    if args.province not in PROVINCES:
        print(f"未知的省份代码 {args.province}；可用：{', '.join(PROVINCES)}", file=sys.stderr)
        return 2
    if args.city:
        # The scope compares city codes (Application.city_code): accept 海淀区 or 110108, store the code.
        by_name = {name: code for code, name in regions.cities(args.province)}
        city = args.city if regions.is_city(args.province, args.city) else by_name.get(args.city)
        if city is None:
            print(f"{PROVINCES[args.province]}没有地市 {args.city}", file=sys.stderr)
            return 2
        args.city = city
    printed = False
    password = args.password
    if not password and sys.stdin.isatty():
        password = getpass.getpass("密码（留空则自动生成）：")
    if not password:
        password = secrets.token_urlsafe(12)
        printed = True
    if err := passwords.password_error(password):
        print(err, file=sys.stderr)
        return 2
    created = asyncio.run(_with_db(settings, lambda: add_reviewer(args.username, args.province, args.city, password)))
    if not created:
        print(f"审核人员 {args.username} 已存在，未做修改", file=sys.stderr)
        return 1
    scope = PROVINCES[args.province] + (f" {args.city}" if args.city else "")  # the city as its code
    print(f"已创建审核人员 {args.username}（{scope}）")
    if printed:
        print(f"初始密码（只显示这一次）：{password}")


def cmd_realname(settings, args):
    """Until the reviewers' board exists, a maintainer can decide 线上实名认证 requests here."""
    from models.profiles import RealnameRequest
    from services.accounts import realname

    async def go():
        if args.realname_cmd == "list":
            rows = await RealnameRequest.filter(status="pending").order_by("id").prefetch_related("account")
            for r in rows:
                print(f"{r.id}\t{r.account.name}\t{r.province_code}/{r.city_code}\t{r.created_at:%Y-%m-%d %H:%M}")
            return None
        now = datetime.now(timezone.utc)
        return await realname.decide(args.id, args.realname_cmd == "approve", args.reason, "维护命令", now)

    error = asyncio.run(_with_db(settings, go))
    if error:
        print(error, file=sys.stderr)
        return 1
    if args.realname_cmd != "list":
        print("已通过" if args.realname_cmd == "approve" else "已设为未通过")


def cmd_notify(settings, args):
    """Once, what the app's notification job does (services/notifications/jobs.py): the events due recorded, the
    SMS due sent. Safe beside the running app: each event is told once whoever runs it."""
    from services import clock
    from services.notifications import jobs
    from services.providers.sms import make_sms_provider

    found, sent = asyncio.run(_with_db(settings, lambda: jobs.run_once(make_sms_provider(settings), clock.now())))
    print("通知：新记录 " + "、".join(f"{k} {v} 条" for k, v in found.items()) + f"；发送短信 {sent} 条")


def cmd_sweep(settings, args):
    """Once, what the app's periodic sweep does (services/documents/sweep.py): crash leftovers removed."""
    from services import clock
    from services.documents import sweep

    counts = asyncio.run(_with_db(settings, lambda: sweep.sweep(settings.upload_dir, clock.now())))
    if counts["skipped"]:
        print("另一个进程正在清理上传目录，本次未运行", file=sys.stderr)
        return 1
    print(f"清理完成：删除临时文件 {counts['temp']} 个、无记录引用的文件 {counts['unreferenced']} 个；"
          f"保留被引用的旧文件 {counts['referenced']} 个、一小时内的文件 {counts['young']} 个")


def cmd_run(settings, args):
    from db.reads import Reads
    from services import demo
    from services.clock import now
    from services.reference.exams import ReferenceData

    async def seed_all():
        await seed_demo()
        reads = Reads(settings.database_url)
        try:
            await demo.seed_applications(settings.upload_dir, now(), ReferenceData(reads, max_age=0))
        finally:
            reads.close()

    asyncio.run(_with_db(settings, seed_all))
    url = f"http://{settings.host}:{settings.port}"
    print("=" * 60)
    print(f"会计专业技术资格考试报名平台: {url}")
    print(f"演示审核人员（北京）: 用户名 {DEMO_REVIEWER[0]}  密码 {DEMO_REVIEWER[2]}")
    print(f"演示考生（已审核通过，可网上缴费）: {demo.login_hint()}")
    print(f"开发短信发件箱: {url}/dev/outbox")
    print("=" * 60, flush=True)
    server.serve(settings.host, settings.port, args.workers)


async def schema_problem(settings) -> str | None:
    """Why this node must not serve yet (the database unreachable, or migrations of this code not applied), or
    None. Nodes never migrate: `migrate` runs once, before them, and a node started earlier says so and stops."""
    try:
        await db.init(settings.database_url)
        try:
            await db.connections.get("default").execute_query("SELECT 1")  # reachable (the planner hides it)
            pending = await db.pending_migrations()
        finally:
            await db.close()
    except Exception as e:  # whatever the driver raises for a database it cannot reach
        return f"无法连接数据库（{type(e).__name__}: {e}），未启动。请检查 DATABASE_URL 与数据库服务后重试。"
    if pending:
        return (f"数据库尚未迁移到本版本的结构（缺少 {len(pending)} 项迁移：{pending[0]} 等），未启动。"
                "请先运行一次 python -m cli migrate，再启动各节点。")
    return None


def cmd_serve(settings, args):
    """Production: the app on HOST:PORT with --workers processes (migrations are `migrate`'s, run before)."""
    problem = asyncio.run(schema_problem(settings))
    if problem:
        print(problem, file=sys.stderr)
        return 2
    server.serve(args.host or settings.host, args.port or settings.port, args.workers, log_level=args.log_level,
                 access_log=args.access_log)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cli", description="会计资格考试报名平台维护命令")
    sub = parser.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("migrate", help="apply database migrations")
    m.add_argument("--to", help="move to this migration (e.g. 0008_application_progress_columns), backwards too")
    m.set_defaults(fn=cmd_migrate)
    p = sub.add_parser("seed", help="load exams from a TOML file (idempotent)")
    p.add_argument("file")
    p.set_defaults(fn=cmd_seed)
    sub.add_parser("demo", help="seed the demo exams (dates relative to today) and the demo reviewer").set_defaults(
        fn=cmd_demo)
    ar = sub.add_parser("arrange", help="考场编排 of one exam in one province (seats and 准考证号)")
    ar.add_argument("exam", help="the exam's code, e.g. demo-chuji")
    ar.add_argument("province", help="province code, e.g. 11")
    ar.add_argument("--preview", action="store_true", help="only show candidates, seats and shortages")
    ar.add_argument("--force", action="store_true", help="arrange although 缴费 has not closed yet")
    ar.set_defaults(fn=cmd_arrange)
    sc = sub.add_parser("scores", help="成绩 of an exam")
    scsub = sc.add_subparsers(dest="scores_cmd", required=True)
    si = scsub.add_parser("import", help="import a CSV of 准考证号, 科目, 成绩 (a preview unless --confirm)")
    si.add_argument("exam", help="the exam's code, e.g. demo-chuji")
    si.add_argument("file")
    si.add_argument("--province", default=None, help="only candidates of this province (code, e.g. 11)")
    si.add_argument("--confirm", action="store_true", help="store the whole file (nothing if any row is refused)")
    si.set_defaults(fn=cmd_scores_import)
    r = sub.add_parser("reviewer", help="reviewer accounts")
    rsub = r.add_subparsers(dest="reviewer_cmd", required=True)
    ra = rsub.add_parser("add", help="create a reviewer for a province (and optionally a city)")
    ra.add_argument("username")
    ra.add_argument("--province", required=True, help="province code, e.g. 11 for 北京")
    ra.add_argument("--city", default=None)
    ra.add_argument("--password", default=None, help="if omitted: asked for, or generated and printed once")
    ra.set_defaults(fn=cmd_reviewer_add)
    rn = sub.add_parser("realname", help="线上实名认证 requests (until the reviewers' board)")
    rnsub = rn.add_subparsers(dest="realname_cmd", required=True)
    rnsub.add_parser("list", help="pending requests").set_defaults(fn=cmd_realname)
    ap = rnsub.add_parser("approve", help="approve a request")
    ap.add_argument("id", type=int)
    ap.set_defaults(fn=cmd_realname, reason=None)
    rj = rnsub.add_parser("reject", help="reject a request with a reason")
    rj.add_argument("id", type=int)
    rj.add_argument("--reason", required=True)
    rj.set_defaults(fn=cmd_realname)
    sub.add_parser("notify", help="run the notification job once: record the events due, send the SMS due"
                   ).set_defaults(fn=cmd_notify)
    sub.add_parser("sweep", help="remove crash leftovers from the upload folder: temp files and files no row "
                   "refers to, older than an hour").set_defaults(fn=cmd_sweep)
    run = sub.add_parser("run", help="migrate, seed the demo data and serve")
    run.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")))
    run.set_defaults(fn=cmd_run)
    sv = sub.add_parser("serve", help="serve the app (production: run `migrate` first)")
    sv.add_argument("--host")
    sv.add_argument("--port", type=int)
    sv.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")))
    sv.add_argument("--log-level", default="info")
    sv.add_argument("--access-log", action="store_true")
    sv.set_defaults(fn=cmd_serve)
    args = parser.parse_args(argv)
    settings = settings_module.load()
    passwords.configure(time_cost=settings.password_time_cost, memory_kib=settings.password_memory_kib,
                        parallelism=settings.password_parallelism, at_once=settings.password_hashes_at_once)
    login.configure(failure_seconds=settings.login_failure_seconds)
    if args.cmd == "run" and settings.production:
        print("run 命令用于开发演示；生产环境请先运行 python -m cli migrate，再用 python -m cli serve 启动", file=sys.stderr)
        return 2
    return args.fn(settings, args) or 0


if __name__ == "__main__":
    sys.exit(main())
