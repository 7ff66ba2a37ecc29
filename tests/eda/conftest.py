# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the EDA tests: the emulator (its own command line, driven through its control API) and the rulebook.

The nox session `eda` runs these with ansible-rulebook, ansible-core and requests installed and a Java runtime on
PATH; the end-to-end tests fail (they never skip) when either is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMULATOR = ROOT / 'tests' / 'emulator' / 'esendex_emulator.py'
FILTER = ROOT / 'extensions' / 'eda' / 'plugins' / 'event_filter' / 'resolved_ids.py'
KEY = '5f1c9e27-b0d4-4a8e-93c6-7d2a41e8b05c'  # the test account's license key: long and unlike any other text
OTHER_KEY = '0b8d6e3a-2c47-4f19-a5e0-96f3c1d7b284'
TOKEN = 'eda-test-token-4c1f7a9e2b6d8305'
NO_PROXY = ','.join(filter(None, [os.environ.get('no_proxy'), '127.0.0.1', 'localhost']))
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def calls(reference_id, statuses, first):
    """Return calls of one reference ID with consecutive QueueIDs from first, one per status."""
    return [{'queue_id': first + number, 'reference_id': reference_id, 'to': f'+1555555{first + number:04d}'[-12:], 'status': status}
            for number, status in enumerate(statuses)]


# camp1: 3 scheduled and 1 in progress; camp2: 2 scheduled; camp3: 2 scheduled; the other account also has camp1.
STATE = {'accounts': {
    KEY: {'messages': [{'id': '9d0c4f2e-5a1b-4c3d-8e7f-00000000e001', 'to': '+15555550100', 'status': 'scheduled'},
                       {'id': '9d0c4f2e-5a1b-4c3d-8e7f-00000000e002', 'to': '+15555550101', 'status': 'scheduled'}],
          'calls': (calls('camp1', ['scheduled'] * 3 + ['in_progress'], 5001) + calls('camp2', ['scheduled'] * 2, 5101)
                    + calls('camp3', ['scheduled'] * 2, 5201))},
    OTHER_KEY: {'messages': [], 'calls': calls('camp1', ['scheduled'] * 2, 6001)},
}}


def free_port():
    """Return a TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Emulator:
    """The emulator's base URL and a client of its control API."""

    def __init__(self, url):
        self.url = url

    def call(self, method, name, payload=None):
        data = None if payload is None else json.dumps(payload).encode('utf-8')
        request = urllib.request.Request(f'{self.url}/_emulator/{name}', data=data, method=method, headers={'Content-Type': 'application/json'})
        with OPENER.open(request, timeout=30) as response:
            return json.loads(response.read().decode('utf-8'))

    def statuses(self):
        """Return {(license key account, QueueID): status} of every call, keyed by the account's key hash."""
        return {(call['license_key_sha256'], call['queue_id']): call['status'] for call in self.call('GET', 'calls')}

    def cancelled(self):
        """Return the sorted QueueIDs of the cancelled calls and the MessageIDs of the cancelled messages."""
        return (sorted(call['queue_id'] for call in self.call('GET', 'calls') if call['status'] == 'cancelled'),
                sorted(message['message_id'] for message in self.call('GET', 'messages') if message['status'] == 'cancelled'))


@pytest.fixture(scope='session')
def _emulator_process(tmp_path_factory):
    """Run the emulator through its own command line on a free loopback port."""
    url_file = tmp_path_factory.mktemp('emulator') / 'url'
    with subprocess.Popen([sys.executable, str(EMULATOR), '--port', '0', '--url-file', str(url_file), '--quiet'],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL) as process:
        deadline = time.monotonic() + 20
        while not (url_file.exists() and url_file.read_text().strip()):
            assert process.poll() is None and time.monotonic() < deadline, 'the emulator did not start'
            time.sleep(0.05)
        try:
            yield Emulator(url_file.read_text().strip().rstrip('/'))
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def emulator(_emulator_process):
    """The running emulator, reset to STATE with an empty request log and no faults."""
    _emulator_process.call('POST', 'reset', STATE)
    return _emulator_process


class Rulebook:
    """A running ansible-rulebook: its webhook URL, its whole output so far, and a way to wait for more of it."""

    def __init__(self, process, url, output, workdir):
        self.process, self.url, self.output_path, self.workdir = process, url, output, workdir
        self.mark = 0

    def output(self):
        return self.output_path.read_text(encoding='utf-8', errors='replace')

    def post(self, payload, token=TOKEN, path='alertmanager', headers=None, context=None):
        """POST a JSON notification; return the HTTP status."""
        headers = dict(headers or {}, **{'Content-Type': 'application/json'})
        if token is not None:
            headers['Authorization'] = f'Bearer {token}'
        request = urllib.request.Request(f'{self.url}/{path}', data=json.dumps(payload).encode('utf-8'), headers=headers, method='POST')
        try:
            opener = OPENER
            if context is not None:
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
            with opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def since(self):
        """Return the output written since the last call of since() or wait_for(), and move the mark past it."""
        text = self.output()
        new, self.mark = text[self.mark:], len(text)
        return new

    def wait_for(self, pattern, count=1, timeout=90):
        """Wait until the output since the mark matches pattern count times; return that output and move the mark."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.output()[self.mark:]
            if len(re.findall(pattern, text, re.M)) >= count:
                self.mark += len(text)
                return text
            assert self.process.poll() is None, f'ansible-rulebook exited:\n{self.output()[-4000:]}'
            assert time.monotonic() < deadline, f'no {pattern!r} in the rulebook output within {timeout} s:\n{text[-4000:]}'
            time.sleep(0.2)


def rulebook_env(emulator, collections, extra=None):
    """Return the environment of ansible-rulebook: the key and the emulator's URLs only in the environment."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(('ESENDEX_', 'ANSIBLE_'))}
    env.update(ESENDEX_LICENSE_KEY=KEY, ESENDEX_VOICE_API_URL=f'{emulator.url}/NotifyWS/PhoneNotify.asmx',
               ESENDEX_MESSAGING_API_URL=f'{emulator.url}/Messaging.svc', ANSIBLE_COLLECTIONS_PATH=str(collections),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_RETRY_FILES_ENABLED='false', PYTHONWARNINGS='ignore',
               no_proxy=NO_PROXY, NO_PROXY=NO_PROXY)
    env.update(extra or {})
    return env


@pytest.fixture(scope='session')
def collections(tmp_path_factory):
    """A collections path holding esendex.us as a link to this checkout (ansible-rulebook finds it with ansible-galaxy)."""
    path = tmp_path_factory.mktemp('collections')
    (path / 'ansible_collections' / 'esendex').mkdir(parents=True)
    (path / 'ansible_collections' / 'esendex' / 'us').symlink_to(ROOT)
    return path


def require_tools():
    """Fail (never skip) when ansible-rulebook or Java is missing: say what to install."""
    missing = [name for name in ('ansible-rulebook', 'ansible-playbook', 'java') if not shutil.which(name)]
    if missing:
        pytest.fail(f"not on PATH: {', '.join(missing)}. Install ansible-rulebook and ansible-core (pip) and a Java 17 runtime "
                    '(apt-get install openjdk-17-jre-headless), or run `make test SESSIONS=eda`', pytrace=False)


@contextlib.contextmanager
def run_rulebook(name, emulator, collections, workdir, variables, scheme='http'):
    """Run ansible-rulebook --rulebook esendex.us.NAME with these variables on a free loopback port; yield a Rulebook."""
    require_tools()
    port = free_port()
    (workdir / 'inventory.yml').write_text('all:\n  hosts:\n    localhost:\n      ansible_connection: local\n', encoding='utf-8')
    (workdir / 'vars.yml').write_text(json.dumps(dict({'webhook_port': port}, **variables)), encoding='utf-8')
    output = workdir / 'output.txt'
    with open(output, 'w', encoding='utf-8') as out, \
            subprocess.Popen(['ansible-rulebook', '--rulebook', f'esendex.us.{name}', '-i', 'inventory.yml', '--vars', 'vars.yml'],
                             cwd=workdir, env=rulebook_env(emulator, collections), stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT) as process:
        running = Rulebook(process, f'{scheme}://127.0.0.1:{port}', output, workdir)
        try:
            deadline = time.monotonic() + 90
            while True:
                assert process.poll() is None, f'ansible-rulebook exited:\n{running.output()[-4000:]}'
                assert time.monotonic() < deadline, f'the rulebook did not listen on {port} within 90 s:\n{running.output()[-4000:]}'
                with socket.socket() as sock:
                    if sock.connect_ex(('127.0.0.1', port)) == 0:
                        break
                time.sleep(0.2)
            yield running
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope='session')
def rulebook(_emulator_process, collections, tmp_path_factory):
    """esendex.us.cancel_on_resolve, for every test of the module that uses it."""
    with run_rulebook('cancel_on_resolve', _emulator_process, collections, tmp_path_factory.mktemp('rulebook'),
                      {'webhook_token': TOKEN}) as running:
        yield running


@pytest.fixture(scope='session')
def scratch():
    """A folder outside the rulebook's working folder, for files that must never be created."""
    with tempfile.TemporaryDirectory(prefix='esendex-eda-') as path:
        yield Path(path)
