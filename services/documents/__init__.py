"""Files and documents:

- uploads.py: storing, cleaning and replacing uploads (`store_then`, `drop_after`);
- access.py: `may_see(reference, session, name)`, who may see a stored upload, and `stored_file` (how to send it);
- printing.py: which application prints a 报名表 (`own`, `printable`) and what /verify shows (`verify`);
- form_pdf.py: the 报名表 PDF (`form_pdf`, `build_form`, the verification code);
- bundle.py: the reviewers' 材料包 (`material_bundle`); pdfpages.py: a PDF page as an image (`page_of_upload`).
"""
