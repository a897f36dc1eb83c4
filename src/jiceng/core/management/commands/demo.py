"""``jiceng demo``: generate the demo region, its users and every stage's data."""

import contextlib
import datetime as dt
import importlib
import os
import random
import time
import unicodedata

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from jiceng import demo
from jiceng.demo import region as demo_region
from jiceng.orgs.models import Node


def _pad(text: str, width: int) -> str:
    """Left-justify ``text`` to ``width`` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


class Command(BaseCommand):
    help = "Generate the demo region (deterministic for a seed) with users for every role."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2025)
        parser.add_argument("--scale", choices=sorted(demo_region.SCALES), default="county")
        parser.add_argument("--reset", action="store_true", help="empty the database first")
        parser.add_argument("--skip", action="append", default=[], help="skip a stage by name")
        parser.add_argument(
            "--today",
            default=os.environ.get("JICENG_DEMO_TODAY", ""),
            help="date the demo as if today were YYYY-MM-DD (default: JICENG_DEMO_TODAY or today)",
        )

        parser.add_argument(
            "--townships",
            type=int,
            default=None,
            help="township health centres per county (default 9; fewer for a quick demo)",
        )

    def handle(self, *args, seed, scale, reset, skip, today, townships, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(
                f"--today「{today}」不是日期，应写作 YYYY-MM-DD（如 2026-12-02）。"
            ) from None
        with demo.clock(day) if day else contextlib.nullcontext():
            self._handle(seed, scale, reset, skip, day, townships)

    def _handle(self, seed, scale, reset, skip, day, townships):
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        if Node.objects.filter(code=demo_region.PROVINCE_CODE).exists():
            self.stdout.write("演示区域已存在（使用 --reset 重新生成）。")
            self._print_logins()
            return
        if Node.objects.exists():
            raise CommandError(
                "数据库中已有组织机构，演示区域只能生成在空数据库中（或使用 --reset）。"
            )
        started = time.monotonic()
        region = demo_region.build(seed=seed, scale=scale, today=day, townships=townships)
        self.stdout.write(
            f"正在生成演示区域（种子 {seed}，规模 {scale}，{len(region.counties)} 个县，"
            f"日期 {region.today.isoformat()}）……"
        )
        for name in demo.STAGES:
            if name in skip:
                continue
            self.stdout.write(f"  · {name}", ending="")
            self.stdout.flush()
            module = importlib.import_module(f"jiceng.demo.{name}")
            t0 = time.monotonic()
            for i, county in enumerate(region.counties):
                # the first county keeps the seed's original stream
                key = f"{seed}:{name}" if i == 0 else f"{seed}:{name}:{county.code}"
                module.populate(region.for_county(county), random.Random(key))
            self.stdout.write(f"（{time.monotonic() - t0:.0f} 秒）")
        n = Node.objects.count()
        took = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"完成：{n} 个组织机构节点，用时 {took:.0f} 秒。"))
        self._print_logins()

    def _print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {demo_region.DEMO_PASSWORD}）：")
        from jiceng.accounts.models import User

        for username, _desc in demo_region.DEMO_LOGINS:
            u = User.objects.filter(username=username).select_related("node").first()
            if u:
                where = u.node.name if u.node else ""
                self.stdout.write(
                    f"  {username:<18} {_pad(u.get_role_display(), 12)} {_pad(where, 26)} {u.display_name}"
                )
