"""``jiceng backup FILE``: the database, the analytics store and the evidence in one archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from jiceng.core.backup import backed_up_models, create_backup
from jiceng.core.errors import UserError


class Command(BaseCommand):
    help = "Back up the database, the analytics store and uploaded files into FILE (.tar.gz)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")

    def handle(self, *args, file: Path, overwrite: bool, **options):
        if file.exists() and not overwrite:
            raise CommandError(f"{file} 已存在（使用 --overwrite 覆盖）。")
        total = sum(m._base_manager.count() for m in backed_up_models())
        with tqdm(total=total, unit="行", desc="备份", disable=None) as bar:
            try:
                manifest = create_backup(file, progress=lambda _stage, n: bar.update(n))
            except UserError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{file}（{manifest.rows} 行数据，"
                f"{manifest.files['analytics']} 个分析库文件，{manifest.files['media']} 个附件）。"
            )
        )
