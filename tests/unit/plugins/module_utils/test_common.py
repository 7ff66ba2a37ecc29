# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_common without HTTP: how errors become fail_json, what a bulk run returns and says, and the status summaries."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.esendex.us.plugins.module_utils._client import (
    Answer,
    EsendexHTTPError,
    EsendexTransportError,
    Outcome,
)
from ansible_collections.esendex.us.plugins.module_utils._common import (
    CLEAR_TEXT_WARNING,
    OptionError,
    attempt,
    bulk_result,
    client_for,
    doubt,
    finish,
    read_all,
    read_failure,
    read_or_warn,
    sentence,
    status_change,
    warn_not_found,
)

KEY = '3d8b5f1e-c27a-4e96-8f40-a1b9c6d2e7f5'
NOTES = ['attempt 1: no answer from h:1 within 30 s', 'attempt 2: HTTP 504: Gateway Timeout']


class Exited(Exception):
    """Raised by the fake module's exit_json and fail_json."""


class FakeModule:
    """Just enough of AnsibleModule: params, warnings, no_log_values; exit_json and fail_json record their result and stop."""

    def __init__(self, **params) -> None:
        self.params = {'concurrency': 1, **params}
        self.warnings, self.calls, self.no_log_values = [], [], set()

    def warn(self, warning: str) -> None:
        self.warnings.append(warning)

    def exit_json(self, **result) -> None:
        self.calls.append(('exit_json', result))
        raise Exited()

    def fail_json(self, **result) -> None:
        assert sys.exc_info() == (None, None, None), f'fail_json called while handling {sys.exc_info()[1]!r}'
        self.calls.append(('fail_json', result))
        raise Exited()

    def ended(self, func, *args, **kwargs) -> tuple:
        """Run func(self, *args, **kwargs), which must end the module; return (exit_json or fail_json, its result)."""
        with pytest.raises(Exited):
            func(self, *args, **kwargs)
        [call] = self.calls
        return call


def raises(error):
    def work(*unused):
        raise error
    return work


def ok(value, notes=()):
    return Answer(value, len(notes) + 1, list(notes))


def failed(msg, unknown=False):
    return EsendexHTTPError(msg, 500, unknown)


# ---------------------------------------------------------------- attempt: the one place errors become fail_json

def test_attempt_returns_what_the_call_returns():
    module = FakeModule()
    assert attempt(module, lambda a, b: a + b, 2, 3) == 5 and module.calls == []


@pytest.mark.parametrize('error, msg, changed', [
    (OptionError('timeout must be a number of seconds greater than 0, got 0.0'), 'timeout must be a number of seconds greater than 0, got 0.0.', None),
    (EsendexHTTPError('CancelNotify at h failed: HTTP 500: Server Error', 500), 'CancelNotify at h failed: HTTP 500: Server Error.', None),
    (EsendexTransportError('x failed: the connection to h was dropped', True),
     'x failed: the connection to h was dropped. The request may have reached the service and acted on it.', True),
])
def test_attempt_fails_outside_the_except_block_keeping_the_result(error, msg, changed):
    function, result = FakeModule().ended(attempt, raises(error), 'arg', calls=[1])
    assert (function, result) == ('fail_json', {'msg': msg, 'calls': [1], **({'changed': changed} if changed else {})})


def test_an_unexpected_exception_is_not_swallowed():
    with pytest.raises(KeyError):
        attempt(FakeModule(), raises(KeyError('bug')))


@pytest.mark.parametrize('text, expected', [
    ('done', 'done.'), ('done.', 'done.'), ("HTTP 500: '" + 'x' * 57 + "...", "HTTP 500: '" + 'x' * 57 + '...'), ('a. b', 'a. b.'),
])
def test_sentence(text, expected):
    assert sentence(text) == expected


def test_client_for_strips_the_key_masks_it_and_warns_on_clear_text():
    module = FakeModule(license_key=f' {KEY}\n', api_url='http://esendex.example/Messaging.svc/', timeout=5.0, retries=1,
                        validate_certs=True, concurrency=2)
    with client_for(module) as client:
        assert (client.api_url, client.timeout, client.retries, client.host) == ('http://esendex.example/Messaging.svc', 5.0, 1, 'esendex.example')
    assert KEY in module.no_log_values and module.warnings == [CLEAR_TEXT_WARNING]


@pytest.mark.parametrize('option, value', [('license_key', f'{{{KEY}}}'), ('api_url', 'ftp://h/x'), ('concurrency', 17)])
def test_client_for_fails_naming_the_option(option, value):
    module = FakeModule(**{'license_key': KEY, 'api_url': 'https://h.example/x', 'timeout': 5.0, 'retries': 1, 'validate_certs': True,
                           'concurrency': 2, option: value})
    function, result = module.ended(client_for)
    assert function == 'fail_json' and result['msg'].startswith(f'{option} ') and KEY not in result['msg']


# ---------------------------------------------------------------- a lost answer

@pytest.mark.parametrize('value, notes, changed', [
    (0, NOTES[:1], True),  # the final answer says nothing: the lost attempt may have cancelled it
    (False, NOTES, True),
    (3, NOTES[:1], False),  # the answer counts a cancellation already: changed comes from it
    (True, NOTES[:1], False), (0, [], False),
])
def test_doubt(value, notes, changed):
    module = FakeModule()
    assert doubt(module, "Reference ID 'x'", ok(value, notes), 'calls') is changed
    assert len(module.warnings) == bool(notes)
    for warning in module.warnings:
        assert warning.startswith("Reference ID 'x': an earlier attempt may have reached the service without a complete answer (")
        assert all(note in warning for note in notes) and 'may have cancelled calls' in warning and warning.count('(') == 1


# ---------------------------------------------------------------- bulk_result and finish

GROUPS = [
    ('reference_id', 'Reference ID', [Outcome('b', ok(3)), Outcome('a', ok(0)), Outcome('c', error=failed('HTTP 500: Server Error'))]),
    ('queue_id', 'QueueID', [Outcome(9223372036854775807, ok(True)), Outcome(12, ok(False)), Outcome(7), Outcome(8)]),
]


def test_bulk_result_reports_each_kind_of_outcome_in_input_order():
    module = FakeModule()
    result = bulk_result(module, GROUPS, 'calls')
    assert result == {'changed': True, 'cancelled_count': 4,
                      'cancelled_by_reference_id': {'b': 3, 'a': 0}, 'errors_by_reference_id': {'c': 'HTTP 500: Server Error'},
                      'not_attempted_reference_ids': [],
                      'cancelled_by_queue_id': {'9223372036854775807': True, '12': False}, 'errors_by_queue_id': {},
                      'not_attempted_queue_ids': [7, 8]}
    assert list(result['cancelled_by_reference_id']) == ['b', 'a'] and module.warnings == []


@pytest.mark.parametrize('outcomes, changed, warned', [
    ([], False, 0), ([Outcome(1, ok(False)), Outcome(2)], False, 0), ([Outcome(1, error=failed('x'))], False, 0),
    ([Outcome(1, error=failed('x', unknown=True))], True, 0),  # a failed request may have cancelled
    ([Outcome(1, ok(False, NOTES[:1]))], True, 1),  # a lost attempt may have cancelled
    ([Outcome(1, ok(True, NOTES[:1]))], True, 1),
])
def test_bulk_result_changed_when_something_was_or_may_have_been_cancelled(outcomes, changed, warned):
    module = FakeModule()
    result = bulk_result(module, [('queue_id', 'QueueID', outcomes)], 'calls')
    assert result['changed'] is changed and len(module.warnings) == warned
    assert all(warning.startswith("QueueID '1': ") for warning in module.warnings)


def test_finish_exits_when_every_id_was_answered():
    groups = [('queue_id', 'QueueID', [Outcome(1, ok(True))])]
    result = {'changed': True, 'msg': 'ignored'}
    assert FakeModule().ended(finish, result, groups, 'calls') == ('exit_json', result)


@pytest.mark.parametrize('concurrency', [1, 5])
def test_finish_fails_naming_the_failed_ids_and_the_not_attempted_count_and_returns_the_result(concurrency):
    result = bulk_result(FakeModule(), GROUPS, 'calls')
    function, got = FakeModule(concurrency=concurrency).ended(finish, dict(result), GROUPS, 'calls')
    assert function == 'fail_json' and {name: value for name, value in got.items() if name != 'msg'} == result
    assert got['msg'] == (f"1 of 7 IDs failed: Reference ID 'c': HTTP 500: Server Error. 2 not attempted: the service failed for "
                          f'{max(3, concurrency)} IDs in a row, so no further ID was started.')


@pytest.mark.parametrize('count, unknown', [(1, False), (3, False), (4, True), (250, False)])
def test_finish_names_the_first_three_failures_and_counts_the_rest(count, unknown):
    outcomes = [Outcome(f'window-{n}', error=failed(f'HTTP 500: for window-{n}', unknown and n == count)) for n in range(1, count + 1)]
    groups = [('reference_id', 'Reference ID', outcomes + [Outcome('fine', ok(1))])]
    function, got = FakeModule().ended(finish, {'changed': True, 'msg': 'Check mode: none.'}, groups, 'calls')
    named = '; '.join(f"Reference ID 'window-{n}': HTTP 500: for window-{n}" for n in range(1, min(count, 3) + 1))
    more = f'; and {count - 3} more' if count > 3 else ''
    tail = ' A failed request may have reached the service and cancelled calls.' if unknown else ''
    assert (function, got) == ('fail_json', {'changed': True, 'msg': f'{count} of {count + 1} IDs failed: {named}{more}.{tail} Check mode: none.'})


@pytest.mark.parametrize('error', ['Value is not valid for ReferenceID r1.', 'Value is not valid for ReferenceID r1'])
def test_a_failure_message_ends_with_one_full_stop(error):
    groups = [('reference_id', 'Reference ID', [Outcome('r1', error=failed(f'HTTP 500: {error}'))])]
    unused, got = FakeModule().ended(finish, {}, groups, 'calls')
    assert got['msg'] == "1 of 1 IDs failed: Reference ID 'r1': HTTP 500: Value is not valid for ReferenceID r1."


def test_a_huge_id_is_quoted_short():
    groups = [('reference_id', 'Reference ID', [Outcome('r' * 10000, error=failed('HTTP 500: Server Error'))])]
    unused, got = FakeModule().ended(finish, {}, groups, 'calls')
    assert got['msg'] == f"1 of 1 IDs failed: Reference ID '{'r' * 57}...': HTTP 500: Server Error."


# ---------------------------------------------------------------- status reads

def test_read_all_merges_per_id_and_per_batch_outcomes():
    per_id = [Outcome('m1', ok('Sent')), Outcome('m2', error=failed('HTTP 500: x')), Outcome('m3'), Outcome('m4', ok('Queued'))]
    assert read_all(per_id) == ({'m1': 'Sent', 'm4': 'Queued'}, ['m2', 'm3'], [per_id[1].error])
    batches = [Outcome([1, 2, 3], ok({3: 'Queued', 1: 'Dialing'})), Outcome([4, 5], error=failed('HTTP 503: busy')), Outcome([6])]
    found, unread, errors = read_all(batches)
    assert (found, unread, errors) == ({3: 'Queued', 1: 'Dialing'}, [4, 5, 6], [batches[1].error])


@pytest.mark.parametrize('unread, shown', [([7], '1 QueueID could not be read (7)'), ([1, 2, 3], '3 QueueIDs could not be read (1, 2, 3)'),
                                           (list(range(1, 251)), '250 QueueIDs could not be read (1, 2, 3 and 247 more)')])
def test_read_failure_is_one_line_naming_the_first_ids_and_the_first_error(unread, shown):
    msg = read_failure('QueueIDs', unread, [failed('GetMultipleQueueIdStatus at h failed: HTTP 500: x'), failed('second')])
    assert msg == f'The status of {shown}: GetMultipleQueueIdStatus at h failed: HTTP 500: x.'


def test_read_or_warn():
    module = FakeModule()
    assert read_or_warn(module, [Outcome([1, 2], ok({1: 'Queued'}))], 'QueueIDs', 'unused') == {1: 'Queued'} and module.warnings == []
    assert read_or_warn(module, [Outcome([1], ok({})), Outcome([2], error=failed('HTTP 500: x'))], 'QueueIDs', 'Cancelling anyway.') is None
    assert module.warnings == ['The status of 1 QueueID could not be read (2): HTTP 500: x. Cancelling anyway.']


@pytest.mark.parametrize('ids, shown', [([], None), ([5], '5'), ([5, 6, 7, 8, 9], '5, 6, 7 and 2 more')])
def test_warn_not_found(ids, shown):
    module = FakeModule()
    warn_not_found(module, 'QueueIDs', ids)
    causes = "a wrong license key, another account's calls, or a mistyped ID"
    assert module.warnings == ([f'The service does not know {len(ids)} of the QueueIDs given ({shown}). Likely causes: {causes}.'] if ids else [])


# ---------------------------------------------------------------- diffs and their one-line summary

def test_status_change_counts_each_status_in_order_of_first_appearance():
    ids = list(range(1, 301))
    before = {**{qid: 'Queued' for qid in range(1, 298)}, 298: 'Dialing', 299: 'Dialing'}
    diff, summary = status_change(ids, before, set(range(1, 298)))
    assert summary == '297 Queued → Cancelled, 2 Dialing, 1 not found'
    assert diff['before'].splitlines()[::149] == ['1: Queued', '150: Queued', '299: Dialing']
    assert diff['before'].endswith('300: (not found)\n') and diff['after'].endswith('297: Cancelled\n298: Dialing\n299: Dialing\n300: (not found)\n')
    assert len(diff['before'].splitlines()) == len(diff['after'].splitlines()) == 300


@pytest.mark.parametrize('before, cancelled, summary, first', [
    (None, {'a', 'b'}, '2 unknown → Cancelled, 1 unknown', ('a: (unknown: the status read failed)', 'a: Cancelled')),
    ({'c': 'Sent'}, {'b'}, '1 not found, 1 not found → Cancelled, 1 Sent', ('a: (not found)', 'a: (not found)')),
    ({'a': 'Scheduled', 'b': 'Scheduled', 'c': 'Scheduled'}, set(), '3 Scheduled', ('a: Scheduled', 'a: Scheduled')),
])
def test_status_change_when_the_read_failed_or_found_nothing(before, cancelled, summary, first):
    diff, got = status_change(['a', 'b', 'c'], before, cancelled)
    assert got == summary and (diff['before'].splitlines()[0], diff['after'].splitlines()[0]) == first
