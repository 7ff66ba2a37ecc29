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

from ansible_collections.esendex.us.plugins.module_utils._client import EsendexInputError, Item, normalize_queue_ids, normalize_reference_ids
from ansible_collections.esendex.us.plugins.module_utils._common import CHECK_MODE_MSG, esendex_module, make_client, run, tally, validate_common

CHECK_MODE_QUEUE_MSG = ('Check mode: no cancellation was sent. GetMultipleQueueIdStatus says {n} of {total} queue IDs are '
                        'Queued and not complete, so a real run would cancel them (INFERRED from the vendor\'s response codes).')
CHECK_MODE_BOTH_MSG = (' Calls by reference ID cannot be previewed, so changed is true because a cancellation would be attempted.')
EMPTY_MSG = 'queue_ids is empty: no request was sent.'
NOT_FOUND = '(not found)'


def main() -> None:
    """Cancel the scheduled calls of each reference ID and queue ID; in check mode, predict what can be predicted."""
    module = esendex_module('voice', {
        'reference_ids': {'type': 'list', 'elements': 'raw', 'aliases': ['reference_id']},
        'queue_ids': {'type': 'list', 'elements': 'int', 'aliases': ['queue_id']},
    }, required_one_of=[('reference_ids', 'queue_ids')])
    run(module, lambda: cancel(module), result_keys(module), 'calls')


def result_keys(module) -> dict:
    """The result key of each kind of ID the task gave."""
    given = {'reference ID': 'reference_ids', 'queue ID': 'queue_ids'}
    return {kind: f'cancelled_by_{option[:-1]}' for kind, option in given.items() if module.params[option] is not None}


def cancel(module) -> dict:
    """Return the result for the validated options (raises EsendexError)."""
    api_url = validate_common(module)
    params = module.params
    if params['reference_ids'] is None and params['queue_ids'] is None:  # required_one_of counts an option set to null
        raise EsendexInputError('one of reference_ids and queue_ids is required, and neither may be null')
    reference_ids = None if params['reference_ids'] is None else normalize_reference_ids(params['reference_ids'])
    queue_ids = normalize_queue_ids(params['queue_ids'] or [])
    if not (reference_ids or queue_ids):
        return {'changed': False, 'msg': EMPTY_MSG, **({} if module.check_mode else tally(module, [], result_keys(module), 'calls'))}
    if module.check_mode and not queue_ids:
        return {'changed': True, 'msg': CHECK_MODE_MSG}
    with make_client(module, api_url) as client:
        before = client.queue_id_status(queue_ids) if queue_ids and (module.check_mode or module._diff) else {}
        if module.check_mode:
            would = [qid for qid in queue_ids if qid in before and before[qid].cancellable]
            msg = CHECK_MODE_QUEUE_MSG.format(n=len(would), total=len(queue_ids)) + (CHECK_MODE_BOTH_MSG if reference_ids else '')
            return {'changed': bool(would or reference_ids), 'msg': msg, 'would_cancel_queue_ids': would,
                    **diff(module, queue_ids, before, set(would))}
        items = [Item('reference ID', rid, client.cancel_by_reference_id) for rid in reference_ids or []]
        done = client.run_all(items + [Item('queue ID', qid, client.cancel_by_queue_id) for qid in queue_ids], params['concurrency'])
    result = tally(module, done, result_keys(module), 'calls')
    return {**result, **diff(module, queue_ids, before, {item.id for item, answer in done if item.kind == 'queue ID' and answer.value})}


def diff(module, queue_ids: list, before: dict, cancelled: set) -> dict:
    """The diff of the queue IDs' statuses, in diff mode."""
    if not (module._diff and queue_ids):
        return {}
    was = {qid: (before[qid].text or f'ResponseCode {before[qid].code}') if qid in before else NOT_FOUND for qid in queue_ids}
    return {'diff': {
        'before': ''.join(f'{qid}: {was[qid]}\n' for qid in queue_ids),
        'after': ''.join(f'{qid}: {"Cancelled" if qid in cancelled else was[qid]}\n' for qid in queue_ids),
    }}


if __name__ == '__main__':
    main()
