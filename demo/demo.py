# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make demo: the collection's main job against the bundled Esendex US emulator, every step checked.

Run as ``python3 demo/demo.py`` from anywhere (``make demo`` does).  It builds .venvs/demo once (demo/runtime.py,
pins in demo/requirements.txt), starts the emulator with tests/emulator/demo_state.json and runs each scenario of
SCENARIOS.  The first, cancel_campaign, runs playbooks/cancel_campaign.yml three times (cancel, idempotent re-run,
--check) and checks each result against the emulator's own state and request log.  The second, cancel_scheduled,
schedules calls with a plain form POST (as the user's own scheduling system would), lets some start or complete, and
runs playbooks/cancel_scheduled.yml on their QueueIDs under --check --diff, then for real, and then reads the calls'
statuses with esendex_call_info (read-only), each checked against the emulator.  A scenario is a function
(emu, env) that prints its steps with step() and raises DemoFailure when something is not as it should be; add one
to SCENARIOS.  Exits non-zero if anything failed.  Standard library only, Python 3.11+; reads no standard input.
"""

from __future__ import annotations

import collections
import copy
import itertools
import json
import re
import shlex
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import runtime

PLAYBOOK = 'playbooks/cancel_campaign.yml'
SCHEDULED_PLAYBOOK = 'playbooks/cancel_scheduled.yml'
DEMO_KEY = '2b7e1516-28ae-4d2a-a6f7-15880c09cf4f'
REFERENCE_IDS = ('spring-sale-2026',)  # the playbook's default esendex_reference_ids
ANSI = re.compile(r'\x1b\[[0-9;]*m')
DIFF_HEADER = re.compile(r'^(--- before|\+\+\+ after|@@ .* @@)$')
PREDICTED = re.compile(r'^\+(\d+): Cancelled$', re.M)  # a line of the check run's diff: this QueueID would be cancelled
WOULD_CANCEL = re.compile(r'QueueIDs would be cancelled \(would_cancel_queue_ids\): (\d+(?:, \d+)*)')  # the play's own line
NO_MESSAGES = 'messages: no MessageIDs given'
STARTED_TEXT = {'in_progress': 'Dialing', 'completed': 'Call Answered'}  # GetMultipleQueueIdStatus's ResponseText for them
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


def run_playbook(env, title, *options, playbook=PLAYBOOK, output=None):
    """Run a playbook, print ansible's output compactly, check it kept the key secret; return the recap's changed count."""
    return run_ansible(env, title, ['ansible-playbook'] + list(options) + [playbook], output)


def run_ansible(env, title, command, output=None, show=True):
    """Run an ansible command as a step, print its output compactly (unless show is false), check it succeeded and kept the
    key secret; append its plain output to output; return the recap's changed count (a playbook) or None (ad hoc)."""
    step(title + ': ' + shlex.join(command))
    result = subprocess.run(command, cwd=runtime.REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, check=False)

    for line in result.stdout.splitlines() if show else []:
        if line.strip() and not DIFF_HEADER.match(ANSI.sub('', line).strip()):
            line = re.sub(r' \*{3,}$', '', line.rstrip())
            say('     ' + (re.sub(r'\s+', ' ', line) if RECAP.match(ANSI.sub('', line)) else line))

    plain = ANSI.sub('', result.stdout)
    recap = RECAP.search(plain)

    if DEMO_KEY in plain.lower() or DEMO_KEY.replace('-', '') in plain.lower():
        raise DemoFailure("ansible's output contains the license key")

    playbook = command[0] == 'ansible-playbook'
    if result.returncode != 0 or (playbook and (not recap or recap.group(3, 4) != ('0', '0'))):
        tail = '' if show else ':\n' + '\n'.join(plain.splitlines()[-15:])
        raise DemoFailure('%s failed (exit code %d)%s' % (command[0], result.returncode, tail))

    if output is not None:
        output.append(plain)

    return int(recap.group(2)) if playbook else None


def flat(text):
    """Return text with every run of white space made one space (the YAML callback wraps long strings)."""
    return ' '.join(text.split())


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


def schedule_calls(emu, numbers, reference_id):
    """Schedule one call per number as the user's own system would (a plain form POST); return the QueueIDs of the answer."""
    form = {'PhoneNumbersToDial': ';'.join(numbers), 'TextToSay': 'Your order has shipped.', 'CallerID': '+15555550100',
            'CallerIDname': 'Demo Shop', 'VoiceID': '1', 'CallsPerMinute': '60', 'ReferenceID': reference_id, 'LicenseKey': DEMO_KEY}
    request = urllib.request.Request(emu.voice_url + '/NotifyMultiplePhoneBasicWithCPMandReferenceID', method='POST',
                                     data=urllib.parse.urlencode(form).encode('ascii'))
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30) as response:
        answer = ET.fromstring(response.read())
    returns = [{child.tag.rsplit('}', 1)[-1]: child.text for child in item} for item in answer if item.tag.endswith('NotifyReturn')]
    check(len(returns) == len(numbers) and all(item.get('ResponseCode') == '0' for item in returns),
          'scheduling should answer one Queued NotifyReturn per number, got %s' % [item.get('ResponseText') for item in returns])

    return [int(item['QueueID']) for item in returns]


def ids_text(queue_ids):
    """Return e.g. '100001, 100003'."""
    return ', '.join(map(str, queue_ids))


def cancel_scheduled(emu, env):
    """Schedule calls, let some start, predict with --check --diff, cancel for real: exactly the predicted calls are cancelled."""
    numbers, campaign = ['+1555555014%d' % i for i in range(5)], REFERENCE_IDS[0]
    queue_ids = schedule_calls(emu, numbers, campaign)
    step('A fresh emulator, seeded the same way. Your own scheduling system schedules %d calls for %s with a form POST:' % (len(numbers), campaign))
    say('     POST %s/NotifyMultiplePhoneBasicWithCPMandReferenceID' % emu.voice_url)
    say('     answer: %d x ResponseCode 0 (Queued), QueueIDs %s' % (len(queue_ids), ids_text(queue_ids)))
    mine = [call for call in emu.state()['accounts'][DEMO_KEY]['calls'] if call['queue_id'] in queue_ids]
    check(len(mine) == len(numbers) and all(call['status'] == 'scheduled' and call['reference_id'] == campaign for call in mine),
          'the emulator should hold the %d new calls as scheduled' % len(numbers))
    started = {queue_ids[1]: 'in_progress', queue_ids[3]: 'completed'}
    for queue_id, status in started.items():
        emu.call('POST', 'calls/status', {'queue_ids': [queue_id], 'status': status})
    queued = [queue_id for queue_id in queue_ids if queue_id not in started]
    seen = step('Meanwhile %s started dialing and %s completed (emulator control API: POST /_emulator/calls/status)' % tuple(started))
    before = emu.state()
    extra = ['-e', json.dumps({'esendex_queue_ids': queue_ids})]
    emu.clear_requests()
    output = []
    check(run_playbook(env, 'Preview', '--check', '--diff', *extra, playbook=SCHEDULED_PLAYBOOK, output=output) == 1,
          'the check run should report changed=1 (calls would be cancelled)')
    predicted = [int(queue_id) for queue_id in PREDICTED.findall(output[0])]
    check(predicted == queued, 'check mode predicted %s, but the queued calls are %s' % (predicted, queued))
    named = WOULD_CANCEL.search(flat(output[0]))
    check(named and [int(queue_id) for queue_id in named.group(1).split(', ')] == predicted,
          'the play should name the predicted QueueIDs (would_cancel_queue_ids): %s' % ids_text(predicted))
    check(NO_MESSAGES in flat(output[0]), 'the play should say that no MessageIDs were given, so no message is cancelled')
    paths = [entry['path'].rsplit('/', 1)[-1] for entry in emu.requests()]
    check(paths == ['GetMultipleQueueIdStatus'], 'the check run should send one status read and nothing else, sent %s' % paths)
    check_state(emu, before, 'after the check run')
    say('   Predicted: %s. The emulator received 1 request (GetMultipleQueueIdStatus) and no cancellation;'
        ' no MessageIDs were given, so the messages task was skipped.' % ids_text(predicted))
    output.clear()
    emu.clear_requests()
    check(run_playbook(env, 'Cancel them', '--diff', *extra, playbook=SCHEDULED_PLAYBOOK, output=output) == 1,
          'the real run should report changed=1 (calls cancelled)')
    expected = copy.deepcopy(before)
    for call in expected['accounts'][DEMO_KEY]['calls']:
        call['status'] = 'cancelled' if call['queue_id'] in predicted else call['status']
    check_state(emu, expected, 'after the real run')
    check([int(queue_id) for queue_id in PREDICTED.findall(output[0])] == predicted, "the real run's diff should show the predicted calls cancelled")
    paths = [entry['path'].rsplit('/', 1)[-1] for entry in emu.requests()]
    check(paths == ['GetMultipleQueueIdStatus'] + ['CancelNotify'] * len(queue_ids) + ['GetMultipleQueueIdStatus'],
          'the real run should read the statuses (--diff), send one CancelNotify per QueueID, then read the statuses of those'
          ' answered false (not_found_queue_ids); it sent %s' % paths)
    check('calls: %d of %d QueueIDs cancelled' % (len(predicted), len(queue_ids)) in flat(output[0]),
          'the play should say that %d of %d QueueIDs were cancelled' % (len(predicted), len(queue_ids)))
    check('not_found_queue_ids' not in flat(output[0]), 'the play should name no QueueID as not found: the service knows them all')
    say('   The emulator received: GetMultipleQueueIdStatus (the diff\'s "before"), %d x CancelNotify (%d answered true, %d false),'
        ' GetMultipleQueueIdStatus of the %d answered false: all known, so not_found_queue_ids is empty.'
        % (len(queue_ids), len(predicted), len(started), len(started)))
    account = before['accounts'][DEMO_KEY]
    others = dict(account, calls=[call for call in account['calls'] if call['queue_id'] not in queue_ids])
    step('What the emulator holds now, compared item by item with step %d:' % seen)
    table('cancelled', [('your calls', 'QueueIDs %s: exactly the prediction' % ids_text(predicted))])
    table('left alone', [('your calls', 'QueueIDs %s: %s' % (ids_text(started), describe([call for call in account['calls'] if call['queue_id'] in started])))]
          + [(name, text + ('  (same reference ID)' if name == 'calls ' + campaign else '')) for name, text in groups(others)]
          + [('other account %s' % short(key), 'untouched') for key in before['accounts'] if key != DEMO_KEY])
    look_after(emu, env, queue_ids, predicted, started)


def look_after(emu, env, queue_ids, cancelled, started):
    """Read the calls' statuses with esendex_call_info (read-only): the cancelled ones read Cancelled, the others as started."""
    state = emu.state()
    emu.clear_requests()
    output = []
    run_ansible(dict(env, ANSIBLE_CALLBACK_RESULT_FORMAT='json'), 'Look after',
                ['ansible', 'localhost', '-m', 'esendex.us.esendex_call_info', '-a', json.dumps({'queue_ids': queue_ids})], output, show=False)
    try:
        result = json.JSONDecoder().raw_decode(output[0][output[0].index('=>') + 2:].lstrip())[0]
    except ValueError as ex:
        raise DemoFailure('esendex_call_info printed no result that can be read: %s' % ex) from None
    calls = result.get('calls', [])
    say('     localhost | SUCCESS: changed=%s, not_found_queue_ids=%s, calls (one per QueueID, as the module returns them):'
        % (str(result.get('changed')).lower(), result.get('not_found_queue_ids')))
    for call in calls:
        say('       queue_id %-7s response_code %-3s response_text %-14s call_complete %-6s call_answered %-6s cancellable %s' % tuple(
            str(call.get(name)).lower() if isinstance(call.get(name), bool) else call.get(name)
            for name in ('queue_id', 'response_code', 'response_text', 'call_complete', 'call_answered', 'cancellable')))
    held = {call['queue_id']: call for call in emu.call('GET', 'calls') if call['queue_id'] in queue_ids}
    want = {**{queue_id: 'Cancelled' for queue_id in cancelled}, **{queue_id: STARTED_TEXT[status] for queue_id, status in started.items()}}
    check(result.get('changed') is False and result.get('not_found_queue_ids') == [], 'esendex_call_info should report changed=false and every QueueID found')
    check([call.get('queue_id') for call in calls] == queue_ids, 'esendex_call_info should return one call per QueueID in input order, got %s'
          % [call.get('queue_id') for call in calls])
    wrong = ['%s reads %s (code %s), the emulator holds %s (code %s), expected %s' % (
        call['queue_id'], call.get('response_text'), call.get('response_code'), held[call['queue_id']]['response_text'],
        held[call['queue_id']]['response_code'], want[call['queue_id']]) for call in calls
        if not call.get('response_text') == held[call['queue_id']]['response_text'] == want[call['queue_id']]
        or call.get('response_code') != held[call['queue_id']]['response_code'] or call.get('cancellable') is not False]
    check(not wrong, 'esendex_call_info does not match the emulator: %s' % '; '.join(wrong))
    paths = [entry['path'].rsplit('/', 1)[-1] for entry in emu.requests()]
    check(paths == ['GetMultipleQueueIdStatus'], 'esendex_call_info should send one status read and nothing else, sent %s' % paths)
    check_state(emu, state, 'after esendex_call_info')
    say('   %s read Cancelled, %s Dialing and %s Call Answered, as the emulator holds them; none is cancellable any more.'
        % (ids_text(cancelled), *started))
    say('   The emulator received 1 request (GetMultipleQueueIdStatus for the %d QueueIDs) and its state is unchanged: the module is read-only.'
        % len(queue_ids))


# The scenarios, in order; each gets a fresh emulator seeded with tests/emulator/demo_state.json.
SCENARIOS = (cancel_campaign, cancel_scheduled)


def demo():
    """Set up the venv, then run every scenario on its own emulator; raise DemoFailure or runtime.SetupError."""
    say('esendex.us demo: cancel a campaign, then exactly the calls you scheduled, on the bundled Esendex US emulator'
        ' (no Esendex account needed; no request leaves this machine)')
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
    say('The same playbooks against the real service: ESENDEX_LICENSE_KEY=<your key> ansible-playbook %s' % PLAYBOOK)
    say("  and: ESENDEX_LICENSE_KEY=<your key> ansible-playbook --check --diff -e '{\"esendex_queue_ids\": [...]}' %s" % SCHEDULED_PLAYBOOK)
    say("  and: ESENDEX_LICENSE_KEY=<your key> ansible localhost -e 'ansible_python_interpreter={{ ansible_playbook_python }}'"
        " -m esendex.us.esendex_call_info -a '{\"queue_ids\": [...]}'")


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
