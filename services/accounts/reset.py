"""找回密码: the SMS code sent to the phone must be right, then 证件号码, 真实姓名 and 手机号 must all match one account
(one message for any mismatch, never saying which value differs); the new password then replaces the old,
unlocks the account (both of its login names) and ends every session of it."""
from __future__ import annotations

from dataclasses import dataclass

from db import transactions
from models.accounts import Account
from services.accounts import idnumbers, login, names, passwords, sessions, sms

MISMATCH = "填写的信息与注册信息不一致，重置失败。请核对证件号码、真实姓名和手机号"
FIELDS = ("id_number", "name", "phone", "sms_code")  # what the page shows again after an error


@dataclass
class Reset:
    """The cleaned values of the 找回密码 form (id_number normalised, name, phone, sms_code), the new password, and
    the message for each bad field."""

    values: dict[str, str]
    password: str
    errors: dict[str, str]


def validate_reset(form) -> Reset:
    values = {k: form.get(k) for k in FIELDS}
    values["id_number"] = idnumbers.normalize(values["id_number"])
    password = form.get("password", strip=False)
    for name, message in (("id_number", "请输入证件号码"), ("name", "请输入真实姓名")):
        if not values[name]:
            form.error(name, message)
    if err := passwords.password_error(password):
        form.error("password", err)
    if form.get("password2", strip=False) != password:
        form.error("password2", "两次输入的密码不一致")
    if err := sms.phone_error(values["phone"]):
        form.error("phone", err)
    if not values["sms_code"]:
        form.error("sms_code", "请输入短信验证码")
    return Reset(values, password, form.errors)


async def reset_password(r: Reset, *, secret: str, now) -> bool:
    """Set the new password of the account the form names, once its SMS code is right. Returns whether the
    password changed; when it did not, r.errors says why."""
    if r.errors:
        return False
    v = r.values
    # The code first: a phone of no account has its codes too (services.accounts.sms), so a wrong code gets the
    # same answer whoever the phone belongs to, and only someone holding the phone learns whether the rest
    # matches.
    if err := await sms.check_code(v["phone"], "reset", v["sms_code"], secret=secret, now=now):
        r.errors["sms_code"] = err
        return False
    account = await _matching_account(v["id_number"], v["name"], v["phone"])
    if account is None:
        r.errors["form"] = MISMATCH
        return False
    hashed = await passwords.hash_password(r.password)  # before the transaction: it takes ~50 ms

    async def change() -> int:
        # Lock order (db.transactions): the account row, then its sessions and login names.
        changed = await Account.filter(id=account.id, phone=v["phone"]).update(password_hash=hashed)
        if changed:
            await sessions.end_all(account.id)
            await login.unlock(Account, account.id_number, account.phone)
        return changed

    changed = await transactions.atomic(change)
    if not changed:  # the phone changed meanwhile: the code no longer proves the account
        r.errors["form"] = MISMATCH
    return bool(changed)


async def _matching_account(id_number: str, name: str, phone: str) -> Account | None:
    account = await Account.get_or_none(id_number=id_number)
    if account is None or account.phone != phone or account.name != names.normalize_name(name, account.id_type):
        return None
    return account
