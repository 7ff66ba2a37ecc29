# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run a module's main() in-process (on ansible-core 2.16 as on 2.19 and later) with its check-mode twin; canned answers."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from unittest import mock

import pytest
from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19 and later
except ImportError:  # ansible-core 2.16 - 2.18 read the arguments from basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose the given module args to AnsibleModule instances created within this context."""
        with mock.patch.object(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode()):
            yield

KEY = '6a0f2d9c-83b1-4e57-b4a2-c5e81f7d3b90'
OTHER_KEY = 'd4c7a1e9-0f35-4b82-9e6d-2a8c5b1f7e03'
ZERO = '00000000-0000-0000-0000-000000000000'
M1, M2, M3, M4, M5, M6 = (f'9d0c4f2e-5a1b-4c3d-8e7f-{n:012d}' for n in range(101, 107))
READS = ('GetMultipleQueueIdStatus', 'GetMessageStatus')  # the read-only methods

# Options every module shares, each invalid value with the option its one-line message must name.
COMMON_INVALID = [
    ({'license_key': 'not-a-license-key'}, 'license_key'),
    ({'license_key': KEY + '0'}, 'license_key'),
    ({'license_key': f' {{{KEY}}}\n'}, 'license_key'),  # white space around the key is stripped, braces are not
    ({'license_key': KEY.replace('-', '')}, 'license_key'),
    ({'license_key': f'{KEY[:8]} {KEY[9:]}'}, 'license_key'),
    ({'license_key': None}, 'license_key'),
    ({'api_url': 'ftp://esendex.example/x'}, 'api_url'),
    ({'api_url': 'esendex.example/x'}, 'api_url'),
    ({'api_url': 'https://esendex.example/x?LicenseKey=x'}, 'api_url'),
    ({'api_url': 'https://esendex.example:123456/x'}, 'api_url'),
    ({'api_url': 'https://esendex.example/x y'}, 'api_url'),
    ({'timeout': 0}, 'timeout'),
    ({'timeout': 'soon'}, 'timeout'),
    ({'retries': -1}, 'retries'),
    ({'concurrency': 0}, 'concurrency'),
    ({'concurrency': 17}, 'concurrency'),
]


class ModuleDone(Exception):
    """Raised in place of exit_json/fail_json; carries the result."""

    def __init__(self, result: dict) -> None:
        super().__init__(result)
        self.result = result


MODULES = []  # each AnsibleModule that exited or failed, last one last (to read its no_log_values)


def _exit_json(_module, **result):
    MODULES.append(_module)
    raise ModuleDone(dict(result, failed=False))


def _fail_json(_module, msg, **result):
    # called inside an except block, fail_json makes ansible-core print the module's traceback
    assert sys.exc_info() == (None, None, None), f'fail_json called while handling {sys.exc_info()[1]!r}'
    MODULES.append(_module)
    raise ModuleDone(dict(result, msg=msg, failed=True))


def run_module(main, args: dict, check_mode: bool = False, env: dict | None = None, diff: bool = False) -> dict:
    """Run main() with args and only `env` of the ESENDEX_* environment variables; return its result.

    The result is what the module passed to exit_json or fail_json (before Ansible's no_log masking, so a leaked key is
    seen), plus `failed` and the `warnings` it gave, after a JSON round trip.
    """
    warnings = []
    environ = {name: value for name, value in os.environ.items() if not name.startswith('ESENDEX_')}
    environ.update(env or {})
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, environ, clear=True))
        stack.enter_context(patch_module_args(dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)))
        stack.enter_context(mock.patch.multiple(basic.AnsibleModule, exit_json=_exit_json, fail_json=_fail_json,
                                                warn=lambda _module, warning, *_args, **_kwargs: warnings.append(warning)))
        done = stack.enter_context(pytest.raises(ModuleDone))
        main()
    return json.loads(json.dumps(dict(done.value.result, warnings=warnings)))


def leaks(text: str, secret: str) -> bool:
    """Tell whether any 8 characters of the secret, in any case, are in the text."""
    return len(secret) >= 8 and any(secret[i:i + 8].lower() in text.lower() for i in range(len(secret) - 7))


def method(entry: dict) -> str:
    """The service method a logged request called."""
    return entry['path'].rsplit('/', 1)[-1]


def run_both(main, emulator, args: dict, env: dict | None = None, invalid: bool = False, diff: bool = False,
             check: dict | None = None, reads: int | None = None, traceback: bool = False) -> tuple:
    """Run the module in check mode, then for real, with the same arguments; return both results.

    Check mode may send read-only requests only (exactly `reads` of them, if given) and change nothing in the emulator;
    when it reads nothing, it takes no fault either. Neither run holds any part of the license key in its result or
    warnings, or sends it in a path or query string, or in a request to a method that takes no key; every request is a
    POST; a message is one line; no failure carries a traceback unless `traceback`. With `invalid`, both runs fail alike
    before any request. With `check`, the check-mode result, warnings aside, is `check`.
    """
    secret = args.get('license_key') or (env or {}).get('ESENDEX_LICENSE_KEY') or ''
    sent, state, faults = len(emulator.requests()), emulator.get_state(), emulator.faults()
    check_result = run_module(main, args, check_mode=True, env=env, diff=diff)
    read = [method(entry) for entry in emulator.requests()[sent:]]
    assert set(read) <= set(READS) and reads in (None, len(read)), read
    assert emulator.get_state() == state and (read or emulator.faults() == faults)
    real = run_module(main, args, env=env, diff=diff)
    for result in check_result, real:
        assert len(result.get('msg', '').splitlines()) <= 1 and not leaks(json.dumps(result), secret.strip()), result
        assert traceback or 'exception' not in result, result
    for entry in emulator.requests()[sent:]:
        assert entry['method'] == 'POST' and not leaks(entry['path'] + '?' + entry['query'], secret.strip()), entry
        assert method(entry) not in ('GetMessageStatus', 'CancelMessage') or not leaks(entry['body'], secret.strip()), entry
    if invalid:
        assert real['failed'] is True and real == check_result and len(emulator.requests()) == sent
    if check is not None:
        assert {name: value for name, value in check_result.items() if name != 'warnings'} == check
    return check_result, real


def run_twins(main, emulator, args: dict, env: dict | None = None, invalid: bool = False, **options) -> dict:
    """run_both, returning the real run's result."""
    return run_both(main, emulator, args, env, invalid, **options)[1]


# Canned answers: a `respond` fault answers without processing the request; `match` picks the method and the ID.
NOTIFY_NS = 'https://ws.esendex.us/NotifyWS/'
XML = 'text/xml; charset=utf-8'
JSON = 'application/json; charset=utf-8'


def answer(operation: str, body: str = '', status: int = 200, content_type: str = XML, count: int | None = 1, **match) -> dict:
    """A fault that answers the next `count` (None: every) requests to `operation` (matching `match`) with this body."""
    return {'type': 'respond', 'status': status, 'body': body, 'content_type': content_type, 'count': count,
            'match': {'operation': operation, **match}}


def failing(operation: str, status: int = 500, **match) -> dict:
    """A fault that answers every matching request with an HTTP error (after every retry: permanent)."""
    return answer(operation, 'Server Error', status=status, content_type='text/plain', count=None, **match)


def json_bool(value: bool, count: int = 1) -> dict:
    """CancelMessage's answer."""
    return answer('CancelMessage', str(value).lower(), content_type=JSON, count=count)


def xml_bool(value: bool, count: int = 1) -> dict:
    """CancelNotify's answer."""
    return answer('CancelNotify', f'<?xml version="1.0" encoding="utf-8"?>\r\n<boolean xmlns="{NOTIFY_NS}">{str(value).lower()}</boolean>',
                  count=count)


# ResponseCode -> (ResponseText, CallComplete), from the vendor's list
CODES = {0: ('Queued', False), 12: ('Dialing', False), 1: ('Call Answered', True), 22: ('Cancelled', True), 46: ('Ready for Dialer', False)}


def notify_returns(entries: dict) -> str:
    """An ArrayOfNotifyReturn for {queue ID: ResponseCode, (ResponseCode, CallComplete), or {element: text} written as given}."""
    xml = []
    for qid, entry in entries.items():
        if not isinstance(entry, dict):
            code, complete = entry if isinstance(entry, tuple) else (entry, CODES[entry][1])
            entry = {'ResponseCode': code, 'ResponseText': CODES[code][0], 'CallAnswered': str(code == 1).lower(), 'TryCount': 0,
                     'Demo': 'false', 'Duration': 0, 'StartTime': '0001-01-01T00:00:00', 'EndTime': '0001-01-01T00:00:00',
                     'MinuteRate': '0.0000', 'Country': 'US', 'CallComplete': str(complete).lower()}
        xml.append(f'<NotifyReturn><QueueID>{qid}</QueueID>' + ''.join(f'<{n}>{v}</{n}>' for n, v in entry.items()) + '</NotifyReturn>')
    return (f'<?xml version="1.0" encoding="utf-8"?>\r\n<ArrayOfNotifyReturn xmlns="{NOTIFY_NS}">' + ''.join(xml) + '</ArrayOfNotifyReturn>')


def statuses(entries: dict, count: int = 1) -> dict:
    """GetMultipleQueueIdStatus' answer (see notify_returns)."""
    return answer('GetMultipleQueueIdStatus', notify_returns(entries), count=count)


def sms_response(message_id: str, **fields) -> dict:
    """GetMessageStatus' answer for one MessageID (an SMSResponse as WCF writes it: a scheduled message unless `fields` say)."""
    doc = {'Cancelled': False, 'MessageID': message_id, 'Queued': False, 'ReferenceID': None, 'SMSError': 0, 'SMSIncomingMessages': None,
           'Sent': False, 'SentDateTime': '/Date(-62135596800000)/', **fields}
    return answer('GetMessageStatus', json.dumps(doc).replace('/', '\\/'), content_type=JSON, message_id=message_id)
