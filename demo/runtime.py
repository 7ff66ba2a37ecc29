# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the demo and the benchmark run on: their own pinned venv, ansible on this checkout, the bundled emulator.

    import runtime                                    # demo/ on sys.path
    python = runtime.ensure_venv()                    # .venvs/demo from demo/requirements.txt, built once
    with runtime.emulator(runtime.DEMO_STATE) as emu: # tests/emulator/esendex_emulator.py --port 0 ... (its own CLI)
        env = runtime.ansible_env(emu.env())          # ansible-playbook from that venv, against this checkout
        emu.state(); emu.requests(); emu.clear_requests(); emu.call('PUT', 'latency', {...})

Standard library only, Python 3.9+; reads no standard input; imports nothing from the test tooling.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUIREMENTS = os.path.join(REPO_ROOT, 'demo', 'requirements.txt')
VENV = os.path.join(REPO_ROOT, '.venvs', 'demo')
COLLECTIONS_DIR = os.path.join(REPO_ROOT, '.venvs', 'collections')  # holds ansible_collections/esendex/us -> REPO_ROOT
EMULATOR = os.path.join(REPO_ROOT, 'tests', 'emulator', 'esendex_emulator.py')
DEMO_STATE = os.path.join(REPO_ROOT, 'tests', 'emulator', 'demo_state.json')
PYTHONS = ((3, 11), (3, 12), (3, 13))  # controller Pythons of the pinned ansible-core (2.19)


class SetupError(Exception):
    """The venv or the emulator could not be set up; the message says why."""


def venv_python():
    """Return the path of the venv's python."""
    return os.path.join(VENV, 'bin', 'python')


def pins():
    """Return 'ansible-core X, requests Y' from demo/requirements.txt."""
    with open(REQUIREMENTS, encoding='utf-8') as handle:
        found = dict(line.strip().split('==', 1) for line in handle if line.startswith(('ansible-core==', 'requests==')))
    return ', '.join('%s %s' % item for item in sorted(found.items()))


def ensure_venv():
    """Build .venvs/demo unless its pins are unchanged, link the collection; return the venv's python."""
    if sys.version_info[:2] not in PYTHONS:
        raise SetupError('run this with Python 3.11 - 3.13 (ansible-core 2.19); this is %d.%d' % sys.version_info[:2])
    with open(REQUIREMENTS, 'rb') as handle:
        stamp = hashlib.sha256(handle.read() + sys.executable.encode()).hexdigest()
    os.makedirs(os.path.dirname(VENV), exist_ok=True)
    with open(VENV + '.lock', 'w', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the demo and the benchmark may start at once: build the venv once
        stamp_file = os.path.join(VENV, '.requirements.sha256')
        if not os.path.exists(stamp_file) or open(stamp_file, encoding='utf-8').read() != stamp:
            log = VENV + '.log'
            with open(log, 'w', encoding='utf-8') as out:
                for command in ([sys.executable, '-m', 'venv', '--clear', VENV],
                                [venv_python(), '-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '-r', REQUIREMENTS]):
                    if subprocess.run(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=False).returncode:
                        raise SetupError('could not build %s: %s failed; see %s' % (VENV, ' '.join(command[:3]), log))
            with open(stamp_file, 'w', encoding='utf-8') as handle:
                handle.write(stamp)
    link = os.path.join(COLLECTIONS_DIR, 'ansible_collections', 'esendex', 'us')
    if os.path.realpath(link) != os.path.realpath(REPO_ROOT):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        temp = '%s.%d.tmp' % (link, os.getpid())
        os.symlink(REPO_ROOT, temp)
        os.replace(temp, link)
    return venv_python()


def ansible_env(extra=None, color=None):
    """Return the environment for ansible-playbook from the venv on this checkout (colour: default if stdout is a TTY)."""
    env = {name: value for name, value in os.environ.items() if name not in ('VIRTUAL_ENV', 'PYTHONPATH', 'PYTHONHOME')}
    color = sys.stdout.isatty() and 'NO_COLOR' not in os.environ if color is None else color
    env.update(
        PATH=os.pathsep.join([os.path.dirname(venv_python()), env.get('PATH', '')]),
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_DIR,
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
        ANSIBLE_PYTHON_INTERPRETER=venv_python(),
        ANSIBLE_LOCALHOST_WARNING='false',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
        ANSIBLE_RETRY_FILES_ENABLED='false',
        PIP_NO_INPUT='1',
    )
    env.update({'ANSIBLE_FORCE_COLOR': '1'} if color else {'ANSIBLE_NOCOLOR': '1', 'NO_COLOR': '1'})
    env.update(extra or {})
    return env


class EmulatorClient:
    """Base URL, service URLs and a small client of the control API (/_emulator/...) of a running emulator."""

    def __init__(self, url):
        self.url = url
        self.messaging_url = url + '/Messaging.svc'
        self.voice_url = url + '/NotifyWS/PhoneNotify.asmx'
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy

    def env(self):
        """Return the variables that point the modules at this emulator (no proxy for loopback)."""
        no_proxy = ','.join(filter(None, [os.environ.get('no_proxy') or os.environ.get('NO_PROXY'), '127.0.0.1', 'localhost']))
        return dict(ESENDEX_MESSAGING_API_URL=self.messaging_url, ESENDEX_VOICE_API_URL=self.voice_url, no_proxy=no_proxy, NO_PROXY=no_proxy)

    def call(self, method, name, payload=None):
        """Send one control request, e.g. call('PUT', 'latency', {'seconds': 0.02}); return the decoded JSON answer."""
        data = None if payload is None else json.dumps(payload).encode('utf-8')
        request = urllib.request.Request('%s/_emulator/%s' % (self.url, name), data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        with self._opener.open(request, timeout=30) as response:
            return json.loads(response.read().decode('utf-8'))

    def state(self):
        """Return the state document: {'accounts': {key: {'messages': [...], 'calls': [...]}}}."""
        return self.call('GET', 'state')

    def requests(self):
        """Return every service request received so far (control requests are not logged)."""
        return self.call('GET', 'requests')

    def clear_requests(self):
        """Forget the request log."""
        return self.call('DELETE', 'requests')


@contextlib.contextmanager
def emulator(state_file=DEMO_STATE, latency=0.0, timeout=15.0):
    """Run the emulator (its own command line) on a free loopback port; yield its EmulatorClient; stop it on exit."""
    with tempfile.TemporaryDirectory(prefix='esendex-emulator-') as tmp:
        url_file, err_path = os.path.join(tmp, 'url'), os.path.join(tmp, 'stderr')
        command = [sys.executable, EMULATOR, '--port', '0', '--url-file', url_file, '--latency', str(latency), '--quiet']
        with open(err_path, 'w+', encoding='utf-8') as err, \
                subprocess.Popen(command + (['--state', state_file] if state_file else []), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=err) as process:
            try:
                deadline = time.monotonic() + timeout
                while not os.path.exists(url_file) or not os.path.getsize(url_file):
                    if process.poll() is not None or time.monotonic() > deadline:
                        err.seek(0)
                        raise SetupError('the emulator did not start (%s): %s' % (
                            'exit code %s' % process.returncode if process.returncode is not None else 'timed out', err.read().strip()))
                    time.sleep(0.05)
                with open(url_file, encoding='utf-8') as handle:
                    yield EmulatorClient(handle.read().strip().rstrip('/'))
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
