"""``jiceng restore FILE``: put a backup back into an empty deployment."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from jiceng.core.backup import read_manifest, restore_backup
from jiceng.core.errors import UserError


class Command(BaseCommand):
    help = "Restore a backup made by `jiceng backup` into this (empty) deployment."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="wipe this deployment's data (database, analytics store, uploads) first",
        )

    def handle(self, *args, file: Path, force: bool, **options):
        if not file.is_file():
            raise CommandError(f"找不到备份文件 {file}。")
        try:
            manifest = read_manifest(file)
            total = manifest.rows + sum(manifest.files.values())
            with tqdm(total=total, unit="项", desc="恢复", disable=None) as bar:
                restore_backup(file, force=force, progress=lambda _stage, n: bar.update(n))
        except UserError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成：{manifest.rows} 行数据（备份于 {manifest.created_at}，"
                f"来自 {manifest.database}），{sum(manifest.files.values())} 个文件。"
            )
        )
