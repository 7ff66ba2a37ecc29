# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for running the vendor's code samples against the emulator (tests/emulator/esendex_emulator.py).

Helpers live in vendor_samples_support.py (a plain module, so no clash with other conftest.py files).
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from vendor_samples_support import load_emulator


@pytest.fixture(scope="session")
def _server() -> Iterator[Any]:
    server = load_emulator().EmulatorServer(host="127.0.0.1", port=0, quiet=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def emulator(_server: Any) -> Iterator[Any]:
    """A live EmulatorServer, reset before and after each test."""
    _server.reset()
    yield _server
    _server.reset()
