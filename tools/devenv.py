# Copyright: esendex.us collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Development environment shared by the demo and the benchmark: runtime venv, ansible environment, emulator.

    import devenv                                  # with tools/ on sys.path
    python = devenv.ensure_runtime()               # .venvs/runtime, built once from tools/requirements/runtime.txt
    with devenv.emulator(devenv.DEMO_STATE, latency=0.0) as emu:
        env = devenv.ansible_env(emu.env())        # ansible-playbook against this checkout and the emulator
        emu.state(); emu.requests(); emu.clear_requests(); emu.cancellations(); emu.call('PUT', 'latency', {...})

Standard library only, Python 3.9+.  Builds venvs with tools/run_tests.py; reads no standard input.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

if os.path.dirname(os.path.abspath(__file__)) not in sys.path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # run_tests lives next to this file

import run_tests  # noqa: E402  pylint: disable=wrong-import-position

REPO_ROOT = run_tests.REPO_ROOT
EMULATOR = os.path.join(REPO_ROOT, 'tests', 'emulator', 'esendex_emulator.py')
DEMO_STATE = os.path.join(REPO_ROOT, 'tests', 'emulator', 'demo_state.json')
COLLECTIONS_DIR = os.path.join(run_tests.VENVS_DIR, 'collections')  # holds ansible_collections/esendex/us -> REPO_ROOT
RUNTIME_PYTHONS = ('3.11', '3.12', '3.13')  # ansible-core 2.19 controller Pythons, preferred first
RUNTIME_REQUIREMENTS = 'runtime.txt'
RUNTIME_LOG = os.path.join(run_tests.LOG_DIR, 'runtime.log')


class DevenvError(Exception):
    """The runtime venv or the emulator could not be set up; the message says why."""


def runtime_spec(pythons=None):
    """Return the VenvSpec of the runtime venv, on the first of RUNTIME_PYTHONS the machine has."""
    pythons = run_tests.find_pythons() if pythons is None else pythons
    version = next((version for version in RUNTIME_PYTHONS if version in pythons), None)

    if not version:
        raise DevenvError('the runtime venv needs Python %s; found only: %s' % (' or '.join(RUNTIME_PYTHONS), ', '.join(pythons) or 'none'))

    return run_tests.VenvSpec('runtime', version, RUNTIME_REQUIREMENTS)


def ensure_runtime():
    """Build .venvs/runtime unless its pins are unchanged, link the collection; return the venv's python."""
    pythons = run_tests.find_pythons()
    spec = runtime_spec(pythons)
    os.makedirs(run_tests.LOG_DIR, exist_ok=True)

    with open(os.path.join(run_tests.VENVS_DIR, '.runtime.lock'), 'w', encoding='utf-8') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the demo and the benchmark may start at once: build the venv once
        log = run_tests.Log(RUNTIME_LOG)

        try:
            run_tests.ensure_venv(spec, pythons, log, run_tests.base_environment())
        except run_tests.StageError as ex:
            raise DevenvError('could not build %s: %s; see %s' % (run_tests.rel(run_tests.venv_path(spec)), ex, run_tests.rel(RUNTIME_LOG))) from ex
        finally:
            log.close()

    link = os.path.join(COLLECTIONS_DIR, 'ansible_collections', run_tests.COLLECTION_NAMESPACE, run_tests.COLLECTION_NAME)

    if os.path.realpath(link) != os.path.realpath(REPO_ROOT):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        temp = '%s.%d.tmp' % (link, os.getpid())
        os.symlink(REPO_ROOT, temp)
        os.replace(temp, link)

    return run_tests.venv_bin(spec, 'python')


def ansible_env(extra=None, color=None):
    """Return the environment for ansible/ansible-playbook from the runtime venv on this checkout (colour: default if stdout is a TTY)."""
    python = run_tests.venv_bin(runtime_spec(), 'python')
    env = run_tests.base_environment()
    color = sys.stdout.isatty() and 'NO_COLOR' not in os.environ if color is None else color

    for name in ('NO_COLOR', 'ANSIBLE_NOCOLOR') if color else ():
        env.pop(name)

    env.update(
        PATH=os.pathsep.join([os.path.dirname(python), env['PATH']]),
        ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_DIR,
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
        ANSIBLE_PYTHON_INTERPRETER=python,
        ANSIBLE_LOCALHOST_WARNING='false',
        ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
        ANSIBLE_RETRY_FILES_ENABLED='false',
    )
    env.update({'ANSIBLE_FORCE_COLOR': '1'} if color else {})
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

    def cancellations(self):
        """Return every committed cancellation (holds license keys: never print it)."""
        return self.call('GET', 'cancellations')


@contextlib.contextmanager
def emulator(state_file=DEMO_STATE, latency=0.0, timeout=15.0):
    """Run the emulator on a free loopback port with a state file and latency; yield its EmulatorClient; stop it on exit."""
    with tempfile.TemporaryDirectory(prefix='esendex-emulator-') as tmp:
        url_file, err_path = os.path.join(tmp, 'url'), os.path.join(tmp, 'stderr')
        command = [sys.executable, EMULATOR, '--port', '0', '--url-file', url_file, '--latency', str(latency), '--quiet']

        with open(err_path, 'w+', encoding='utf-8') as err, \
                subprocess.Popen(command + (['--state', state_file] if state_file else []), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=err) as process:
            try:
                deadline = time.monotonic() + timeout

                while not os.path.exists(url_file):
                    if process.poll() is not None or time.monotonic() > deadline:
                        err.seek(0)
                        raise DevenvError('the emulator did not start (%s): %s' % (
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
