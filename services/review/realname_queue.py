"""线上实名认证 on the board: the requests of the reviewer's scope waiting for a decision. The decision itself
is services.accounts.realname.decide (the CLI uses it too); here it is taken in the reviewer's name."""
from __future__ import annotations

from models.profiles import RealnameRequest
from services.accounts import realname
from services.review.scope import Scope


async def pending(scope: Scope) -> list[RealnameRequest]:
    """The oldest 50 pending requests in scope, with their accounts."""
    return await (RealnameRequest.filter(scope.realname_requests(), status="pending").order_by("id").limit(50)
                  .select_related("account"))


async def in_scope(scope: Scope, request_id) -> RealnameRequest | None:
    if not str(request_id).isdigit():
        return None
    return await RealnameRequest.filter(scope.realname_requests(), id=int(request_id)).first()


async def decide(scope: Scope, request: RealnameRequest, approve: bool, reason: str | None, now) -> str | None:
    """通过 / 不通过 of a request in scope (found by `in_scope`). None when it took effect, else the message."""
    return await realname.decide(request.id, approve, reason, scope.reviewer.username, now)
