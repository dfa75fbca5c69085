"""Reference data: what maintainers seed and the lists the forms offer.

- exams.py: `ReferenceData` (app.state.reference), exams, provinces, cities and sites kept for REFERENCE_MAX_AGE
  seconds, site places always fresh;
- seeding.py: `seed(path, today, cache)` from TOML files (`python -m cli seed`);
- regions.py: 省级单位 and their cities (GB/T 2260); options.py: 民族, 政治面貌, 学历, 学位;
- rarechars.py: the 生僻字 table and which font draws each character.
"""
