"""Accounts: who a person is and how they get in. One module per concern; each change of state is one function
that runs a conditional update, checks its row count and returns what happened.

| module | reads | changes |
|---|---|---|
| signup | `validate_registration`, `check_unique` | `register` (SMS code used up, then the account) |
| login | `credentials`, `find_account`, `find_login_account`, `find_reviewer` (each a `Who`: the name and its row), `ip_throttled` | `sign_in` (the one login flow: throttle → captcha → `authenticate` with its lock-out per login name), `unlock` |
| reset | `validate_reset` | `reset_password` (new password, unlocked, every session ended) |
| sessions | `sid_hash`, `touch_interval` | `start`, `keep_alive`, `end`, `end_all` |
| captcha | | `new_captcha`, `check_captcha` (single use), `checker` (for sign_in) |
| sms | `phone_error`, `phone_registered` | `request_code` (免费获取验证码 by purpose, after the image captcha; per phone, day and address limits), `check_code` (single use) |
| wechat | `of_browser`, `scanned`, `may_bind` | `start`, `confirm`, `cancel`, `poll`, `bind`, `unbind` (微信扫码登录's state machine) |
| realname | `is_verified`, `latest_request`, `alipay_attempt`, `clean_images` | `mark_verified`, `start_alipay`, `check_alipay`, `submit_online`, `decide` |
| profile | `record` (信息采集 and its 学历), `validate_*`, `birth_date_of` | `save_basic`, `add_education`, `delete_education`, `save_degree`, `save_work`, `confirm` |
| reviewers | | `add_reviewer` |
| housekeeping | | `purge_expired` (what anonymous requests leave, once it can change no answer), `purge_forever` (the job) |
| idnumbers, names, passwords | the rules of 证件号码, 真实姓名 (and masking), 密码 | |
"""
