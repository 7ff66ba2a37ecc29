# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module tests never sleep: the client the modules make records its back-off waits instead."""

from __future__ import annotations

import functools

import pytest

from ansible_collections.esendex.us.plugins.module_utils import _common
from ansible_collections.esendex.us.plugins.module_utils._client import EsendexClient


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list:
    """The back-off waits of every client a module made in this test, in order."""
    recorded = []
    monkeypatch.setattr(_common, 'EsendexClient', functools.partial(EsendexClient, sleep=recorded.append))
    return recorded
