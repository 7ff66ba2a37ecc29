# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run a module's main() in-process (on ansible-core 2.16 as on 2.19 and later), with its check-mode twin."""

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
    # issue 9 item 7: called inside an except block, fail_json makes ansible-core print the module's traceback
    assert sys.exc_info() == (None, None, None), f'fail_json called while handling {sys.exc_info()[1]!r}'
    MODULES.append(_module)
    raise ModuleDone(dict(result, msg=msg, failed=True))


def run_module(main, args: dict, check_mode: bool = False, env: dict | None = None, diff: bool = False) -> dict:
    """Run main() with args and only `env` of the ESENDEX_* environment variables; return its result.

    The result is what the module passed to exit_json or fail_json (before Ansible's no_log masking,
    so a leaked key is seen), plus `failed` and the `warnings` it gave, after a JSON round trip.
    fail_json must be called with no exception being handled.
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


KEY = '6a0f2d9c-83b1-4e57-b4a2-c5e81f7d3b90'

# Options both modules share, each invalid value with the option its one-line message must name.
COMMON_INVALID = [
    ({'license_key': 'not-a-license-key'}, 'license_key'),
    ({'license_key': KEY + '0'}, 'license_key'),
    ({'license_key': f'{{{KEY}}}'}, 'license_key'),
    ({'license_key': KEY.replace('-', '')}, 'license_key'),
    ({'license_key': f' {{{KEY}}}\n'}, 'license_key'),  # white space around the key is stripped (issue 9 item 5), braces are not
    ({'license_key': f'{KEY[:8]} {KEY[9:]}'}, 'license_key'),
    ({'license_key': None}, 'license_key'),
    ({'api_url': 'ftp://messaging.esendex.us/Messaging.svc'}, 'api_url'),
    ({'api_url': 'messaging.esendex.us/Messaging.svc'}, 'api_url'),
    ({'api_url': 'https://messaging.esendex.us/Messaging.svc?LicenseKey=x'}, 'api_url'),
    ({'api_url': 'https://messaging.esendex.us:123456/Messaging.svc'}, 'api_url'),
    ({'api_url': 'https://messaging.esendex.us/Messaging svc'}, 'api_url'),
    ({'timeout': 0}, 'timeout'),
    ({'timeout': -2.5}, 'timeout'),
    ({'timeout': 'soon'}, 'timeout'),
    ({'retries': -1}, 'retries'),
]


def leaks(text: str, secret: str) -> bool:
    """Tell whether any 8 characters of the secret, in any case, are in the text."""
    return any(secret[i:i + 8].lower() in text.lower() for i in range(len(secret) - 7))


STATUS_READ = '/GetMultipleQueueIdStatus'


def run_both(main, emulator, args: dict, env: dict | None = None, invalid: bool = False, diff: bool = False,
             check: dict | None = None, reads: int = 0, traceback: bool = False) -> tuple:
    """Run the module in check mode, then for real, with the same arguments and environment; return both results.

    Neither run may hold any part of the license key, in its result or in any request's path or query string, and
    the check-mode run must change nothing in the emulator and send no request but `reads` status reads
    (GetMultipleQueueIdStatus, the only read-only method); with none, it may not take a fault either. With
    `invalid` options both runs fail alike, before any request. Otherwise the check-mode result, warnings aside, is
    `check`, by default the one for what cannot be predicted: changed, with a message saying so. No failure carries a
    traceback (`exception`) unless `traceback` is set. With `diff`, both runs are in diff mode.
    """
    secret = args.get('license_key') or (env or {}).get('ESENDEX_LICENSE_KEY') or ''
    sent, before = len(emulator.requests()), (emulator.get_state(), emulator.faults())
    check_result = run_module(main, args, check_mode=True, env=env, diff=diff)
    read = emulator.requests()[sent:]
    assert [entry['path'].rsplit('/', 1)[-1] for entry in read] == [STATUS_READ[1:]] * reads, read
    assert emulator.get_state() == before[0] and (reads or emulator.faults() == before[1])
    real = run_module(main, args, env=env, diff=diff)
    for result in check_result, real:
        assert len(result['msg'].splitlines()) == 1 if 'msg' in result else not result['failed']
        assert len(secret) < 8 or not leaks(json.dumps(result), secret), result
        assert traceback or 'exception' not in result, result
    for entry in emulator.requests()[sent:]:
        assert len(secret) < 8 or not leaks(entry['path'] + '?' + entry['query'], secret), entry
    if invalid:
        assert real['failed'] is True and real == check_result and len(emulator.requests()) == sent
    else:
        if check is None:
            assert (check_result['changed'], sorted(check_result)) == (True, ['changed', 'failed', 'msg', 'warnings'])
            assert 'no request was sent' in check_result['msg'] and 'cannot be predicted' in check_result['msg']
        else:
            assert {name: value for name, value in check_result.items() if name != 'warnings'} == check
        assert set(check_result['warnings']) <= set(real['warnings'])
    return check_result, real


def run_twins(main, emulator, args: dict, env: dict | None = None, invalid: bool = False, **options) -> dict:
    """run_both, returning the real run's result."""
    return run_both(main, emulator, args, env, invalid, **options)[1]


# The wire of the 1.1.0 methods (../shared/esendex/targeted-methods.md), for canned answers. A `respond` fault answers
# without processing; `match` on the path picks the method ('/CancelMessage' is not part of '/CancelAllMessages', but
# '/CancelNotify' is part of '/CancelNotifyByReferenceID').
NOTIFY_NS = 'https://ws.esendex.us/NotifyWS/'


def answer(method: str, body: str, status: int = 200, content_type: str = 'text/xml; charset=utf-8', count: int = 1,
           template: bool = False) -> dict:
    """A fault that answers the next `count` requests to `method` with this body (with `template`, {license_key} is the request's)."""
    return {'type': 'respond', 'status': status, 'body_template' if template else 'body': body, 'content_type': content_type,
            'count': count, 'match': {'path_contains': '/' + method}}


def json_bool(value: bool, count: int = 1) -> dict:
    """CancelMessage's answer."""
    return answer('CancelMessage', 'true' if value else 'false', content_type='application/json; charset=utf-8', count=count)


def xml_bool(value: bool, count: int = 1) -> dict:
    """CancelNotify's answer."""
    return answer('CancelNotify', f'<?xml version="1.0" encoding="utf-8"?>\r\n<boolean xmlns="{NOTIFY_NS}">{str(value).lower()}</boolean>',
                  count=count)


def xml_int(value: int) -> dict:
    """CancelNotifyByReferenceID's answer (the fault also matches CancelNotify: queue it in the order of the requests)."""
    return answer('CancelNotify', f'<?xml version="1.0" encoding="utf-8"?>\r\n<int xmlns="{NOTIFY_NS}">{value}</int>')


# ResponseCode -> (ResponseText, CallComplete), from the vendor's list
CODES = {0: ('Queued', False), 12: ('Dialing', False), 1: ('Call Answered', True), 2: ('Call Unanswered', True),
         22: ('Cancelled', True), 46: ('Ready for Dialer', False)}


def notify_returns(statuses: dict) -> str:
    """An ArrayOfNotifyReturn for {queue ID: ResponseCode or (ResponseCode, CallComplete)}, fields in the documented order."""
    entries = []
    for qid, code in statuses.items():
        code, complete = code if isinstance(code, tuple) else (code, CODES[code][1])
        text = CODES[code][0]
        entries.append(f'<NotifyReturn><ResponseCode>{code}</ResponseCode><ResponseText>{text}</ResponseText>'
                       f'<CallAnswered>{str(code == 1).lower()}</CallAnswered><QueueID>{qid}</QueueID><TryCount>0</TryCount>'
                       '<Demo>false</Demo><Duration>0</Duration><StartTime>0001-01-01T00:00:00</StartTime>'
                       '<EndTime>0001-01-01T00:00:00</EndTime><MinuteRate>0.0000</MinuteRate><Country>US</Country>'
                       f'<CallComplete>{str(complete).lower()}</CallComplete></NotifyReturn>')
    return ('<?xml version="1.0" encoding="utf-8"?>\r\n<ArrayOfNotifyReturn xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            f'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{NOTIFY_NS}">' + ''.join(entries) + '</ArrayOfNotifyReturn>')


def statuses(statuses_by_id: dict) -> dict:
    """GetMultipleQueueIdStatus' answer."""
    return answer('GetMultipleQueueIdStatus', notify_returns(statuses_by_id))


def depth(text: str) -> int:
    """How deep parentheses nest in text."""
    level = most = 0
    for char in text:
        level += (char == '(') - (char == ')')
        most = max(most, level)
    return most
