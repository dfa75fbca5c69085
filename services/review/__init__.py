"""审核, the reviewers' side (views/review.py, and 对账 in views/payment.py):

- scope.py: `Scope` / `scope_of(reference, reviewer)`, the one rule for what a reviewer may see or change
  (its `applications()`, `orders()`, `notifications()`, `realname_requests()` conditions), `in_scope(scope, id)`;
- queue.py: `Filters`, `queue(reads, scope, f)`, `counts`, `one_row`, `flagged_photos` (reads, on app.state.reads);
- search.py: `of(session)`, `remember(session, text)`: the 姓名/证件号后4位 search, posted and kept in the reviewer's
  session (never in a URL);
- decisions.py: `decide`, `bulk_approve`, `clear_photo_flag` (照片复核), `reject_reason` (the changes, logged);
- detail.py: `detail(...)`, what one application's panel shows; `eligibility_of(snapshot)`;
- export.py: `export_csv` (导出); stats.py: `exams_of`, `stats` (统计);
- realname_queue.py: `pending`, `in_scope`, `decide` (线上实名认证 requests; the decision is
  services.accounts.realname.decide).
"""
