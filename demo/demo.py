# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make demo: the collection's main job against the bundled Esendex US emulator, every step checked.

Run as ``python3 demo/demo.py`` from anywhere (``make demo`` does).  It builds .venvs/demo once (demo/runtime.py,
pins in demo/requirements.txt), starts the emulator with tests/emulator/demo_state.json and runs each scenario of
SCENARIOS.  The first, cancel_campaign, runs playbooks/cancel_campaign.yml three times (cancel, idempotent re-run,
--check) and checks each result against the emulator's own state and request log.  A scenario is a function
(emu, env) that prints its steps with step() and raises DemoFailure when something is not as it should be; add one
to SCENARIOS.  Exits non-zero if anything failed.  Standard library only, Python 3.11+; reads no standard input.
"""

from __future__ import annotations

import collections
import copy
import itertools
import re
import subprocess
import sys
import time

import runtime

PLAYBOOK = 'playbooks/cancel_campaign.yml'
DEMO_KEY = '2b7e1516-28ae-4d2a-a6f7-15880c09cf4f'
REFERENCE_IDS = ('spring-sale-2026',)  # the playbook's default esendex_reference_ids
ANSI = re.compile(r'\x1b\[[0-9;]*m')
RECAP = re.compile(r'^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
ELLIPSIS = '\u2026' if '\u2026'.encode(sys.stdout.encoding or 'ascii', 'replace') != b'?' else '...'


class DemoFailure(Exception):
    """A step did not behave as expected; the message says how."""


def short(key):
    """Return a license key shortened for display, e.g. 2b7e…cf4f."""
    return key[:4] + ELLIPSIS + key[-4:]


def say(text=''):
    """Print one line of the demo at once."""
    print(text, flush=True)


STEPS = [0]  # the number of the last step printed


def step(text, end='\n'):
    """Print the next numbered step, e.g. '3. text'; return its number."""
    STEPS[0] += 1
    print('%d. %s' % (STEPS[0], text), end=end, flush=True)
    return STEPS[0]


def describe(items):
    """Return e.g. '5 scheduled, 2 sent, 1 queued' for a list of messages or calls."""
    counts = collections.Counter(item['status'].replace('_', ' ') for item in items)

    return ', '.join('%d %s' % (count, status) for status, count in counts.items())


def groups(account):
    """Return [(name, text)] rows for an account: its messages, then its calls by reference ID."""
    names = ['messages'] * bool(account['messages']) + list(dict.fromkeys('calls ' + call['reference_id'] for call in account['calls']))

    return [(name, describe(account['messages'] if name == 'messages' else
                            [call for call in account['calls'] if 'calls ' + call['reference_id'] == name])) for name in names]


def table(label, rows):
    """Print rows of (name, text) after a label, in aligned columns."""
    for index, (name, text) in enumerate(rows):
        say('     %-25s %-28s %s' % ('' if index else label, name, text))


def expected_after_cancel(state):
    """Return the state the service should hold after the playbook: the demo key's scheduled messages and campaign calls cancelled."""
    expected = copy.deepcopy(state)
    account = expected['accounts'][DEMO_KEY]

    for item in account['messages'] + [call for call in account['calls'] if call['reference_id'] in REFERENCE_IDS]:
        item['status'] = 'cancelled' if item['status'] == 'scheduled' else item['status']

    return expected


def run_playbook(env, title, *options):
    """Run the playbook, print ansible's output compactly, check it kept the key secret; return the recap's changed count."""
    command = ['ansible-playbook'] + list(options) + [PLAYBOOK]
    step(title + ': ' + ' '.join(command))
    result = subprocess.run(command, cwd=runtime.REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, check=False)

    for line in result.stdout.splitlines():
        if line.strip():
            line = re.sub(r' \*{3,}$', '', line.rstrip())
            say('     ' + (re.sub(r'\s+', ' ', line) if RECAP.match(ANSI.sub('', line)) else line))

    plain = ANSI.sub('', result.stdout)
    recap = RECAP.search(plain)

    if DEMO_KEY in plain.lower() or DEMO_KEY.replace('-', '') in plain.lower():
        raise DemoFailure("ansible's output contains the license key")

    if result.returncode != 0 or not recap or recap.group(3, 4) != ('0', '0'):
        raise DemoFailure('ansible-playbook failed (exit code %d)' % result.returncode)

    return int(recap.group(2))


def check(condition, message):
    """Raise DemoFailure with message unless condition holds."""
    if not condition:
        raise DemoFailure(message)


def check_state(emu, expected, when):
    """Raise DemoFailure naming the items whose status is not what it should be; return the emulator's state."""
    state, wrong = emu.state(), []

    for key, account in expected['accounts'].items():
        for kind in ('messages', 'calls'):
            got = state['accounts'].get(key, {}).get(kind, [])
            for want, have in itertools.zip_longest(account[kind], got, fillvalue={}):
                if want != have:
                    name = want.get('queue_id') or short(want.get('id', '?'))
                    wrong.append('%s %s of account %s is %s, expected %s' % (kind[:-1], name, short(key), have.get('status'), want.get('status')))

    check(not wrong and state == expected, '%s, the emulator does not hold what it should: %s' % (when, '; '.join(wrong[:4]) or 'accounts differ'))

    return state


def cancel_campaign(emu, env):
    """Cancel a campaign with playbooks/cancel_campaign.yml; re-run it (changed=0); --check sends nothing."""
    before = emu.state()
    accounts = before['accounts']
    check(DEMO_KEY in accounts and len(accounts) == 2, 'the demo state should hold the demo account and one other')
    seeded = step('Emulator on %s, seeded with two accounts:' % emu.url)
    for key, account in accounts.items():
        table('%s account %s' % ('demo' if key == DEMO_KEY else 'other', short(key)), groups(account))
    say('   The playbook runs with the demo account\'s key: ESENDEX_LICENSE_KEY=%s' % short(DEMO_KEY))
    check(run_playbook(env, 'Cancel the campaign') == 2, 'the first run should report changed=2 (messages and calls cancelled)')
    after = check_state(emu, expected_after_cancel(before), 'after the first run')
    old, new = accounts[DEMO_KEY], after['accounts'][DEMO_KEY]
    changed = {kind: [a for a, b in zip(old[kind], new[kind]) if a != b] for kind in old}
    kept = {kind: [a for a, b in zip(old[kind], new[kind]) if a == b] for kind in old}
    step('What the emulator holds now, compared item by item with step %d:' % seeded)
    table('cancelled', groups(changed))
    table('left alone', [(name, text + ("  (not in the playbook's list)" if name.startswith('calls ') and name[6:] not in REFERENCE_IDS else ''))
                         for name, text in groups(kept)] + [('other account %s' % short(key), 'untouched') for key in accounts if key != DEMO_KEY])
    emu.clear_requests()
    check(run_playbook(env, 'Run it again') == 0, 'the second run should change nothing (changed=0)')
    check(len(emu.requests()) == 2, 'the second run should have asked the service again (2 requests)')
    check_state(emu, after, 'after the second run')
    say('   changed=0: the service had nothing left to cancel, and its state is as the first run left it.')
    emu.clear_requests()
    check(run_playbook(env, 'Check mode', '--check') == 2, 'check mode should report changed=2 (a cancellation would be attempted)')
    received = emu.requests()
    check(not received, 'check mode sent %d request(s) to the emulator' % len(received))
    check_state(emu, after, 'after the check run')
    say('   The emulator received 0 requests during the check run: the API cannot preview a cancellation.')


# The scenarios, in order; each gets a fresh emulator seeded with tests/emulator/demo_state.json.
SCENARIOS = (cancel_campaign,)


def demo():
    """Set up the venv, then run every scenario on its own emulator; raise DemoFailure or runtime.SetupError."""
    say('esendex.us demo: cancel a campaign on the bundled Esendex US emulator (no Esendex account needed; no request leaves this machine)')
    say()
    step('Environment: .venvs/demo (%s; built on the first run) ... ' % runtime.pins(), end='')
    started = time.monotonic()
    try:
        runtime.ensure_venv()
    except runtime.SetupError:
        say('FAILED')
        raise
    say('ready (%.1f s)' % (time.monotonic() - started))
    for scenario in SCENARIOS:
        with runtime.emulator(runtime.DEMO_STATE) as emu:
            scenario(emu, runtime.ansible_env(dict(emu.env(), ESENDEX_LICENSE_KEY=DEMO_KEY, ANSIBLE_CALLBACK_RESULT_FORMAT='yaml')))
    step('Emulator stopped. Every step behaved as expected.')
    say()
    say('The same playbook against the real service: ESENDEX_LICENSE_KEY=<your key> ansible-playbook %s' % PLAYBOOK)


def main():
    """Run the demo; return the exit code."""
    try:
        demo()
    except (DemoFailure, runtime.SetupError, OSError, ValueError) as ex:
        say()
        say('demo FAILED: %s' % str(ex).replace(DEMO_KEY, short(DEMO_KEY)))
        return 1
    except KeyboardInterrupt:
        say('demo interrupted')
        return 130

    return 0


if __name__ == '__main__':
    sys.exit(main())
