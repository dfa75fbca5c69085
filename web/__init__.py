"""HTTP plumbing shared by every view, one concern per module:

- web.middleware: the session cookie, request ids, the body size limit, CSRF, security headers (one pure-ASGI
  middleware);
- web.limits: the largest body each route accepts (one table);
- web.paths: the typed path parameters ({app_id:id}, {state:token}, ...), registered on import;
- web.sessions: who is logged in (loaded before any view runs), logging in and out, and the guards
  (`login_required`, `verified_candidate`, `reviewer_required`);
- web.render: templates, full page or htmx fragment, redirects after a POST;
- web.forms: reading posted forms and query values, typed and bounded (`Form`, `posted`, `safe_next`);
- web.errors: the Chinese pages for every refusal (400, 403, 404, 405, 413, ...) and the 500.

Views use these; services never do (they know nothing of HTTP).
"""
# The path convertors exist before any route is built: every view module imports from web first.
from web import paths as _paths  # noqa: F401
