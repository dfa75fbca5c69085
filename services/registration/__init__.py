"""网上报名, the candidates' side (views/wizard.py; 网上缴费 is services.payment):

- wizard.py: `STEPS`, the wizard's step objects in order (each: applies, done, template, next), `first_incomplete`,
  `allowed`, `guide` (报名导览), `page_context`, and the registration window (`check_window`, RegistrationClosed);
- applications.py: reading a candidate's own applications (`own(reads, reference, account_id, app_id)` on the
  read path, `exams_with_active`, `materials_of`);
- drafts.py: every change of a draft, one function each (`enter`, `choose_province`, `agree_notice`,
  `read_announcements`, `choose_condition`, `save_info`, `upload_photo`, `accept_photo`, `upload_material`,
  `delete_material`, `finish_materials`), with the lock order;
- submission.py: 提交 (`submit`, the snapshot), 重新报名 (`withdraw`), correcting a rejection (`reopen_rejected`);
- personal.py: the personal sections (copied from 信息采集, `check_info`); fees.py: subjects and the fee in fen;
- eligibility.py: 报考条件; photos.py: the ID photo rules and cropping; materials.py: 证明材料 by content;
  photo_check.py: the automatic photo check that flags photos for 照片复核.
"""
