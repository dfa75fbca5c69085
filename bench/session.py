"""Make a logged-in candidate on a running server and print its session cookie (for wrk)."""
import re
import sys

import httpx

from services.accounts.idnumbers import check_digit

base = sys.argv[1]
c = httpx.Client(base_url=base)
token = lambda path: re.search(r'name="csrf_token" value="(\w+)"', c.get(path).text).group(1)  # noqa: E731
phone = "13600136000"
first17 = "11010519850512123"
id_number = first17 + check_digit(first17)
t = token("/register")
c.get("/captcha.png")  # the image captcha comes before the SMS (CAPTCHA_FIXED=TEST)
c.post("/sms/send", data={"phone": phone, "purpose": "register", "csrf_token": t, "captcha": "TEST"})
code = re.search(rf"<td>{phone}</td><td class=\"code\">(\d{{6}})", c.get("/dev/outbox").text)
if code:
    c.post("/register", data={"csrf_token": token("/register"), "id_type": "mainland", "id_number": id_number,
                              "name": "欧阳锋锋", "password": "Bench2027x", "password2": "Bench2027x", "phone": phone,
                              "sms_code": code.group(1)})
if "欧**锋" not in c.get("/").text:
    t = token("/login")
    c.get("/captcha.png")
    c.post("/login", data={"csrf_token": t, "login": phone, "password": "Bench2027x", "captcha": "TEST"})
assert "欧**锋" in c.get("/").text, "could not log in"
print(c.cookies.get("sid"))
