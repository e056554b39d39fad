"""The project's one admin site (`admin.site`, through project.apps.AdminConfig): every app's ModelAdmins register
on it, and the back-office dashboard extends this class.

Its login is django-otp's OTPAdminSite's (a session counts as staff only once a second factor verified it),
with two differences. The form checks the code through `check_second_factor`, as the API's sign-in does (one
rule, the same per-account and per-address counters; a 6-digit code or a recovery code, no device to pick from
a list as django-otp's form asks). And staff with no second factor are not simply refused: while
STAFF_TWO_FACTOR_REQUIRED holds they sign in with the password and see only the set-up page (QR code, first
code, recovery codes once), which then verifies the session; without the setting they use the admin as before.
"""
from functools import partial

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import login as otp_login
from django_otp.admin import OTPAdminSite

from commerce import live_board
from commerce.accounts import twofactor
from commerce.accounts.forms import ThrottledLogin, request_address
from commerce.admin_chart import sales_chart
from commerce.orders import reports


class TwoFactorLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """Email and password, then (for an account with two-factor on) the code: the first post that gets the
    password right without a code is answered with the code's box, the password kept in the form. The password
    is counted as the API's sign-ins are (ThrottledLogin: per email and address, the same growing wait)."""

    otp = forms.CharField(
        label="Two-factor code", required=False, strip=True,
        help_text="The 6-digit code from your authenticator app, or a recovery code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()  # authenticate(): the password, and staff only (confirm_login_allowed)
        user = self.get_user()
        if user is None or twofactor.must_set_up(user):  # signs in unverified: the set-up page is all they see
            return cleaned
        try:
            device = twofactor.check_second_factor(user, cleaned.get("otp"), field=["otp"],
                                                   address=self.client_address())
        except twofactor.TwoFactorError as refused:
            self.fields["password"].widget.render_value = True
            raise forms.ValidationError(refused.message, code=refused.code.lower()) from None
        if device is not None:
            user.otp_device = device  # django_otp's user_logged_in receiver marks the session verified
        return cleaned


class CommerceAdminSite(OTPAdminSite):
    login_form = TwoFactorLoginForm
    login_template = "accounts/admin/two_factor_login.html"
    index_template = "admin/dashboard/index.html"  # the KPI dashboard above the app list

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def has_permission(self, request) -> bool:
        """Active staff, verified by a second factor; or, where none is required, staff who have none."""
        if not AdminSite.has_permission(self, request):
            return False
        user = request.user
        if getattr(user, "is_verified", lambda: False)():
            return True
        return not twofactor.has_two_factor(user) and not twofactor.must_set_up(user)

    def get_urls(self):
        return [
            path("two-factor/setup/", self.two_factor_setup, name="two_factor_setup"),
            path("live-token/", self.admin_view(live_board.live_token), name="live_token"),
            path("live-board/", self.admin_view(partial(live_board.live_board_page, self)), name="live_board"),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        """The admin's home page is the back office's dashboard: every figure from commerce.orders.reports, in a
        fixed number of queries. Behind the same check as every admin page (admin_view: staff, second factor)."""
        dashboard = reports.dashboard()
        context = {"dashboard": dashboard, "chart": sales_chart(dashboard.days, dashboard.currency),
                   **(extra_context or {})}
        return super().index(request, context)

    def login(self, request, extra_context=None):
        if request.method == "GET" and self._may_only_set_up(request):
            return HttpResponseRedirect(reverse("admin:two_factor_setup", current_app=self.name))
        return super().login(request, extra_context)

    @staticmethod
    def _may_only_set_up(request) -> bool:
        user = request.user
        return user.is_active and user.is_staff and twofactor.must_set_up(user)

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def two_factor_setup(self, request):
        """Turn two-factor on for the signed-in staff member: scan the QR code, give the first code, keep the
        recovery codes shown once. Open to any staff without a second factor; the only page for those who
        must have one."""
        user = request.user
        if not (user.is_active and user.is_staff):
            return HttpResponseRedirect(reverse("admin:login", current_app=self.name))
        if twofactor.has_two_factor(user):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {**self.each_context(request), "title": "Set up two-factor sign-in"}
        if request.method == "POST":
            try:
                device, codes = twofactor.confirm_setup(user, request.POST.get("otp", ""),
                                                        address=request_address(request))
            except twofactor.TwoFactorError as refused:
                context["error"] = refused.message
            else:
                otp_login(request, device)
                return TemplateResponse(request, "accounts/admin/two_factor_done.html",
                                        {**context, "recovery_codes": codes})
        device = twofactor.pending_device(user)
        context.update(qr_svg=twofactor.qr_svg(device), secret=twofactor.secret_of(device))
        return TemplateResponse(request, "accounts/admin/two_factor_setup.html", context)
