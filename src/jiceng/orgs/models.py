"""The organisation tree: divisions and institutions, per-year figures, and history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

PATH_SEGMENT = 10  # digits of a node id in the materialised path


class Kind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")
    TOWNSHIP = "township", _("Township / street")
    VILLAGE = "village", _("Village / community")
    TOWNSHIP_HC = "township_hc", _("Township health centre")
    COMMUNITY_HC = "community_hc", _("Community health service centre")
    VILLAGE_CLINIC = "village_clinic", _("Village clinic")
    COMMUNITY_STATION = "community_station", _("Community health service station")
    COUNTY_HOSPITAL = "county_hospital", _("County hospital")
    HEALTH_COMMISSION = "health_commission", _("Health commission")


# Level in the division hierarchy: a child always sits at a deeper level than its parent.
KIND_LEVEL = {
    Kind.PROVINCE: 1,
    Kind.CITY: 2,
    Kind.COUNTY: 3,
    Kind.TOWNSHIP: 4,
    Kind.TOWNSHIP_HC: 4,
    Kind.COMMUNITY_HC: 4,
    Kind.COUNTY_HOSPITAL: 4,
    Kind.HEALTH_COMMISSION: 4,
    Kind.VILLAGE: 5,
    Kind.VILLAGE_CLINIC: 5,
    Kind.COMMUNITY_STATION: 5,
}
DIVISION_KINDS = {Kind.PROVINCE, Kind.CITY, Kind.COUNTY, Kind.TOWNSHIP, Kind.VILLAGE}
INSTITUTION_KINDS = set(Kind) - DIVISION_KINDS
# Grassroots institutions: the ones the campaign evaluates.
GRASSROOTS_KINDS = {
    Kind.TOWNSHIP_HC,
    Kind.COMMUNITY_HC,
    Kind.VILLAGE_CLINIC,
    Kind.COMMUNITY_STATION,
}


def kind_level(kind: str) -> int:
    return KIND_LEVEL[Kind(kind)]


def parent_allowed(child_kind: str, parent_kind: str | None) -> bool:
    """Whether a node of ``child_kind`` may hang under a node of ``parent_kind``."""
    if parent_kind is None:
        return Kind(child_kind) == Kind.PROVINCE
    if Kind(child_kind) == Kind.HEALTH_COMMISSION:
        return Kind(parent_kind) in DIVISION_KINDS
    return kind_level(child_kind) > kind_level(parent_kind)


class NodeQuerySet(models.QuerySet):
    def subtree(self, node: Node, include_self: bool = True) -> NodeQuerySet:
        qs = self.filter(path__startswith=node.path)
        return qs if include_self else qs.exclude(pk=node.pk)

    def institutions(self) -> NodeQuerySet:
        return self.filter(kind__in=[k.value for k in INSTITUTION_KINDS])

    def grassroots(self) -> NodeQuerySet:
        return self.filter(kind__in=[k.value for k in GRASSROOTS_KINDS])

    def open_on(self, day) -> NodeQuerySet:
        return self.filter(models.Q(opened__isnull=True) | models.Q(opened__lte=day)).filter(
            models.Q(closed__isnull=True) | models.Q(closed__gt=day)
        )


def path_ids(path: str) -> list[int]:
    """The ids along a tree path ("/0001/0007/" → [1, 7]), from the root down."""
    return [int(s) for s in path.strip("/").split("/") if s]


class Node(models.Model):
    """One unit of the tree: a division (province … village) or an institution."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("type"), max_length=32, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of zero-padded ids, "/0000000001/0000000007/": subtree = prefix match.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    opened = models.DateField(_("opened"), null=True, blank=True)
    closed = models.DateField(_("closed"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    # Where an institution is, for the maps (WGS84 degrees); both set or neither.
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=6, null=True, blank=True
    )

    objects = NodeQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")

    def __str__(self) -> str:
        return self.name

    @property
    def is_institution(self) -> bool:
        return Kind(self.kind) in INSTITUTION_KINDS

    @property
    def is_grassroots(self) -> bool:
        return Kind(self.kind) in GRASSROOTS_KINDS

    @property
    def level(self) -> int:
        return kind_level(self.kind)

    @property
    def is_open(self) -> bool:
        return self.closed is None

    def compute_path(self) -> str:
        base = self.parent.path if self.parent_id else "/"
        return f"{base}{self.pk:0{PATH_SEGMENT}d}/"

    def is_within(self, other: Node) -> bool:
        """True when this node is ``other`` or lies below it."""
        return bool(other.path) and self.path.startswith(other.path)

    def ancestors(self, include_self: bool = False) -> NodeQuerySet:
        ids = path_ids(self.path)
        if not include_self:
            ids = ids[:-1]
        return Node.objects.filter(pk__in=ids).order_by("depth")

    def descendants(self, include_self: bool = False) -> NodeQuerySet:
        return Node.objects.subtree(self, include_self=include_self)


class NodeYear(models.Model):
    """Per-year attributes of a node: population by age band, beds, staff, teams."""

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    permanent_residents = models.PositiveIntegerField(
        _("permanent residents"), null=True, blank=True
    )
    residents_65_plus = models.PositiveIntegerField(_("residents aged 65+"), null=True, blank=True)
    children_0_6 = models.PositiveIntegerField(_("children aged 0-6"), null=True, blank=True)
    adults_18_plus = models.PositiveIntegerField(_("adults aged 18+"), null=True, blank=True)
    key_population = models.PositiveIntegerField(_("key population"), null=True, blank=True)
    beds = models.PositiveIntegerField(_("beds"), null=True, blank=True)
    doctors = models.PositiveIntegerField(_("doctors"), null=True, blank=True)
    general_practitioners = models.PositiveIntegerField(
        _("general practitioners"), null=True, blank=True
    )
    nurses = models.PositiveIntegerField(_("nurses"), null=True, blank=True)
    fd_teams = models.PositiveIntegerField(_("family-doctor teams"), null=True, blank=True)

    FIGURES = (
        "permanent_residents",
        "residents_65_plus",
        "children_0_6",
        "adults_18_plus",
        "key_population",
        "beds",
        "doctors",
        "general_practitioners",
        "nurses",
        "fd_teams",
    )

    class Meta:
        ordering = ["node", "year"]
        constraints = [
            models.UniqueConstraint(fields=["node", "year"], name="orgs_nodeyear_unique"),
        ]
        verbose_name = _("yearly figures")
        verbose_name_plural = _("yearly figures")

    def __str__(self) -> str:
        return f"{self.node} {self.year}"


class EventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("node event", "Created")
    RENAMED = "renamed", pgettext_lazy("node event", "Renamed")
    MOVED = "moved", pgettext_lazy("node event", "Moved")
    MERGED = "merged", pgettext_lazy("node event", "Merged")
    CLOSED = "closed", pgettext_lazy("node event", "Closed")
    REOPENED = "reopened", pgettext_lazy("node event", "Reopened")


class NodeEvent(models.Model):
    """History of a node: creation, renames, moves, merges and closures, with dates."""

    node = models.ForeignKey(Node, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    date = models.DateField(_("date"))
    old_parent = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    new_parent = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    other = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    old_name = models.CharField(max_length=128, blank=True)
    new_name = models.CharField(max_length=128, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("history event")
        verbose_name_plural = _("history events")

    def __str__(self) -> str:
        return f"{self.node} {self.kind} {self.date}"


class ImportJob(models.Model):
    """A large tree import from the web page, run in the background (see ``orgs/tasks.py``).

    The file waits in ``data`` until the worker has run it; progress of the write phase is
    kept in a small file (the import runs in one transaction, so a row would not show it).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("import job", "Queued")
        RUNNING = "running", pgettext_lazy("import job", "Running")
        DONE = "done", pgettext_lazy("import job", "Done")
        FAILED = "failed", pgettext_lazy("import job", "Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The queued task and the process running it; its heartbeat is in the progress file.
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=128, blank=True)
    filename = models.CharField(max_length=255)
    data = models.BinaryField(blank=True)
    dry_run = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(null=True, blank=True)
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
