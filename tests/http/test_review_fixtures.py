"""Builders for the reviewers' board tests: reviewers, and submitted applications inserted as rows (the
wizard's own tests cover how they get there; one test here goes the whole way through the wizard)."""
from __future__ import annotations

from datetime import timedelta

import cli
from models.accounts import Account
from models.applications import Application
from models.exams import ExamProvince, Site
from tests.conftest import CAPTCHA, csrf_of
from tests.helpers import PASSWORD, mainland_id
from web import now

_seq = iter(range(1, 10_000))


async def reviewer(client, username="beijing", province="11", city=None):
    """Create the reviewer (if new) and log `client` in as them."""
    await cli.add_reviewer(username, province, city, PASSWORD)
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


def test_reviewer_add_stores_the_city_code_for_a_name_or_a_code(monkeypatch, capsys):
    """`python -m cli reviewer add --city 朝阳区` scopes the reviewer to 110105 (the code the queue compares)."""
    import types
    created = []

    async def fake_add(username, province, city, password):
        created.append(city)
        return True

    monkeypatch.setattr(cli, "add_reviewer", fake_add)
    monkeypatch.setattr(cli, "_with_db", lambda settings, fn: fn())
    for city in ("朝阳区", "110105"):
        args = types.SimpleNamespace(username="cy", province="11", city=city, password="Passw0rd2027")
        assert cli.cmd_reviewer_add(None, args) is None
    args = types.SimpleNamespace(username="x", province="11", city="不存在区", password="Passw0rd2027")
    assert cli.cmd_reviewer_add(None, args) == 2 and "没有地市" in capsys.readouterr().err
    assert created == ["110105", "110105"]
