"""Forms of the user-management and token pages. They collect input; the actions check it."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.accounts import throttle
from jiceng.accounts.models import Role


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or username"), required=False, max_length=150)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices]
    )
    node = forms.CharField(label=_("Unit code"), required=False, max_length=32)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("1", _("Active")), ("0", _("Deactivated"))],
    )


class _UserFields(forms.Form):
    display_name = forms.CharField(label=_("Display name"), required=False, max_length=64)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    node = forms.CharField(
        label=_("Unit code"),
        max_length=32,
        help_text=_("Code of the organisation unit the user sits at; they see it and below."),
        widget=forms.TextInput(attrs={"list": "node-codes", "autocomplete": "off"}),
    )
    institution = forms.CharField(
        label=_("Institution code"),
        required=False,
        max_length=32,
        help_text=_("Optional: the institution the person works at (a reviewer never reviews it)."),
        widget=forms.TextInput(attrs={"list": "node-codes", "autocomplete": "off"}),
    )


class UserCreateForm(_UserFields):
    username = forms.CharField(label=_("Username"), max_length=150)
    password1 = forms.CharField(
        label=_("Initial password"), strip=False, widget=forms.PasswordInput
    )
    password2 = forms.CharField(
        label=_("Initial password (again)"), strip=False, widget=forms.PasswordInput
    )

    field_order = [
        "username",
        "display_name",
        "email",
        "role",
        "node",
        "institution",
        "password1",
        "password2",
    ]

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        return data


class UserEditForm(_UserFields):
    pass


class PasswordResetForm(forms.Form):
    password1 = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(
        label=_("New password (again)"), strip=False, widget=forms.PasswordInput
    )

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        return data


class LoginForm(AuthenticationForm):
    """Django's login form; a locked account or address gets its own message."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed logins for this account or from this computer. Logging in is "
            "locked for %(minutes)s more minute(s); ask your administrator if you forgot "
            "the password."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            address = throttle.client_address(self.request)
            seconds = throttle.seconds_locked(
                [
                    throttle.ACCOUNT.key(throttle.account_value(self.data.get("username", ""))),
                    throttle.LOGIN_ADDRESS.key(address),
                ]
            )
            if seconds:
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"minutes": throttle.minutes(seconds)},
                ) from None
            raise


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=64,
        help_text=_("What the token is for, e.g. “monthly upload script”."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Leave empty for a token that works until you revoke it."),
    )
    expires_on = forms.DateField(
        label=_("Or valid until (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("days") and data.get("expires_on"):
            self.add_error("expires_on", _("Give either a number of days or a date, not both."))
        return data

    def expires_at(self) -> dt.datetime | None:
        """The expiry chosen, as an aware time (end of the chosen day), or None."""
        return expiry(self.cleaned_data.get("days"), self.cleaned_data.get("expires_on"))


def expiry(days: int | None, until: dt.date | None) -> dt.datetime | None:
    """A token's expiry from a number of days or a last valid date (end of that day)."""
    if days:
        return timezone.now() + dt.timedelta(days=days)
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min)
        return timezone.make_aware(end)
    return None


def add_problems(form: forms.Form, problems) -> None:
    """Show the problems of a ``ValidationFailed`` on the matching fields of ``form``."""
    for p in problems:
        field = p.field if p.field in form.fields else None
        if field is None and p.field == "password" and "password1" in form.fields:
            field = "password1"
        form.add_error(field, str(p.message))
