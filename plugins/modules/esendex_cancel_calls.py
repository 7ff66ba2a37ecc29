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
  - Reports RV(ignore:changed) from the service's answers, V(true) only if at least one call was (or may have been)
    cancelled.
author:
  - esendex.us maintainers (@esendex-us)
extends_documentation_fragment:
  - esendex.us.esendex
  - esendex.us.esendex.voice
  - esendex.us.esendex.cancel_module
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: partial
    details:
      - With O(queue_ids), check mode asks C(GetMultipleQueueIdStatus), a free read-only method, and sends no
        cancellation. It predicts that a call would be cancelled if its status is C(ResponseCode) V(0) (Queued) and
        C(CallComplete) is V(false); that rule is INFERRED from the vendor's response codes. RV(would_cancel_queue_ids)
        lists those QueueIDs, and RV(ignore:changed) is V(true) only if it is not empty. If the status read fails, the
        task fails (check mode predicts from it) and nothing is cancelled.
      - Calls by O(reference_ids) cannot be previewed (no method lists calls by reference ID). For them check mode sends
        no request, and RV(ignore:changed) is V(true) with a RV(msg) saying that the effect cannot be predicted.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: partial
    details:
      - With O(queue_ids), the diff shows each QueueID's status before (its C(ResponseText)) and after (V(Cancelled) for
        the calls cancelled or, in check mode, predicted), and RV(msg) counts them per status. Outside check mode this
        costs one C(GetMultipleQueueIdStatus) request per 100 QueueIDs before the cancellation. If that read fails, the
        module warns, shows the statuses before as unknown, and cancels exactly as without C(--diff). Reference IDs have
        no diff.
options:
  reference_ids:
    description:
      - The reference IDs whose scheduled calls to cancel, as given when the calls were scheduled with
        C(NotifyPhoneAdvanced), C(NotifyMultiplePhoneAdvanced) or C(NotifyMultiplePhoneBasicWithCPMandReferenceID).
      - At least one of O(reference_ids) and O(queue_ids) is required, and at least one of them must not be null; both
        may be given in one task.
      - A single string is accepted. As for every list option in Ansible, a string with commas is split at the commas.
      - Each item must be a string or a number. White space around each ID is removed. An ID that is then empty, or
        that holds a control character, and an item that is null, a list, a dictionary or a boolean, fail before any
        request is sent. An ID given more than once is sent once.
      - An empty list sends no request for reference IDs.
    type: list
    elements: raw
    aliases:
      - reference_id
  queue_ids:
    description:
      - The QueueIDs of single calls to cancel, as the C(Notify*) methods returned them when the calls were scheduled.
      - Each item must be a whole number from V(1) to V(9223372036854775807), given as an integer or as a string of the
        digits C(0-9) with optional white space around it. Anything else (a float, a boolean, V(1e3), V(1_001),
        V(0x65), a negative number, other scripts' digits, an empty string, null) fails before any request is sent, the
        same way on every ansible-core version. A QueueID given more than once is sent once.
      - An empty list sends no request for QueueIDs. With both lists empty the module sends nothing and reports
        RV(ignore:changed=false).
    type: list
    elements: raw
    aliases:
      - queue_id
    version_added: 1.1.0
notes:
  - A wrong but well-formed license key is most likely answered with V(0) or V(false), which looks the same as
    "nothing to cancel". For QueueIDs the module tells them apart - it reads the status of the QueueIDs answered V(false)
    and lists those the service does not know in RV(not_found_queue_ids), with a warning.
  - The service answers V(false) for a QueueID that is unknown, belongs to another account, or whose call is no longer
    scheduled (INFERRED for unknown and other accounts' IDs).
seealso:
  - module: esendex.us.esendex_call_info
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
      ignore_errors: true

    - name: Show the count for each reference ID, and any that failed (every ID is attempted)
      ansible.builtin.debug:
        msg: "{{ result.cancelled_by_reference_id }} failed: {{ result.errors_by_reference_id }}"
      when: not ansible_check_mode
"""

RETURN = r"""
cancelled_count:
  description:
    - The total number of calls cancelled through both lists, the sum of RV(cancelled_by_reference_id) and the number
      of V(true) answers in RV(cancelled_by_queue_id).
  returned: outside check mode, on success and on failure
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
errors_by_reference_id:
  description:
    - For each reference ID whose request failed (after its retries), a one-line error. Empty when none failed.
  returned: with O(reference_ids), outside check mode, on success and on failure
  type: dict
  sample:
    maintenance-window-18: "CancelNotifyByReferenceID at ws.esendex.us failed after 4 attempts: HTTP 503: ..."
  version_added: 2.0.0
not_attempted_reference_ids:
  description:
    - The reference IDs that were never sent, in the order of O(reference_ids), because the service failed for
      V(max(3, concurrency\)) IDs in a row. Empty when every ID was attempted.
  returned: with O(reference_ids), outside check mode, on success and on failure
  type: list
  elements: str
  sample: []
  version_added: 2.0.0
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
errors_by_queue_id:
  description:
    - For each QueueID (as a decimal string) whose request failed (after its retries), a one-line error. Empty when
      none failed.
  returned: with O(queue_ids), outside check mode, on success and on failure
  type: dict
  sample:
    "4096003": "CancelNotify at ws.esendex.us failed: HTTP 500: ..."
  version_added: 2.0.0
not_attempted_queue_ids:
  description:
    - The QueueIDs that were never sent, in the order of O(queue_ids), because the service failed for
      V(max(3, concurrency\)) IDs in a row (counted across both lists). Empty when every ID was attempted.
  returned: with O(queue_ids), outside check mode, on success and on failure
  type: list
  elements: int
  sample: []
  version_added: 2.0.0
not_found_queue_ids:
  description:
    - The QueueIDs of O(queue_ids), in their order, that C(GetMultipleQueueIdStatus) does not mention, which is what it
      does for an unknown QueueID, another account's, or any QueueID when the license key is wrong (INFERRED). A
      warning names them when there are any.
    - In check mode, from the status read that makes the prediction. Outside check mode, from one status read (per 100
      IDs) of the QueueIDs that C(CancelNotify) answered V(false); if that read fails, the module warns and leaves this
      key out, because an empty list would claim that all were found.
  returned: with O(queue_ids), when the status read succeeded
  type: list
  elements: int
  sample: [4096009]
  version_added: 2.0.0
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
      calls cancelled or, in check mode, predicted), one line per QueueID. A QueueID the service does not mention reads
      V((not found\)); if the status read before a real run failed, every status before reads as unknown.
  returned: diff mode with O(queue_ids), on success and on failure
  type: dict
  sample:
    before: "4096001: Queued\n4096002: Call Answered\n"
    after: "4096001: Cancelled\n4096002: Call Answered\n"
  version_added: 1.1.0
msg:
  description:
    - In check mode, what could and could not be predicted, with the count of QueueIDs per status. In a real run with
      C(--diff) and O(queue_ids), the count per status before and after. Otherwise why nothing was sent, or why the task
      failed, naming the IDs that failed (the first three and a count).
  returned: check mode; diff mode with O(queue_ids); both lists empty; failure
  type: str
  sample: >-
    Check mode: no cancellation was sent. GetMultipleQueueIdStatus says: 297 Queued → Cancelled, 2 Dialing, 1 not found.
    A real run would cancel 297 of 300 (Queued and not complete: INFERRED from the vendor's response codes).
"""

from ansible_collections.esendex.us.plugins.module_utils._common import (
    QUEUE_IDS,
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
EMPTY = 'Nothing to cancel: the lists given are empty, so no request was sent.'
NEITHER = 'Give reference_ids or queue_ids (or both): neither was given, or both are null.'


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
    warn_not_found(module, QUEUE_IDS, not_found)
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
            warn_not_found(module, QUEUE_IDS, result['not_found_queue_ids'])
    if module._diff and queue_ids:
        result['diff'], summary = status_change(queue_ids, before and {qid: status.label for qid, status in before.items()},
                                                {outcome.id for outcome in by_queue if outcome.answer is not None and outcome.answer.value})
        result['msg'] = STATUSES.format(summary=summary)
    if not (reference_ids or queue_ids):
        result['msg'] = EMPTY
    finish(module, result, groups, 'calls')


if __name__ == '__main__':
    main()
