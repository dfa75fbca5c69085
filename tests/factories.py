"""Builders shared by the tests: accounts, requests through the real forms, wizard steps, payments, the
reviewers' board, PDFs and test images. The only module tests import from one another (fixtures live in the
conftest files)."""
from __future__ import annotations

import asyncio
import io
import os
import re
import secrets
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import httpx
from fontTools.ttLib import TTFont
from itsdangerous import Signer
from PIL import Image
from pypdf import PdfReader, PdfWriter

from models.accounts import Account, Reviewer, Session, SmsThrottle
from models.applications import Application
from models.exams import Exam, ExamCity, ExamProvince, Site
from models.payments import Order
from models.profiles import Education, Profile
from models.sandbox import SmsOutbox
from models.snapshot import Snapshot
from services.accounts import realname
from services.accounts.idnumbers import check_digit
from services.accounts.reviewers import add_reviewer
from services.accounts.sessions import sid_hash
from services.clock import now
from services.documents import form_pdf, uploads
from services.providers.payment import signature
from services.reference import rarechars

CAPTCHA = os.environ.get("CAPTCHA_FIXED", "TEST")
CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


async def csrf_of(client: httpx.AsyncClient, path: str = "/register") -> str:
    page = await client.get(path)
    m = CSRF_RE.search(page.text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


# ---------------------------------------------------------------------- accounts

PASSWORD = "Passw0rd2027"

def mainland_id(first17: str = "11010519900307123") -> str:
    return first17 + check_digit(first17)

async def three_minutes_pass(phone: str) -> None:
    """Move the phone's last send back, as if the 3-minute resend wait were over."""
    for row in await SmsThrottle.filter(phone=phone):
        await SmsThrottle.filter(phone=phone).update(last_sent_at=row.last_sent_at - timedelta(minutes=3))

async def sms_code(client, phone: str, purpose: str = "register") -> str:
    sent_after = now()
    token = await csrf_of(client, "/register" if purpose == "register" else "/forgot")
    await client.get("/captcha.png")  # the image captcha comes before the SMS
    r = await client.post("/sms/send", data={"phone": phone, "purpose": purpose, "csrf_token": token,
                                             "captcha": CAPTCHA}, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    for _ in range(100):  # a reset code is delivered after the answer (services.accounts.sms)
        row = await SmsOutbox.filter(phone=phone).order_by("-id").first()
        if row is not None and row.sent_at >= sent_after:
            return row.code
        await asyncio.sleep(0.01)
    raise AssertionError(f"no SMS reached {phone}")

def register_form(token: str, **overrides) -> dict:
    form = {"csrf_token": token, "id_type": "mainland", "id_number": mainland_id(), "name": "张三丰",
            "password": PASSWORD, "password2": PASSWORD, "phone": "13800138000", "sms_code": ""}
    form.update(overrides)
    return form

async def register(client, **overrides) -> Account:
    """Register through the real form (SMS code from the sandbox outbox); returns the stored account."""
    phone = overrides.get("phone", "13800138000")
    code = await sms_code(client, phone)
    token = await csrf_of(client, "/register")
    r = await client.post("/register", data=register_form(token, sms_code=code, **overrides))
    assert r.status_code == 303, r.text
    return await Account.get(phone=phone)

async def login(client, login_name: str, password: str = PASSWORD, captcha: str = CAPTCHA):
    token = await csrf_of(client, "/login")
    await client.get("/captcha.png")
    return await client.post("/login", data={"csrf_token": token, "login": login_name, "password": password,
                                             "captcha": captcha, "next": "/"})

def field_error(html: str, field: str) -> str | None:
    m = re.search(rf'id="{field}-error">(.*?)</p>', html, re.S)
    return m.group(1).strip() if m else None

async def candidate(client, **kw):
    account = await register(client, **kw)
    await realname.mark_verified(account.id, "alipay", now())
    return account

# ---------------------------------------------------------------------- requests


async def post(client, path, data=None):
    return await client.post(path, data={"csrf_token": await csrf_of(client, "/exams"), **(data or {})})

# ---------------------------------------------------------------------- the wizard


async def enter(client, code="demo-chuji") -> int:
    exam = await Exam.get(code=code)
    r = await post(client, f"/exams/{exam.id}/enter")
    assert r.status_code == 303
    return int(re.search(r"/apply/(\d+)/", r.headers["location"]).group(1))

async def to_condition(client, code="demo-chuji", province="11") -> int:
    app_id = await enter(client, code)
    assert (await post(client, f"/apply/{app_id}/province", {"province": province})).status_code == 303
    assert (await post(client, f"/apply/{app_id}/notice", {"agree": "1"})).status_code == 303
    assert (await post(client, f"/apply/{app_id}/announcements")).status_code == 303
    return app_id
PERSONAL = {"ethnicity": "汉族", "political_status": "群众", "address": "北京市朝阳区建国路1号", "postcode": "100020",
            "email": "a@example.com", "level": "大学本科", "school": "某大学", "major": "会计学",
            "graduated_on": "2012-07-01", "certificate_no": "123", "degree": "学士", "degree_org": "某大学",
            "degree_date": "2012-07-01", "no_employer": "1", "accounting_start": "", "position": ""}

async def at_info(client, code="demo-chuji"):
    account = await candidate(client)
    await Education.create(account=account, level="大学本科", school="首都经济贸易大学", major="会计学",
                           graduated_on=date(2012, 7, 1), certificate_no="100381201205001234")
    await Profile.create(account=account, ethnicity="汉族", political_status="群众", address="北京市东城区1号",
                         postcode="100010", email="z@example.com", degree="学士", degree_org="首都经济贸易大学",
                         degree_date=date(2012, 7, 1), accounting_start=date(2013, 3, 1), work_saved=True,
                         basic_saved=True)
    app_id = await to_condition(client, code)
    condition = "chuji_high_school" if code == "demo-chuji" else "zhongji_benke"
    assert (await post(client, f"/apply/{app_id}/condition", {"condition": condition})).status_code == 303
    return account, app_id

async def city_and_site(code="110105"):
    city = await ExamCity.filter(code=code, exam_province__province_code="11",
                                 exam_province__exam__code="demo-chuji").first()
    site = await Site.filter(city=city, capacity__gte=500).first()
    return city, site

async def upload_photo(client, app_id, photo=None):
    token = await csrf_of(client, "/exams")
    return await client.post(f"/apply/{app_id}/photo", data={"csrf_token": token},
                             files={"photo": ("me.jpg", photo or images.photo(), "image/jpeg")})

async def submit_info(client, app_id, **overrides):
    city, site = await city_and_site()
    data = {"city": city.id, "site": site.id, "subjects": ["初级会计实务", "经济法基础"], **PERSONAL, **overrides}
    return await post(client, f"/apply/{app_id}/info", data)

def pdf(pages=1, password=None) -> bytes:
    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(width=595, height=842)
    if password:
        w.encrypt(password)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()

async def at_step(client, code="demo-chuji", province_site=("110105", 500)):
    account, app_id = await at_info(client, code)
    await upload_photo(client, app_id)
    city = await ExamCity.filter(code=province_site[0], exam_province__province_code="11",
                                 exam_province__exam__code=code).first()
    site = await Site.filter(city=city, capacity__gte=province_site[1]).order_by("capacity").first()
    subjects = ["初级会计实务", "经济法基础"] if code == "demo-chuji" else ["财务管理"]
    r = await post(client, f"/apply/{app_id}/info", {"city": city.id, "site": site.id, "subjects": subjects,
                                                     **PERSONAL})
    assert r.status_code == 303, r.text[:2000]
    return account, app_id, site

async def upload(client, app_id, item, content, name="x.pdf"):
    token = await csrf_of(client, "/exams")
    return await client.post(f"/apply/{app_id}/materials/upload", data={"csrf_token": token, "item": item},
                             files={"file": (name, content, "application/pdf")})

async def submitted(client):
    _, app_id, site = await at_step(client)
    await post(client, f"/apply/{app_id}/materials")
    assert (await post(client, f"/apply/{app_id}/confirm")).status_code == 303
    return app_id, site

# ---------------------------------------------------------------------- payment


async def approved(client) -> int:
    app_id, _ = await submitted(client)
    assert await Application.filter(id=app_id, status="submitted").update(status="approved")
    return app_id

async def make_order(client, app_id, htmx=False):
    token = await csrf_of(client, "/exams")
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post(f"/apply/{app_id}/pay/order", data={"csrf_token": token}, headers=headers)

async def pay(client, app_id, platform="支付宝"):
    """支付: returns the sandbox payment page's path."""
    r = await post(client, f"/apply/{app_id}/pay/start", {"platform": platform})
    assert r.status_code == 303, r.text[:1000]
    return httpx.URL(r.headers["location"]).path

async def confirm_on_sandbox(client, sandbox_path):
    page = await client.get(sandbox_path)
    assert "确认支付" in page.text and "取消" in page.text
    return await post(client, sandbox_path + "/confirm")

async def paid(client) -> tuple[int, Order]:
    app_id = await approved(client)
    await make_order(client, app_id)
    r = await confirm_on_sandbox(client, await pay(client, app_id))
    assert r.status_code == 303
    return app_id, await Order.get(application_id=app_id)

async def shift_pay_window(app, start_days: int, end_days: int, code="11"):
    """Move the province's 缴费时间 (days from now), as a re-seed would: the app's exam data cache is cleared."""
    t = now()
    await ExamProvince.filter(province_code=code, exam__code="demo-chuji").update(
        pay_start=t + timedelta(days=start_days), pay_end=t + timedelta(days=end_days))
    app.state.reference.clear()

def signed(settings, order: Order, **overrides) -> dict:
    fields = {"merchant_id": settings.payment_merchant_id, "out_trade_no": order.number, "trade_no": "T" + order.number,
              "amount_fen": str(order.amount_fen), "status": "paid", "paid_at": now().isoformat(),
              "nonce": secrets.token_hex(4), **overrides}
    return {**fields, "sign": signature(settings.payment_key, fields)}

async def notify(client, fields: dict):
    return await client.post("/pay/notify", data=fields)  # server to server: no session, no CSRF token

# ---------------------------------------------------------------------- the reviewers' board

_seq = iter(range(1, 10_000))

async def reviewer(client, username="beijing", province="11", city=None):
    """Create the reviewer (if new) and log `client` in as them."""
    await add_reviewer(username, province, city, PASSWORD)
    token = await csrf_of(client, "/review")
    await client.get("/captcha.png")
    r = await client.post("/review/login", data={"csrf_token": token, "username": username, "password": PASSWORD,
                                                 "captcha": CAPTCHA})
    assert r.status_code == 303 and r.headers["location"] == "/review", r.text[:500]

async def token(client) -> str:
    return await csrf_of(client, "/review")

async def make_app(province="11", city="110105", name="王小明", exam="demo-chuji", status="submitted", id17=None,
                   phone=None, photo=None, materials=(), minutes_ago=0, account=None, **fields) -> Application:
    """A submitted application with its snapshot, as services.submission leaves it (a new account unless
    `account` is given)."""
    n = next(_seq)
    if account is None:
        account = await Account.create(id_type="mainland", id_number=mainland_id(id17 or f"{province}0105199003{n:05d}"),
                                       name=name, phone=phone or f"139{n:08d}", password_hash="x", realname_at=now())
    id_number, phone, name = account.id_number, account.phone, account.name
    ep = await ExamProvince.get(province_code=province, exam__code=exam).select_related("exam")
    site = await Site.filter(city__exam_province=ep, city__code=city).select_related("city").first()
    at = now() - timedelta(minutes=minutes_ago)
    snap = {"exam": {"name": ep.exam.name, "level": ep.exam.level, "year": ep.exam.year},
            "province": {"code": province, "name": "北京" if province == "11" else "上海"}, "city": site.city.name,
            "site": {"name": site.name, "address": site.address}, "subjects": ["初级会计实务"], "fee_fen": 5600,
            "condition": {"code": "chuji_high_school", "label": "高中毕业及以上学历"},
            "candidate": {"name": name, "id_type": "mainland", "id_number": id_number, "phone": phone,
                          "gender": "男", "birth_date": "1990-03-07"},
            "photo": photo, "personal": {"level": "大学本科", "school": "北京大学", "degree": "学士", "ethnicity": "汉族"},
            "materials": list(materials), "review_mode": "manual"}
    return await Application.create(
        account=account, exam_id=ep.exam_id, province=ep, site=site, status=status, submitted_at=at, snapshot=snap,
        subjects=["初级会计实务"], condition="chuji_high_school", city_code=city, cand_name=name,
        id_last4=id_number[-4:], active_key=f"{account.id}:{ep.exam_id}", photo=photo, **fields)

async def reviewer_client(app, province: str, city: str | None = None):
    """A browser with a reviewer's session (the reviewers' login page comes with the review board)."""
    reviewer = await Reviewer.create(username=f"r{province}{city or ''}", password_hash="x", province_code=province,
                                     city=city)
    await Session.create(id=sid_hash(f"sid-{reviewer.id}"), reviewer=reviewer, created_at=now(), last_seen_at=now())
    cookie = Signer(app.state.settings.secret_key, salt="sid").sign(f"sid-{reviewer.id}").decode()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             cookies={"sid": cookie})


def stored(settings, kind: str, data: bytes, ext: str) -> str:
    """A file in the upload folder as an upload leaves it (its stored name), for an application built here."""
    return uploads.store(settings.upload_dir, kind, data, ext)


# ---------------------------------------------------------------------- 实名认证 uploads


def upload_form(token, **overrides):
    data = {"csrf_token": token, "province": "11", "city": "110105"}
    files = {"front": ("front.jpg", images.jpeg(), "image/jpeg"), "back": ("back.jpg", images.jpeg(), "image/jpeg"),
             "handheld": ("hand.jpg", images.jpeg(900, 700), "image/jpeg")}
    for k, v in overrides.items():
        (files if k in files else data)[k] = v
    return data, {k: v for k, v in files.items() if v is not None}

async def post_online(client, **overrides):
    token = await csrf_of(client, "/realname")
    data, files = upload_form(token, **overrides)
    return await client.post("/realname/online", data=data, files=files)

def stored_files(settings) -> list[Path]:
    root = Path(settings.upload_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []

# ---------------------------------------------------------------------- 报名表 PDFs

RARE_NAME = "张䶮𠀀𫟷𱗋·" + rarechars.search(pinyin="shu", strokes=20)[0].char
CODE = "ABCD2345EFGH6789"
URL = f"https://kjks.example.cn/verify/{CODE}"
AT = datetime(2027, 1, 10, 2, 5, tzinfo=timezone.utc)  # 10:05 in Beijing

def snapshot(name="张三丰", **over) -> dict:
    s = {
        "exam": {"name": "2027年度全国会计专业技术初级资格考试", "level": "初级", "year": 2027},
        "province": {"code": "11", "name": "北京"}, "city": "朝阳区",
        "site": {"name": "朝阳区财政局会计考试报名点", "address": "北京市朝阳区日坛北路1号"},
        "subjects": ["初级会计实务", "经济法基础"], "fee_fen": 11200,
        "condition": {"code": "chuji_high_school", "label": "具备国家教育部门认可的高中毕业（含高中、中专、职高和技校）及以上学历"},
        "candidate": {"name": name, "id_type": "mainland", "id_number": "110105199003071234", "phone": "13800138000",
                      "gender": "男", "birth_date": "1990-03-07"},
        "photo": "application/0123456789abcdef0123456789abcdef.jpg",
        "personal": {"ethnicity": "汉族", "political_status": "群众", "address": "北京市朝阳区建国路1号", "postcode": "100020",
                     "email": "a@example.com", "level": "大学本科", "school": "首都经济贸易大学", "major": "会计学",
                     "graduated_on": "2012-07-01", "certificate_no": "100381201205001234", "degree": "学士",
                     "degree_org": "首都经济贸易大学", "degree_date": "2012-07-01", "no_employer": "",
                     "employer": "北京某某会计师事务所有限公司", "employer_province": "11", "employer_city": "110105",
                     "accounting_start": "2013-03-01", "position": "审计员"},
        "materials": [], "review_mode": "manual",
    }
    s.update(over)
    return s

def build(s=None, photo=None, **kw) -> bytes:
    args = {"status_label": "待审核", "order_number": None, "payment_label": "未生成订单", "generated_at": AT,
            "code": CODE, "verify_url": URL, "photo_bytes": photo}
    return form_pdf.build_form(Snapshot.from_json(s or snapshot()), **{**args, **kw})

def text_of(data: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)

def drawn_chars(data: bytes) -> dict[str, str]:
    """Every character the PDF can draw: char -> embedded font. A character counts when the font's ToUnicode
    maps a code to it, and the font program embedded in the PDF (read with fontTools) maps that code to a real
    glyph with outlines (not .notdef, the box a font draws for a character it lacks)."""
    drawn = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            program = font["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
            tt = TTFont(io.BytesIO(program))
            glyphs = {code: name for table in tt["cmap"].tables for code, name in table.cmap.items()}
            to_unicode = font["/ToUnicode"].get_object().get_data().decode()
            for code, utf16 in re.findall(r"<([0-9A-F]{2})> <([0-9A-F]+)>", to_unicode):
                name = glyphs.get(int(code, 16))
                if name and tt.getGlyphID(name) != 0 and tt["glyf"][name].numberOfContours != 0:  # not .notdef
                    drawn[bytes.fromhex(utf16).decode("utf-16-be")] = font["/BaseFont"]
    return drawn

# ---------------------------------------------------------------------- test images (Pillow, no binary fixtures)


def jpeg(width=800, height=600, color=(120, 160, 200), quality=90, exif=None) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (width, height), color)
    # Some texture so the JPEG is not trivially small.
    for x in range(0, width, 7):
        for y in range(0, height, 11):
            img.putpixel((x, y), ((x * 3) % 255, (y * 5) % 255, (x + y) % 255))
    kwargs = {"quality": quality}
    if exif is not None:
        kwargs["exif"] = exif
    img.save(out, "JPEG", **kwargs)
    return out.getvalue()

def png(width=800, height=600, mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), 200 if mode in ("L", "1") else (200, 100, 50)).save(out, "PNG")
    return out.getvalue()

def gif(width=800, height=600) -> bytes:
    out = io.BytesIO()
    Image.new("P", (width, height)).save(out, "GIF")
    return out.getvalue()

def bomb() -> bytes:
    """20000×20000 pixels that compress to a few hundred kilobytes."""
    return png(20000, 20000, mode="1")

def photo(width=330, height=440) -> bytes:
    """An ID photo: portrait 3:4, JPEG, above 10 KB."""
    return jpeg(width, height, quality=95)

def png_photo(width=330, height=440) -> bytes:
    """A textured portrait PNG (above 10 KB), for the JPEG-only photo rule."""
    out = io.BytesIO()
    with Image.open(io.BytesIO(photo(width, height))) as img:
        img.save(out, "PNG")
    return out.getvalue()


images = SimpleNamespace(jpeg=jpeg, png=png, gif=gif, bomb=bomb, photo=photo, png_photo=png_photo)


# ---------------------------------------------------------------------- hardening (issue 11): races and timings


async def approved_with_order(account=None, minutes_left=30) -> tuple[Application, Order]:
    """An approved application (make_app) with its open order, as 生成订单 leaves it."""
    app = await make_app(status="approved", account=account)
    order = await Order.create(number="20270101-11-" + "".join(secrets.choice("23456789ABCDEFGH") for _ in range(8)),
                               application=app,
                               open_key=app.id, amount_fen=5600, created_at=now(),
                               expires_at=now() + timedelta(minutes=minutes_left))
    return app, order

async def account_client(app, account: Account) -> httpx.AsyncClient:
    """A browser logged in as `account` (its session row made here, as log_in makes it)."""
    sid = f"sid-account-{account.id}-{secrets.token_hex(4)}"
    await Session.create(id=sid_hash(sid), account=account, created_at=now(), last_seen_at=now())
    cookie = Signer(app.state.settings.secret_key, salt="sid").sign(sid).decode()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                             cookies={"sid": cookie})


# ---------------------------------------------------------------------- hostile input (issue 11): typed input


async def pending_realname(province="11", city="110105", n="9"):
    """A pending 线上实名认证 request of a new account, as submit_online leaves it (its files named, not stored)."""
    from models.profiles import RealnameRequest

    account = await Account.create(id_type="mainland", id_number=mainland_id(f"1101051990030719{n}"), name="实名人",
                                   phone=f"1370000009{n}", password_hash="x")
    return await RealnameRequest.create(account=account, province_code=province, city_code=city,
                                        front=f"realname/{'a' * 32}.jpg", back=f"realname/{'b' * 32}.jpg",
                                        handheld=f"realname/{'c' * 32}.jpg")

# ---------------------------------------------------------------------- hostile uploads (issue 11: pixel and page budgets)


def flat_png(width: int, height: int, color=(200, 100, 50)) -> bytes:
    """A one-colour RGB PNG written row by row with zlib, so neither the test nor Pillow holds its pixels: the
    issue's 39.6 MP PNG (7264×5452) is about 120 KB."""
    import struct
    import zlib

    def chunk(tag, body):
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    comp, row = zlib.compressobj(9), b"\0" + bytes(color) * width
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf_of_pages(*sizes: tuple[float, float], user_unit: float | None = None) -> bytes:
    """A PDF of blank pages of the given sizes in points: (200, 150000) is the issue's 700-byte page bomb."""
    from pypdf.generic import FloatObject, NameObject

    writer = PdfWriter()
    for width, height in sizes:
        page = writer.add_blank_page(width=width, height=height)
        if user_unit is not None:
            page[NameObject("/UserUnit")] = FloatObject(user_unit)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def content_bomb_pdf(megabytes: int = 1) -> bytes:
    """One A4 page whose content stream inflates to `megabytes` MB of full-page strokes 40 points wide (about 3 KB
    for 1): each is rasterised, so drawing it takes PDFium about 13 s a megabyte here, far past any page's time on
    any machine. (Tiny rectangles, the first version, cost parsing only: 20 MB of them drew in 1.6 to 2.4 s, just
    over the 1.5 s limit here, and once under it on a loaded CI machine.)"""
    import zlib

    op = b"40 w 0 0 m 595 842 l S\n"
    stream = zlib.compress(op * (megabytes * 1024 * 1024 // len(op)), 9)
    return pdf_of_objects(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                          b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                          b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")


async def signed_in(app, client, n: int = 7) -> Account:
    """An unverified candidate whose session cookie `client` carries (no SMS or login page on the way)."""
    account = await Account.create(id_type="mainland", id_number=mainland_id(f"1101051990030{n:04d}"), name="上传人",
                                   phone=f"1360000{n:04d}", password_hash="x")
    await Session.create(id=sid_hash(f"sid-a{account.id}"), account=account, created_at=now(), last_seen_at=now())
    client.cookies.set("sid", Signer(app.state.settings.secret_key, salt="sid").sign(f"sid-a{account.id}").decode())
    return account


def multiscan_jpeg(width: int, height: int) -> bytes:
    """A sequential (baseline) JPEG whose three components are in three scans of their own: libjpeg keeps every
    coefficient of the full image for it whatever scale it decodes at (flat grey, a few bits per block)."""
    import struct

    def seg(marker, payload):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload

    out = b"\xff\xd8" + seg(0xDB, b"\x00" + bytes([1] * 64))
    out += seg(0xC0, struct.pack(">BHHB", 8, height, width, 3) + b"".join(bytes([i, 0x11, 0]) for i in (1, 2, 3)))
    out += seg(0xC4, bytes([0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]) + bytes(range(12)))
    ac = bytes.fromhex(
        "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a343536"
        "3738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999a"
        "a2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa")
    out += seg(0xC4, bytes([0x10, 0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D]) + ac)
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = "001010" * blocks  # per block: DC difference 0, then end of block
    bits += "1" * (-len(bits) % 8)
    scan = int(bits, 2).to_bytes(len(bits) // 8, "big")
    for component in (1, 2, 3):
        out += seg(0xDA, bytes([1, component, 0x00, 0, 63, 0])) + scan
    return out + b"\xff\xd9"


def pdf_of_objects(*bodies: bytes) -> bytes:
    """A PDF of these objects (1 0 obj, 2 0 obj...) with a correct xref table."""
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref)


def slow_pdf() -> bytes:
    """The hostile probe's slowest: a page dictionary holding a 10 MB hex string (pypdf took 7.8 s to check it)."""
    return pdf_of_objects(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                          b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /S <" + b"41" * 5_000_000 + b"> >>")


# ---------------------------------------------------------------------- 准考证 (issue 15)


async def arranged(exam_code: str, province: str) -> None:
    """考场编排 of the province as the office runs it (forced: the demo's 缴费 is still open)."""
    from services import arrangement

    ep = await ExamProvince.get(province_code=province, exam__code=exam_code)
    outcome = await arrangement.arrange(ep, "test", now(), force=True)
    assert outcome.ok, outcome.message
