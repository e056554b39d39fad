"""The admin's live order board: new orders and status changes as they happen, over the API's staff subscription
(`ordersUpdated`), in a page of the admin session.

The API ignores session cookies by design (a cookie would make every page on the web able to act for the signed-in
staff member), so the board's script asks the session for an access token: `live_token`, a POST of the page's own
origin with its CSRF token, answered only to whom the admin itself admits (staff, verified by a second factor
where one is set or required). The token is short-lived (ADMIN_LIVE_TOKEN_LIFETIME) and has no refresh token:
the script asks again before it runs out and reconnects with the new one, so a board stops within that time of
its session ending. Every token of one session belongs to one API sign-in (tokens.session_sign_in), which signing
out of the admin ends at once.

The page itself is static (admin/dashboard/live_board.html, and the scripts graph/graphql-ws.js and
orders/live-board.js): no inline script, so it runs under a strict Content-Security-Policy.
"""
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpResponseNotAllowed, JsonResponse
from django.template.response import TemplateResponse

from commerce.accounts import tokens
from commerce.accounts.models import TokenFamily

SESSION_KEY = "live_board_sign_in"  # the pk of the API sign-in this admin session's tokens belong to


def live_token(request):
    """A short-lived access token for the signed-in staff member's live board (wrapped by AdminSite.admin_view:
    the admin's permission, CSRF, never cached)."""
    if request.method != "POST":  # a token in a GET answer could be cached or logged on the way
        return HttpResponseNotAllowed(["POST"])
    family = tokens.session_sign_in(request.user, request.session.get(SESSION_KEY))
    request.session[SESSION_KEY] = family.pk
    lifetime = settings.ADMIN_LIVE_TOKEN_LIFETIME
    access, expires_at = tokens.access_token(family, lifetime)
    return JsonResponse({"token": access, "expiresAt": expires_at.isoformat(),
                         "expiresIn": int(lifetime.total_seconds())})


# Nothing inline and nothing from elsewhere: the board's page proves it needs no more (the browser test holds it
# to this), and a script injected into an order's field could neither run nor send anything away.
STRICT_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def live_board_page(site, request):
    """The board on a page of its own (the dashboard includes the same partial), under a strict policy."""
    context = {**site.each_context(request), "title": "Live orders"}
    response = TemplateResponse(request, "admin/dashboard/live_board_page.html", context)
    response["Content-Security-Policy"] = STRICT_POLICY
    return response


@receiver(user_logged_out, dispatch_uid="commerce.live_board.end_sign_in")
def end_sign_in(sender, request, user, **kwargs) -> None:
    """Signing out of the admin ends the API sign-in of its live board: a board left open in another tab cannot
    renew its token, and a new socket with the last one is refused."""
    family_id = request.session.get(SESSION_KEY) if request is not None else None
    if family_id is not None:
        tokens.revoke_family(TokenFamily(pk=family_id), TokenFamily.Revoked.SIGN_OUT)
