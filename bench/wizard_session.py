"""A verified candidate with a draft at 报名信息填写, on a running server. Prints: cookie app_id city_id."""
import re
import sys

import httpx

from services.accounts.idnumbers import check_digit

base = sys.argv[1]
c = httpx.Client(base_url=base)


def token(path="/"):
    return re.search(r'name="csrf_token" value="(\w+)"', c.get(path).text).group(1)


phone, first17 = "13600136001", "11010519860612123"
id_number = first17 + check_digit(first17)
t = token("/register")
c.get("/captcha.png")  # the image captcha comes before the SMS (CAPTCHA_FIXED=TEST)
c.post("/sms/send", data={"phone": phone, "purpose": "register", "csrf_token": t, "captcha": "TEST"})
code = re.search(rf"<td>{phone}</td><td class=\"code\">(\d{{6}})", c.get("/dev/outbox").text).group(1)
c.post("/register", data={"csrf_token": token("/register"), "id_type": "mainland", "id_number": id_number,
                          "name": "欧阳锋锋", "password": "Bench2027x", "password2": "Bench2027x", "phone": phone,
                          "sms_code": code})
r = c.post("/realname/alipay", data={"csrf_token": token("/realname")})
status = r.headers["location"]
scan = re.search(r'href="https?://[^/]+(/dev/alipay/certify[^"]+)"', c.get(status).text).group(1).replace("&amp;", "&")
c.post(scan, data={"csrf_token": re.search(r'name="csrf_token" value="(\w+)"', c.get(scan).text).group(1)})
c.get(status)
c.post("/profile/education", data={"csrf_token": token("/profile"), "level": "大学本科", "school": "某大学",
                                   "major": "会计学", "graduated_on": "2010-07-01", "certificate_no": "1"})
exam_id = re.search(r'action="/exams/(\d+)/enter"', c.get("/exams").text).group(1)
app_url = c.post(f"/exams/{exam_id}/enter", data={"csrf_token": token("/exams")}).headers["location"]
app_id = re.search(r"/apply/(\d+)/", app_url).group(1)
for step, data in (("province", {"province": "11"}), ("notice", {"agree": "1"}), ("announcements", {}),
                   ("condition", {"condition": "chuji_high_school"})):
    r = c.post(f"/apply/{app_id}/{step}", data={"csrf_token": token("/exams"), **data})
    assert r.status_code == 303, (step, r.status_code)
page = c.get(f"/apply/{app_id}/info")
assert page.status_code == 200 and "报名信息填写" in page.text
city_id = re.search(r'<option value="(\d+)">朝阳区</option>', page.text).group(1)
print(c.cookies.get("sid"), app_id, city_id)
