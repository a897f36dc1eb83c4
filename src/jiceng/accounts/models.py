"""Users: each attached to one node of the tree, with one role."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INSTITUTION_STAFF = "institution_staff", _("Institution staff")
    COUNTY_REVIEWER = "county_reviewer", _("County reviewer")
    CITY_REVIEWER = "city_reviewer", _("City reviewer")
    PROVINCE_REVIEWER = "province_reviewer", _("Province reviewer")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")


REVIEWER_ROLES = {Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.PROVINCE_REVIEWER}


class User(AbstractUser):
    """A platform user. ``node`` is where they sit; they see that node and below."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.ANALYST)
    node = models.ForeignKey(
        "orgs.Node",
        verbose_name=_("organisation unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # The institution the person works at, if any: a reviewer never acts on it.
    institution = models.ForeignKey(
        "orgs.Node",
        verbose_name=_("employing institution"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
    )
    display_name = models.CharField(_("display name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def home_institution(self):
        """The institution the user belongs to: explicit, or their node if it is one."""
        if self.institution_id:
            return self.institution
        if self.node_id and self.node.is_institution:
            return self.node
        return None


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API; only its hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=64)
    prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    # None: the token works until revoked. A password change or deactivation revokes it.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> str:
        return "jc_" + secrets.token_urlsafe(32)

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class LoginThrottle(models.Model):
    """Failed-attempt counter of one account or client address (see ``accounts.throttle``).

    Kept in the database so that every server process sees the same counts.
    """

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Consecutive lockouts: each one doubles the next lock's length.
    lockouts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return self.key
