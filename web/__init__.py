"""HTTP plumbing shared by every view, one concern per module:

- web.middleware: the session cookie, request ids, CSRF, security headers (one pure-ASGI middleware);
- web.sessions: who is logged in (loaded before any view runs), logging in and out, and the guards
  (`login_required`, `verified_candidate`, `reviewer_required`);
- web.render: templates, full page or htmx fragment, redirects after a POST;
- web.forms: reading posted forms and query values;
- web.errors: the pages for 403, 404, 405 and 500.

Views use these; services never do (they know nothing of HTTP).
"""
