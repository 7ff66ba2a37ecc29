#!/usr/bin/python
# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: esendex_cancel_calls
short_description: Cancel scheduled voice-broadcast calls of an Esendex US account by reference ID or QueueID
version_added: 1.0.0
description:
  - For each of O(reference_ids), calls the Esendex US Voice Broadcast (PhoneNotify) API method
    C(CancelNotifyByReferenceID), which cancels the calls of the account that carry that reference ID and are
    scheduled, and returns how many.
  - For each of O(queue_ids), calls C(CancelNotify), which cancels that one call if it is scheduled.
  - Calls already in progress or completed are never cancelled.
  - Reports RV(ignore:changed) from the service's answers, V(true) only if at least one call was cancelled.
author:
  - esendex.us maintainers (@esendex-us)
extends_documentation_fragment:
  - esendex.us.esendex
  - esendex.us.esendex.voice
options:
  reference_ids:
    description:
      - The reference IDs whose scheduled calls to cancel, as given when the calls were scheduled with
        C(NotifyPhoneAdvanced), C(NotifyMultiplePhoneAdvanced) or C(NotifyMultiplePhoneBasicWithCPMandReferenceID).
      - At least one of O(reference_ids) and O(queue_ids) is required; both may be given in one task.
      - A single string is accepted. As for every list option in Ansible, a string with commas is split at the commas.
      - Each item must be a string or a number. White space around each ID is removed. An ID that is then empty, or
        that holds a control character, and an item that is a list, a dictionary or a boolean, fail before any request
        is sent. An ID given more than once is sent once.
      - If given, the list must not be empty.
    type: list
    elements: raw
    aliases:
      - reference_id
  queue_ids:
    description:
      - The QueueIDs of single calls to cancel, as the C(Notify*) methods returned them when the calls were scheduled.
      - Each must be a whole number from V(1) to V(9223372036854775807); anything else fails before any request is sent.
        A QueueID given more than once is sent once.
      - An empty list (with no O(reference_ids)) sends no request and reports RV(ignore:changed=false).
    type: list
    elements: int
    aliases:
      - queue_id
    version_added: 1.1.0
notes:
  - If cancelling one ID fails, no further ID (of either list) is started; those in flight finish. The failed result
    still carries RV(cancelled_count), RV(cancelled_by_reference_id) and RV(cancelled_by_queue_id) for every ID that was
    answered, and RV(ignore:changed=true) if any call was cancelled, so no cancellation goes unreported.
  - A wrong but well-formed license key is most likely answered with V(0) or V(false), which looks the same as
    "nothing to cancel".
  - The service answers V(false) for a QueueID that is unknown, belongs to another account, or whose call is no longer
    scheduled (INFERRED for unknown and other accounts' IDs).
seealso:
  - module: esendex.us.esendex_cancel_messages
  - name: CancelNotifyByReferenceID API reference
    description: The vendor's page for the method this module calls for each of O(reference_ids).
    link: https://esendex.us/docs/voice-broadcast/api/methods/CancelNotifyByReferenceID
  - name: Voice Broadcast API reference
    description: The vendor's list of methods, with C(CancelNotify) and C(GetMultipleQueueIdStatus).
    link: https://esendex.us/docs/voice-broadcast/api/api-reference/
"""

EXAMPLES = r"""
- name: Stop a campaign's scheduled calls
  esendex.us.esendex_cancel_calls:
    license_key: "{{ esendex_license_key }}"
    reference_id: spring-sale-2026
  delegate_to: localhost
  register: result

- name: Say how many calls were cancelled (not known in check mode)
  ansible.builtin.debug:
    msg: "{{ result.cancelled_count | default('(check mode)') }} scheduled calls cancelled"

- name: Cancel exactly the calls this play scheduled, by QueueID; run with --check --diff first to see the prediction
  esendex.us.esendex_cancel_calls:
    license_key: "{{ esendex_license_key }}"
    queue_ids: "{{ scheduled_queue_ids }}"
  delegate_to: localhost
  register: result

- name: Show what was cancelled, or what check mode predicts
  ansible.builtin.debug:
    msg: >-
      {{ result.would_cancel_queue_ids if ansible_check_mode else result.cancelled_by_queue_id }}

- name: Cancel several campaigns at once, eight at a time, with the key set once for the whole play
  module_defaults:
    group/esendex.us.esendex:
      license_key: "{{ esendex_license_key }}"
      concurrency: 8
  block:
    - name: Cancel the calls of every maintenance window that was called off
      esendex.us.esendex_cancel_calls:
        reference_ids: "{{ cancelled_windows }}"
      delegate_to: localhost
      register: result

    - name: Show the count for each reference ID
      ansible.builtin.debug:
        var: result.cancelled_by_reference_id
      when: not ansible_check_mode
"""

RETURN = r"""
cancelled_count:
  description:
    - The total number of calls cancelled through both lists, the sum of RV(cancelled_by_reference_id) and the number
      of V(true) answers in RV(cancelled_by_queue_id).
  returned: outside check mode, on success and on failure (then counting the IDs answered, possibly none)
  type: int
  sample: 9
cancelled_by_reference_id:
  description:
    - For each reference ID that the service answered, in the order of O(reference_ids), the number of calls cancelled.
  returned: with O(reference_ids), outside check mode, on success and on failure (then for the IDs answered, possibly none)
  type: dict
  sample:
    spring-sale-2026: 6
    maintenance-window-17: 3
cancelled_by_queue_id:
  description:
    - For each QueueID that the service answered, as a decimal string, in the order of O(queue_ids), the service's
      answer to C(CancelNotify).
  returned: with O(queue_ids), outside check mode, on success and on failure (then for the IDs answered, possibly none)
  type: dict
  sample:
    "4096001": true
    "4096002": false
  version_added: 1.1.0
would_cancel_queue_ids:
  description:
    - In check mode, the QueueIDs of O(queue_ids), in their order, whose status is Queued (C(ResponseCode) V(0)) and
      not complete, which are the calls a real run would cancel (INFERRED rule, see the C(check_mode) attribute). A QueueID the
      service does not mention is not predicted.
  returned: check mode with O(queue_ids)
  type: list
  elements: int
  sample: [4096001, 4096003]
  version_added: 1.1.0
diff:
  description:
    - With C(--diff) and O(queue_ids), each QueueID's status before (C(ResponseText)) and after (V(Cancelled) for the
      calls cancelled or, in check mode, predicted), one line per QueueID.
  returned: diff mode with O(queue_ids), on success
  type: dict
  sample:
    before: "4096001: Queued\n4096002: Call Answered\n"
    after: "4096001: Cancelled\n4096002: Call Answered\n"
  version_added: 1.1.0
msg:
  description: In check mode, what could and could not be predicted; otherwise why nothing was sent, or why it failed.
  returned: check mode; an empty O(queue_ids); failure
  type: str
  sample: >-
    Check mode: no request was sent. The Esendex API cannot preview a cancellation, so what would be cancelled cannot
    be predicted; changed is true because a cancellation would be attempted.
"""

from ansible_collections.esendex.us.plugins.module_utils._common import (
    bulk_result,
    client_for,
    esendex_module,
    finish,
    ids_option,
    queue_id,
    read_all,
    read_failure,
    read_or_warn,
    reference_id,
    status_change,
    warn_not_found,
)

CANNOT_PREDICT = ('Check mode: no request was sent. No Esendex method lists the calls of a reference ID, so what would be '
                  'cancelled cannot be predicted; changed is true because a cancellation would be attempted.')
PREDICTED = ('Check mode: no cancellation was sent. GetMultipleQueueIdStatus says: {summary}. A real run would cancel {would} '
             '(Queued and not complete: INFERRED from the vendor\'s response codes).')
BOTH = ' Calls by reference ID cannot be previewed, so changed is true because a cancellation would be attempted.'
STATUSES = 'QueueIDs before and after: {summary}.'
EMPTY = 'reference_ids and queue_ids are empty: no request was sent.'
NEITHER = 'Give reference_ids or queue_ids (or both): neither was given, or both are null.'
QUEUE_IDS = 'QueueIDs'
NOT_FOUND_CAUSES = "a wrong license key, another account's calls, or a mistyped ID"


def main() -> None:
    """Cancel the scheduled calls of each reference ID and QueueID; in check mode, predict what can be predicted."""
    module = esendex_module('voice', {
        'reference_ids': {'type': 'list', 'elements': 'raw', 'aliases': ['reference_id']},
        'queue_ids': {'type': 'list', 'elements': 'raw', 'aliases': ['queue_id']},
    })
    reference_ids = ids_option(module, 'reference_ids', reference_id)
    queue_ids = ids_option(module, 'queue_ids', queue_id)
    if reference_ids is None and queue_ids is None:
        module.fail_json(msg=NEITHER)
    with client_for(module) as client:
        if module.check_mode:
            predict(module, client, reference_ids or [], queue_ids or [])
        cancel(module, client, reference_ids, queue_ids)


def predict(module, client, reference_ids: list, queue_ids: list) -> None:
    """Exit with what a real run would cancel, from the QueueIDs' statuses; calls by reference ID cannot be previewed."""
    if not queue_ids:
        module.exit_json(changed=bool(reference_ids), msg=CANNOT_PREDICT if reference_ids else EMPTY)
    found, unread, errors = read_all(client.read_call_statuses(queue_ids, module.params['concurrency']))
    if errors:
        module.fail_json(msg=f'{read_failure(QUEUE_IDS, unread, errors)} Check mode predicts from it; nothing was cancelled.')
    would = [qid for qid in queue_ids if qid in found and found[qid].cancellable]
    not_found = [qid for qid in queue_ids if qid not in found]
    warn_not_found(module, QUEUE_IDS, not_found, NOT_FOUND_CAUSES)
    diff, summary = status_change(queue_ids, {qid: status.label for qid, status in found.items()}, set(would))
    msg = PREDICTED.format(summary=summary, would=f'{len(would)} of {len(queue_ids)}') + (BOTH if reference_ids else '')
    module.exit_json(changed=bool(would or reference_ids), msg=msg, would_cancel_queue_ids=would, not_found_queue_ids=not_found,
                     **({'diff': diff} if module._diff else {}))


def cancel(module, client, reference_ids: list | None, queue_ids: list | None) -> None:
    """Cancel every ID given, best effort; exit with what the service answered, or fail naming what failed."""
    concurrency = module.params['concurrency']
    before = None
    if module._diff and queue_ids:
        before = read_or_warn(module, client.read_call_statuses(queue_ids, concurrency), QUEUE_IDS,
                              'The diff shows their status before as unknown; the cancellation goes ahead.')
    jobs = [(client.cancel_by_reference_id, rid) for rid in reference_ids or []] + [(client.cancel_by_queue_id, qid) for qid in queue_ids or []]
    outcomes = client.run_all(jobs, concurrency)
    by_queue = outcomes[len(reference_ids or []):]
    groups = [(name, label, group) for name, label, ids, group in (
        ('reference_id', 'reference ID', reference_ids, outcomes[:len(reference_ids or [])]),
        ('queue_id', 'QueueID', queue_ids, by_queue)) if ids is not None]
    result = bulk_result(module, groups, 'calls')
    answered_false = [outcome.id for outcome in by_queue if outcome.answer is not None and not outcome.answer.value]
    if queue_ids is not None:
        after = read_or_warn(module, client.read_call_statuses(answered_false, concurrency), QUEUE_IDS,
                             'not_found_queue_ids is left out of the result.')
        if after is not None:
            result['not_found_queue_ids'] = [qid for qid in answered_false if qid not in after]
            warn_not_found(module, QUEUE_IDS, result['not_found_queue_ids'], NOT_FOUND_CAUSES)
    if module._diff and queue_ids:
        result['diff'], summary = status_change(queue_ids, before and {qid: status.label for qid, status in before.items()},
                                                {outcome.id for outcome in by_queue if outcome.answer is not None and outcome.answer.value})
        result['msg'] = STATUSES.format(summary=summary)
    if not (reference_ids or queue_ids):
        result['msg'] = EMPTY
    finish(module, result, groups, 'calls')


if __name__ == '__main__':
    main()
