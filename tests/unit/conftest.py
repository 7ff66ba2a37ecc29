"""Shared unit-test fixtures: a live, in-process Esendex US emulator (tests/emulator/esendex_emulator.py) on loopback."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Dict, Iterator

import pytest

# Found relative to this file, so it works under plain pytest and in ansible-test's copy of the collection.
EMULATOR_DIR = Path(__file__).resolve().parent.parent / "emulator"
DEMO_STATE_FILE = EMULATOR_DIR / "demo_state.json"
DEMO_LICENSE_KEY = "2b7e1516-28ae-4d2a-a6f7-15880c09cf4f"
_MODULE_NAME = "esendex_us_tests_emulator"


def load_emulator_module() -> ModuleType:
    """Import the emulator by file path (it is a test tool, not part of the collection's Python packages)."""
    if _MODULE_NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(_MODULE_NAME, EMULATOR_DIR / "esendex_emulator.py")
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load the emulator from {EMULATOR_DIR}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE_NAME] = module
        spec.loader.exec_module(module)
    return sys.modules[_MODULE_NAME]


@pytest.fixture(scope="session")
def emulator_module() -> ModuleType:
    """The emulator module (EmulatorServer, parse_xml, constants)."""
    return load_emulator_module()


@pytest.fixture(scope="session")
def _emulator_server(emulator_module: ModuleType) -> Iterator[Any]:
    """One emulator per test session (per xdist worker), on 127.0.0.1 and a free port."""
    server = emulator_module.EmulatorServer(host="127.0.0.1", port=0, quiet=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def emulator(_emulator_server: Any) -> Iterator[Any]:
    """A live emulator, reset to empty state with no faults or latency before and after each test.

    It is the EmulatorServer itself: ``base_url``, ``messaging_url`` (base + /Messaging.svc), ``voice_url``
    (base + /NotifyWS/PhoneNotify.asmx), ``port``; seeding with ``set_state(doc)``, ``add_account(key, messages, calls)``,
    ``load_state_file(path)``; ``add_faults(*faults)``, ``clear_faults()``, ``set_latency(seconds)``; and reading back
    ``get_state()``, ``requests()``, ``cancellations()``, ``faults()``.
    """
    _emulator_server.reset()
    yield _emulator_server
    _emulator_server.reset()


@pytest.fixture(scope="session")
def demo_state() -> Dict[str, Any]:
    """The seeded demo accounts of tests/emulator/demo_state.json (do not mutate)."""
    with open(DEMO_STATE_FILE, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def demo_emulator(emulator: Any, demo_state: Dict[str, Any]) -> Any:
    """The ``emulator`` fixture seeded with the demo accounts (license key DEMO_LICENSE_KEY)."""
    emulator.set_state(demo_state)
    return emulator
