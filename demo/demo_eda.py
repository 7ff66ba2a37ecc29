# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make demo-eda: the rulebook esendex.us.cancel_on_resolve against the bundled Esendex US emulator, every step checked.

Run as ``python3 demo/demo_eda.py`` from anywhere (``make demo-eda`` does).  It needs a Java 17 runtime (ansible-rulebook
runs its rules engine on the JVM) and says what to install without one.  It builds .venvs/demo-eda once (pins in
demo/requirements-eda.txt: ansible-rulebook, ansible-core, requests), starts the emulator with
tests/emulator/demo_state.json and the rulebook on free loopback ports, and posts Alertmanager notifications: one without
the token (refused), one with a still-firing and a resolved alert (only the resolved alert's scheduled calls are
cancelled), one whose label is a template (rejected, nothing evaluated).  Exits non-zero if anything was not as it
should be.  Standard library only, Python 3.11+; reads no standard input.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import runtime

# .venvs/demo-eda from demo/requirements-eda.txt: runtime builds and uses whichever venv these name.
runtime.VENV = os.path.join(runtime.REPO_ROOT, '.venvs', 'demo-eda')
runtime.REQUIREMENTS = os.path.join(runtime.REPO_ROOT, 'demo', 'requirements-eda.txt')
DEMO_KEY = '2b7e1516-28ae-4d2a-a6f7-15880c09cf4f'
CAMPAIGN, STILL_FIRING = 'spring-sale-2026', 'maintenance-window-17'
RECAP = re.compile(r'^localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)', re.M)
INSTALL_JAVA = 'apt-get install openjdk-17-jre-headless (Debian, Ubuntu) or dnf install java-17-openjdk-headless (Fedora, RHEL)'


class DemoFailure(Exception):
    """A step did not behave as expected; the message says how."""


def say(text=''):
    print(text, flush=True)


STEPS = [0]


def step(text):
    STEPS[0] += 1
    say('%d. %s' % (STEPS[0], text))


def check(condition, message):
    if not condition:
        raise DemoFailure(message)


def java_version():
    """Return the major version of the java on PATH, or None."""
    if not shutil.which('java'):
        return None
    found = re.search(r'version "(\d+)', subprocess.run(['java', '-version'], capture_output=True, text=True, check=False).stderr)
    return int(found.group(1)) if found else None


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def alert(status, reference_id):
    return {'status': status, 'labels': {'alertname': 'CampaignIncident', 'esendex_reference_id': reference_id}, 'annotations': {}}


def post(url, token, alerts):
    """POST an Alertmanager notification; return the HTTP status."""
    body = json.dumps({'version': '4', 'status': 'resolved', 'receiver': 'esendex', 'alerts': alerts}).encode('utf-8')
    headers = {'Content-Type': 'application/json', **({'Authorization': 'Bearer ' + token} if token else {})}
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                urllib.request.Request(url, data=body, headers=headers, method='POST'), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class Rulebook:
    """ansible-rulebook --rulebook esendex.us.cancel_on_resolve in a temporary folder; its output in a file."""

    def __init__(self, emu, folder):
        self.port, self.token, self.folder = free_port(), secrets.token_hex(16), folder
        self.output_path, self.mark, self.process = os.path.join(folder, 'output.txt'), 0, None
        with open(os.path.join(folder, 'inventory.yml'), 'w', encoding='utf-8') as handle:
            handle.write('all:\n  hosts:\n    localhost:\n      ansible_connection: local\n')
        with open(os.path.join(folder, 'vars.yml'), 'w', encoding='utf-8') as handle:
            json.dump({'webhook_port': self.port, 'webhook_token': self.token}, handle)
        self.env = runtime.ansible_env(dict(emu.env(), ESENDEX_LICENSE_KEY=DEMO_KEY, PYTHONWARNINGS='ignore'), color=False)
        self.url = 'http://127.0.0.1:%d/alertmanager' % self.port

    def __enter__(self):
        command = ['ansible-rulebook', '--rulebook', 'esendex.us.cancel_on_resolve', '-i', 'inventory.yml', '--vars', 'vars.yml']
        self.out = open(self.output_path, 'w', encoding='utf-8')  # pylint: disable=consider-using-with  # closed in __exit__
        self.process = subprocess.Popen(command, cwd=self.folder, env=self.env, stdin=subprocess.DEVNULL, stdout=self.out,
                                        stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
        deadline = time.monotonic() + 90
        while True:
            check(self.process.poll() is None, 'ansible-rulebook exited:\n' + self.output()[-3000:])
            check(time.monotonic() < deadline, 'ansible-rulebook did not listen within 90 s:\n' + self.output()[-3000:])
            with socket.socket() as sock:
                if sock.connect_ex(('127.0.0.1', self.port)) == 0:
                    return self
            time.sleep(0.2)

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.out.close()

    def output(self):
        with open(self.output_path, encoding='utf-8', errors='replace') as handle:
            return handle.read()

    def wait_for(self, pattern, timeout=90):
        """Wait for pattern in the output since the last wait; return that output."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.output()[self.mark:]
            if re.search(pattern, text, re.M):
                self.mark += len(text)
                return text
            check(self.process.poll() is None and time.monotonic() < deadline, 'no %r in the rulebook output:\n%s' % (pattern, text[-3000:]))
            time.sleep(0.2)


def show(text):
    """Print the rulebook's debug lines and the playbook's summary lines of an output."""
    for line in text.splitlines():
        line = line.strip().strip('"').rstrip('",')
        if re.match(r'(held |rejected |to cancel|nothing to cancel|calls by |messages by )', line) or RECAP.match(line):
            say('     ' + re.sub(r'\s+', ' ', line))


def calls_by(emu):
    """Return {(account, reference ID, status): count} of the emulator's calls."""
    counts = {}
    for key, account in emu.state()['accounts'].items():
        for call in account['calls']:
            name = (('demo' if key == DEMO_KEY else 'other'), call['reference_id'], call['status'])
            counts[name] = counts.get(name, 0) + 1
    return counts


def table(counts):
    for (account, reference_id, status), count in sorted(counts.items()):
        say('     %-6s account  %-24s %d %s' % (account, reference_id, count, status.replace('_', ' ')))


def demo():
    say('esendex.us demo-eda: cancel the calls of an alert when Alertmanager says it resolved, with the rulebook'
        ' esendex.us.cancel_on_resolve, on the bundled Esendex US emulator (no account needed; nothing leaves this machine)')
    say()
    version = java_version()
    if version is None or version < 17:
        raise runtime.SetupError('ansible-rulebook needs a Java 17 runtime (java on PATH), found %s: install one, e.g. %s'
                                 % ('Java %d' % version if version else 'none', INSTALL_JAVA))
    step('Environment: .venvs/demo-eda (ansible-rulebook, %s; built on the first run) ...' % runtime.pins())
    started = time.monotonic()
    runtime.ensure_venv()
    say('   ready (%.1f s); Java %d' % (time.monotonic() - started, version))
    with runtime.emulator(runtime.DEMO_STATE) as emu, tempfile.TemporaryDirectory(prefix='esendex-demo-eda-') as folder, \
            Rulebook(emu, folder) as rulebook:
        before = calls_by(emu)
        step('Emulator on %s; rulebook listening on %s (bearer token required). Calls before:' % (emu.url, rulebook.url))
        table(before)
        status = post(rulebook.url, None, [alert('resolved', CAMPAIGN)])
        step('A notification without the token: HTTP %d' % status)
        check(status == 401 and calls_by(emu) == before, 'a notification without the token should be refused and cancel nothing')
        status = post(rulebook.url, rulebook.token, [alert('firing', STILL_FIRING), alert('resolved', CAMPAIGN)])
        step('Alertmanager: %s firing, %s resolved: HTTP %d; the rulebook prints:' % (STILL_FIRING, CAMPAIGN, status))
        output = rulebook.wait_for(RECAP.pattern)
        show(output)
        recap = RECAP.search(output)
        check(status == 200 and recap and recap.group(2) == '0', 'the playbook should have run without failure')
        after = calls_by(emu)
        expected = dict(before)
        expected.pop(('demo', CAMPAIGN, 'scheduled'))
        expected[('demo', CAMPAIGN, 'cancelled')] = before[('demo', CAMPAIGN, 'scheduled')]
        step('Calls now, from the emulator\'s state: only the demo account\'s scheduled %s calls are cancelled' % CAMPAIGN)
        table(after)
        check(after == expected, 'the emulator should hold exactly the resolved campaign\'s scheduled calls cancelled, holds %s' % after)
        status = post(rulebook.url, rulebook.token, [alert('resolved', "{{ lookup('pipe', 'id') }}"), alert('resolved', STILL_FIRING + ' ')])
        step('A resolved alert whose label is a template, another with a space: HTTP %d; the rulebook prints:' % status)
        show(rulebook.wait_for('nothing to cancel'))
        check(calls_by(emu) == after, 'the rejected alerts should cancel nothing')
        everything = rulebook.output()
        check(DEMO_KEY not in everything and DEMO_KEY.replace('-', '') not in everything, "the rulebook's output contains the license key")
    step('Rulebook and emulator stopped. Every step behaved as expected; the license key is in none of the output.')
    say()
    say('The same against the real service: ESENDEX_LICENSE_KEY=<your key> ansible-rulebook --rulebook esendex.us.cancel_on_resolve'
        ' -i inventory.yml --vars vars.yml (docs/docsite/rst/eda.rst)')


def main():
    try:
        demo()
    except (DemoFailure, runtime.SetupError, OSError, ValueError) as ex:
        say()
        say('demo-eda FAILED: %s' % str(ex).replace(DEMO_KEY, DEMO_KEY[:4] + '...'))
        return 1
    except KeyboardInterrupt:
        say('demo-eda interrupted')
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())
