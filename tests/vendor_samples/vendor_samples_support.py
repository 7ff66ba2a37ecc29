# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Paths and helpers for the vendor-sample tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
EMULATOR_FILE = REPO / "tests" / "emulator" / "esendex_emulator.py"
SAMPLES = Path(__file__).resolve().parent / "samples"
SHARED = REPO.parent / "shared" / "esendex"  # the saved vendor pages, beside the repository (CI and dev machines)
_MODULE_NAME = "esendex_us_vendor_samples_emulator"


def load_emulator() -> ModuleType:
    """Import the emulator by file path (it is a test tool, not a package)."""
    if _MODULE_NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(_MODULE_NAME, EMULATOR_FILE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE_NAME] = module
        spec.loader.exec_module(module)
    return sys.modules[_MODULE_NAME]


def sample_code(name: str) -> str:
    """The sample's code: the file without its header (everything up to the line '# ---' or '// ---')."""
    lines = (SAMPLES / name).read_text(encoding="utf-8").splitlines(keepends=True)
    marker = next(i for i, line in enumerate(lines) if line.strip() in ("# ---", "// ---"))
    return "".join(lines[marker + 1:])
