"""The layers of ARCHITECTURE.md hold: no import points up, none crosses between client rooms."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _checker():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "check_imports", ROOT / "scripts" / "check_imports.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_imports"] = module
    spec.loader.exec_module(module)
    return module


def test_every_import_points_down(capsys) -> None:  # type: ignore[no-untyped-def]
    assert _checker().main() == 0, capsys.readouterr().err


def test_the_checker_sees_a_wrong_way_import(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    checker = _checker()
    package = tmp_path / "immich_gphotos"
    for room in ("sync", "ui", "state"):
        (package / room).mkdir(parents=True)
        (package / room / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "sync" / "engine.py").write_text("from immich_gphotos.ui import console\n")
    (package / "ui" / "console.py").write_text("")
    (package / "state" / "store.py").write_text("from immich_gphotos.sync.engine import x\n")
    monkeypatch.setattr(checker, "ROOT", package)
    assert checker.main() == 1
