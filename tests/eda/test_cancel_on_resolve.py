# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rulebook esendex.us.cancel_on_resolve, end to end: Alertmanager notifications in, the emulator's state out.

One ansible-rulebook serves every test (it takes about ten seconds to start); each test resets the emulator and
waits for the rulebook's own output about its notification. The last test scans everything that was printed.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from conftest import KEY, OTHER_KEY, TOKEN

KEY_HASH = hashlib.sha256(KEY.encode()).hexdigest()
OTHER_HASH = hashlib.sha256(OTHER_KEY.encode()).hexdigest()
RECAP = r'^localhost\s+: ok=\d+'
NOTHING = r'nothing to cancel'
CAMP1 = [5001, 5002, 5003]  # scheduled calls of camp1 in the test account (5004 is in progress)
CAMP2 = [5101, 5102]
CAMP3 = [5201, 5202]


def alert(status, reference_id=None, labels=None, annotations=None):
    """Return one alert of an Alertmanager notification (webhook payload version 4)."""
    labels = dict({'alertname': 'CampaignIncident'}, **(labels or {}))
    if reference_id is not None:
        labels['esendex_reference_id'] = reference_id
    return {'status': status, 'labels': labels, 'annotations': annotations or {}, 'startsAt': '2026-12-01T10:00:00Z',
            'endsAt': '2026-12-01T11:00:00Z' if status == 'resolved' else '0001-01-01T00:00:00Z',
            'generatorURL': 'http://prometheus.example/graph', 'fingerprint': 'c0ffee'}


def notification(*alerts):
    """Return an Alertmanager webhook notification of these alerts."""
    status = 'firing' if any(item['status'] == 'firing' for item in alerts) else 'resolved'
    return {'version': '4', 'groupKey': '{}:{alertname="CampaignIncident"}', 'truncatedAlerts': 0, 'status': status,
            'receiver': 'esendex', 'groupLabels': {'alertname': 'CampaignIncident'}, 'commonLabels': {}, 'commonAnnotations': {},
            'externalURL': 'http://alertmanager.example', 'alerts': list(alerts)}


def cancelled_calls(emulator):
    """Return {account key hash: sorted cancelled QueueIDs}."""
    found = {}
    for (account, queue_id), status in emulator.statuses().items():
        if status == 'cancelled':
            found.setdefault(account, []).append(queue_id)
    return {account: sorted(ids) for account, ids in found.items()}


@pytest.mark.parametrize('token', [None, 'wrong-token', ''], ids=['no token', 'wrong token', 'empty token'])
def test_a_request_without_the_token_is_refused_and_cancels_nothing(rulebook, emulator, token):
    assert rulebook.post(notification(alert('resolved', 'camp1')), token=token) == 401
    # a later notification that cancels nothing: once the rulebook has answered it, it has seen everything before it
    assert rulebook.post(notification(alert('firing', 'camp1'))) == 200
    output = rulebook.wait_for(NOTHING)
    assert 'PLAY' not in output
    assert cancelled_calls(emulator) == {}
    assert emulator.call('GET', 'requests') == []


def test_a_firing_alert_cancels_nothing(rulebook, emulator):
    annotations = {'esendex_queue_ids': '5101', 'esendex_message_ids': '9d0c4f2e-5a1b-4c3d-8e7f-00000000e001'}
    payload = notification(alert('firing', 'camp1', annotations=annotations))
    assert rulebook.post(payload) == 200
    assert 'PLAY' not in rulebook.wait_for(NOTHING)
    assert emulator.cancelled() == ([], [])
    assert emulator.call('GET', 'requests') == []


def test_a_mixed_notification_cancels_exactly_the_resolved_alerts_calls(rulebook, emulator):
    before = emulator.statuses()
    assert rulebook.post(notification(alert('firing', 'camp2'), alert('resolved', 'camp1'))) == 200
    output = rulebook.wait_for(RECAP)
    assert re.search(r'^localhost\s+: ok=\d+\s+changed=1\s+unreachable=0\s+failed=0', output, re.M), output
    assert 'calls by reference ID: 3 cancelled (3 for camp1)' in output
    assert cancelled_calls(emulator) == {KEY_HASH: CAMP1}
    after = emulator.statuses()
    assert {key: status for key, status in after.items() if status != 'cancelled'} == \
        {key: status for key, status in before.items() if key not in {(KEY_HASH, queue_id) for queue_id in CAMP1}}
    assert after[(KEY_HASH, 5004)] == 'in_progress'
    assert all(status == 'scheduled' for (account, unused_queue_id), status in after.items() if account == OTHER_HASH)
    assert emulator.cancelled()[1] == []


def test_a_reference_id_that_a_firing_alert_also_carries_is_held(rulebook, emulator):
    payload = notification(alert('firing', 'camp2', labels={'instance': 'b'}), alert('resolved', 'camp2', labels={'instance': 'a'}),
                           alert('resolved', 'camp3'))
    assert rulebook.post(payload) == 200
    output = rulebook.wait_for(RECAP)
    assert 'held reference ID camp2: a firing alert of this notification still carries it, so it is not cancelled' in output
    assert cancelled_calls(emulator) == {KEY_HASH: CAMP3}


def test_queue_and_message_ids_of_a_resolved_alert_are_cancelled(rulebook, emulator):
    payload = notification(alert('resolved', annotations={'esendex_queue_ids': '5101, 5004', 'esendex_message_ids':
                                                          '9D0C4F2E-5A1B-4C3D-8E7F-00000000E002'}))
    assert rulebook.post(payload) == 200
    output = rulebook.wait_for(RECAP)
    assert 'calls by QueueID: 1 of 2 cancelled' in output and 'messages by MessageID: 1 of 1 cancelled' in output
    assert emulator.cancelled() == ([5101], ['9d0c4f2e-5a1b-4c3d-8e7f-00000000e002'])


def test_an_alert_whose_ids_fail_validation_cancels_nothing_and_says_so(rulebook, emulator):
    payload = notification(alert('resolved', 'camp1', annotations={'esendex_queue_ids': '5101; 5102'}),
                           alert('resolved', 'camp 3'))
    assert rulebook.post(payload) == 200
    output = rulebook.wait_for(NOTHING)
    assert 'rejected alert 1 (resolved): annotation esendex_queue_ids holds an item that is not a QueueID' in output
    assert 'rejected alert 2 (resolved): label esendex_reference_id is not a valid reference ID' in output
    assert 'PLAY' not in output
    assert emulator.cancelled() == ([], [])


def test_templates_in_a_notification_are_never_evaluated(rulebook, emulator, scratch):
    pwned = scratch / 'pwned'
    pipe = "{{ lookup('pipe', 'touch %s') }}" % pwned
    payload = notification(
        alert('resolved', "{{ 'camp' ~ '1' }}"),
        alert('resolved', pipe),
        alert('resolved', 'camp3', labels={'alertname': pipe, 'severity': "{{ 'camp' ~ '1' }}"},
              annotations={'summary': pipe, 'description': '{% for x in [1] %}' + pipe + '{% endfor %}', 'esendex_note': pipe}),
        alert('resolved', annotations={'esendex_queue_ids': "{{ '5001' }}", 'esendex_message_ids': pipe}),
    )
    payload['commonAnnotations'] = {'summary': pipe}
    payload['externalURL'] = pipe
    # the playbook does run (camp3), so any template that reached it would have been evaluated
    assert rulebook.post(payload, path='alert%7B%7B1%7D%7D', headers={'X-Esendex-Note': pipe}) == 200
    output = rulebook.wait_for(RECAP)
    assert not pwned.exists()
    assert cancelled_calls(emulator) == {KEY_HASH: CAMP3}
    assert emulator.cancelled()[1] == []
    assert output.count('rejected alert') == 3
    assert 'camp1' not in output


def test_a_failed_run_is_retried_and_the_final_failure_is_shown(rulebook, emulator):
    emulator.call('POST', 'faults', {'faults': [{'type': 'respond', 'status': 500, 'count': None, 'body': 'Server Error',
                                                 'match': {'operation': 'CancelNotifyByReferenceID'}}]})
    assert rulebook.post(notification(alert('resolved', 'camp2'), alert('resolved', annotations={'esendex_queue_ids': '5201'}))) == 200
    # ansible-rulebook warns before the retry and, after the last run, logs an ERROR with that run's output
    output = rulebook.wait_for(r'ansible_rulebook\.action\.run_playbook - ERROR', timeout=120)  # three runs, 10 s apart
    assert 'Previous run_playbook failed. Retry 1 of 2' in output and 'Previous run_playbook failed. Retry 2 of 2' in output
    runs, final = output.split('run_playbook - ERROR', 1)
    assert len(re.findall(RECAP, runs, re.M)) == 3
    assert re.search(r'calls by reference ID camp2: .*HTTP 500', final), final
    # best effort: the QueueID was cancelled on each run although the reference ID failed
    assert cancelled_calls(emulator) == {KEY_HASH: [5201]}


def test_the_license_key_is_in_no_url_and_no_output(rulebook, emulator):
    assert rulebook.post(notification(alert('resolved', 'camp1'))) == 200
    rulebook.wait_for(RECAP)
    requests = emulator.call('GET', 'requests')
    assert requests
    for request in requests:
        assert KEY not in request['path'] + repr(request['query']) + repr(request['headers'])
    assert KEY not in rulebook.output()
    assert KEY.replace('-', '') not in rulebook.output().replace('-', '')
    assert TOKEN not in rulebook.output()
