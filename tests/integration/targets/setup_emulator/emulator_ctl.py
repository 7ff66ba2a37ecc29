# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drive the Esendex emulator's control API for the integration targets (standard library only).

Run with the test Python from runme.sh (through emulator.sh) or from a playbook through the pipe lookup:

    emulator_ctl.py prepare SPEC_JSON    reset the emulator to SPEC (accounts, faults, latency, settings); print JSON
    emulator_ctl.py report [--brief]     print what the emulator saw: requests, cancellations, state
    emulator_ctl.py scan [--all] FILE... fail if a test secret is in FILE or in a request path or query string the
                                         emulator (--all: every emulator in ESENDEX_EMULATOR_URLS) logged
    emulator_ctl.py secret NAME          print the secret NAME: only for emulator.sh's esendex_with_key, which
                                         puts it in the environment without tracing it

Test secrets (license keys, a URL password) live in files/test_secrets.json; playbooks load them as
esendex_secrets. A SPEC names them rather than spelling them, so no command line holds one: an account is
named by its key's secret name ("main"), and any string may hold "<secret:NAME>". Nothing else this helper
prints holds a secret: each is replaced by "<secret:NAME>", whatever its case, so a report can be printed
at any verbosity.

The emulator URL comes from ESENDEX_EMULATOR_URL; ESENDEX_EMULATOR_WORKDIR holds the journal of every
request path and query string the emulators logged (kept across resets, so `scan` sees them all).
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from urllib.parse import unquote_plus

HERE = os.path.dirname(os.path.abspath(__file__))
SECRETS_FILE = os.path.join(HERE, 'files', 'test_secrets.json')
UNLISTED = 'unlisted'


def load_secrets() -> dict:
    """Return {name: value} of every test secret."""
    with open(SECRETS_FILE, encoding='utf-8') as handle:
        return json.load(handle)['esendex_secrets']


SECRETS = load_secrets()


def secret_forms() -> list:
    """Return (name, lower-case form) for every way a secret could be written: GUIDs also without dashes."""
    forms = []
    for name, value in SECRETS.items():
        forms.append((name, value.lower()))
        if value.count('-') == 4:
            forms.append((name, value.replace('-', '').lower()))
    return sorted(forms, key=lambda item: -len(item[1]))


FORMS = secret_forms()


def sanitize(value):
    """Replace every secret in strings (and dict keys) anywhere inside value by <secret:NAME>, ignoring case."""
    if isinstance(value, str):
        for name, form in FORMS:
            value = re.sub(re.escape(form), '<secret:%s>' % name, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, list):
        return [sanitize(item) for item in value]
    if isinstance(value, dict):
        return {sanitize(key): sanitize(item) for key, item in value.items()}
    return value


def key_name(license_key) -> str:
    """Return the secret name of a license key as the emulator recorded it."""
    if not isinstance(license_key, str):
        return UNLISTED
    for name, value in SECRETS.items():
        if value.lower() == license_key.strip().strip('{}()').lower():
            return name
    return UNLISTED


def control(method: str, name: str, payload=None, base: str = ''):
    """Call /_emulator/NAME of the current emulator (or of base) and return the decoded JSON answer."""
    base = base or os.environ['ESENDEX_EMULATOR_URL']
    data = None if payload is None else json.dumps(payload).encode('utf-8')
    request = urllib.request.Request('%s/_emulator/%s' % (base, name), data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=30) as response:  # the emulator on loopback only
        return json.loads(response.read().decode('utf-8'))


def journal_path() -> str:
    """Return the file that keeps every request line the emulator logged, across resets."""
    return os.path.join(os.environ['ESENDEX_EMULATOR_WORKDIR'], 'request-journal.jsonl')


def archive_requests(base: str = '') -> None:
    """Append an emulator's request log (method, path, query) to the journal and clear it."""
    entries = control('GET', 'requests', base=base)
    with open(journal_path(), 'a', encoding='utf-8') as handle:
        for entry in entries:
            handle.write(json.dumps({'method': entry['method'], 'path': entry['path'], 'query': entry['query']}) + '\n')
    control('DELETE', 'requests', base=base)


def with_secrets(spec):
    """Resolve <secret:NAME> anywhere in spec."""
    text = json.dumps(spec)
    for name, value in SECRETS.items():
        text = text.replace('<secret:%s>' % name, value)
    return json.loads(text)


def generated_calls(load: dict) -> tuple:
    """Return (calls, summary) for `count` reference IDs with 0-3 scheduled calls each, some in progress."""
    rng = random.Random(load.get('seed', 1))
    calls, scheduled, in_progress = [], {}, 0
    for index in range(load['count']):
        reference_id = '%s-%05d' % (load.get('prefix', 'load'), index)
        scheduled[reference_id] = rng.randint(0, 3)
        calls.extend([{'reference_id': reference_id, 'to': '+1555555%04d' % (index % 10000)}] * scheduled[reference_id])
        if rng.random() < 0.25:
            calls.append({'reference_id': reference_id, 'status': 'in_progress'})
            in_progress += 1
        if rng.random() < 0.1:
            calls.append({'reference_id': reference_id, 'status': 'completed'})
    return calls, {'reference_ids': list(scheduled), 'scheduled_total': sum(scheduled.values()),
                   'scheduled_by_reference_id': scheduled, 'in_progress': in_progress}


def prepare(spec: dict) -> dict:
    """Reset the emulator to spec: {accounts: {NAME: {messages, calls}}, load: {...}, faults: [...], latency: s, settings: {...}}.

    settings goes to PUT /_emulator/settings, e.g. {"message_status_available": false} to make GetMessageStatus answer 404.
    """
    spec = with_secrets(spec)
    accounts, summary = {}, {}
    for name, account in spec.get('accounts', {}).items():
        accounts[SECRETS[name]] = {'messages': account.get('messages', []), 'calls': list(account.get('calls', []))}
    if 'load' in spec:
        calls, summary = generated_calls(spec['load'])
        accounts.setdefault(SECRETS[spec['load'].get('account', 'main')], {'messages': [], 'calls': []})['calls'].extend(calls)
    archive_requests()
    control('POST', 'reset', {'accounts': accounts})
    if spec.get('faults'):
        control('POST', 'faults', {'faults': spec['faults']})
    if spec.get('latency'):
        control('PUT', 'latency', {'seconds': spec['latency']})
    if spec.get('settings'):
        control('PUT', 'settings', spec['settings'])
    return dict(summary, time=time.time())


def secret_in(text: str) -> bool:
    """Tell whether text holds a secret, percent-decoded or not, in any case."""
    text = '%s\n%s' % (text, unquote_plus(text))
    return any(form in text.lower() for _name, form in FORMS)


def statuses(items: list) -> dict:
    """Count items by status."""
    return dict(Counter(item['status'] for item in items))


def report(brief: bool) -> dict:
    """Return what the emulator saw, without any secret."""
    requests = control('GET', 'requests')
    cancellations = control('GET', 'cancellations')
    accounts = control('GET', 'state')['accounts']
    times = [entry['time'] for entry in requests]
    cancelled = defaultdict(lambda: {'messages': 0, 'calls': 0, 'by_reference_id': defaultdict(int), 'commits_by_reference_id': defaultdict(int),
                                     'queue_ids': []})
    cancelled_message_ids = []
    for entry in cancellations:
        if entry['method'] == 'CancelMessage':  # no key: whatever account the message is in
            cancelled_message_ids.extend(entry['cancelled_ids'])
            continue
        totals = cancelled[key_name(entry['license_key'])]
        if entry['method'] == 'CancelNotify':
            totals['calls'] += entry['count']
            totals['queue_ids'].extend(entry['cancelled_ids'])
        elif entry['method'] == 'CancelAllMessages':
            totals['messages'] += entry['count']
        else:
            totals['calls'] += entry['count']
            if entry['count']:
                totals['by_reference_id'][entry['reference_id']] += entry['count']
                totals['commits_by_reference_id'][entry['reference_id']] += 1
    status_counts = {}
    for key, account in accounts.items():
        by_reference_id = defaultdict(list)
        for call in account['calls']:
            by_reference_id[call['reference_id']].append(call)
        status_counts[key_name(key)] = {
            'messages': statuses(account['messages']),
            'calls': statuses(account['calls']),
            'calls_by_reference_id': {} if brief else {rid: statuses(calls) for rid, calls in by_reference_id.items()},
        }
    result = {
        'time': time.time(),
        'request_count': len(requests),
        'faulted_count': sum(1 for entry in requests if entry['fault']),
        'secret_in_url': any(secret_in('%s?%s' % (entry['path'], entry['query'])) for entry in requests),
        'gaps': [round(later - earlier, 3) for earlier, later in zip(times, times[1:])],
        'cancelled': {name: dict(totals, by_reference_id=dict(totals['by_reference_id']),
                                 commits_by_reference_id=dict(totals['commits_by_reference_id']))
                      for name, totals in cancelled.items()},
        'cancelled_message_ids': cancelled_message_ids,
        'statuses': status_counts,
    }
    if not brief:
        result['requests'] = [{
            'method': entry['method'], 'path': entry['path'], 'query': entry['query'], 'status': entry['status'],
            'fault': entry['fault'], 'body': entry['body'],
            'content_type': entry['headers'].get('Content-Type', ''), 'accept': entry['headers'].get('Accept', ''),
            'user_agent': entry['headers'].get('User-Agent', ''),
        } for entry in requests]
        result['cancellations'] = [{
            'account': key_name(entry['license_key']), 'method': entry['method'], 'transport': entry['transport'],
            'reference_id': entry['reference_id'], 'count': entry['count'],
            'queue_id': entry.get('queue_id'), 'message_id': entry.get('message_id'),
        } for entry in cancellations]
        result['accounts'] = {key_name(key): account for key, account in accounts.items()}
    return sanitize(result)


def scan(paths: list, every_emulator: bool) -> int:
    """Fail (1) if a secret is in any file or in any request path or query string an emulator logged."""
    for base in os.environ.get('ESENDEX_EMULATOR_URLS', '').split() if every_emulator else ['']:
        archive_requests(base)
    found = []
    for path in paths:
        with open(path, encoding='utf-8', errors='replace') as handle:
            for number, line in enumerate(handle, start=1):
                lowered = line.lower()
                found.extend('%s line %d holds the secret %r: %s' % (path, number, name, sanitize(line.strip())[:300])
                             for name, form in FORMS if form in lowered)
    logged = 0
    if os.path.exists(journal_path()):
        with open(journal_path(), encoding='utf-8') as handle:
            for number, line in enumerate(handle, start=1):
                entry = json.loads(line)
                logged += 1
                if secret_in('%s?%s' % (entry['path'], entry['query'])):
                    found.append('request %d (%s) carried a secret in its path or query string' % (number, entry['method']))
    for line in found[:20]:
        print('SECRET LEAK: %s' % line, file=sys.stderr)
    print('scanned %d file(s) and %d logged request(s): %s' % (len(paths), logged, 'LEAKS FOUND' if found else 'no secret found'))
    return 1 if found else 0


def main(argv: list) -> int:
    """Command-line entry point."""
    command = argv[0] if argv else ''
    if command == 'prepare' and len(argv) == 2:
        print(json.dumps(prepare(json.loads(argv[1]))))
    elif command == 'report' and len(argv) in (1, 2):
        print(json.dumps(report(argv[1:] == ['--brief'])))
    elif command == 'scan':
        return scan([path for path in argv[1:] if path != '--all'], '--all' in argv[1:])
    elif command == 'secret' and len(argv) == 2:
        print(SECRETS[argv[1]])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
