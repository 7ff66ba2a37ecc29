#!/usr/bin/python
# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: esendex_call_info
short_description: Read the status of Esendex US voice-broadcast calls by QueueID
version_added: 2.0.0
description:
  - Reads the status of each call of O(queue_ids) with the Esendex US Voice Broadcast (PhoneNotify) API method
    C(GetMultipleQueueIdStatus), a free, read-only method, 100 QueueIDs a request.
  - Sends nothing else, in check mode and out of it, and never reports a change.
  - Use it to look before and after M(esendex.us.esendex_cancel_calls) cancels calls by QueueID.
author:
  - esendex.us maintainers (@esendex-us)
extends_documentation_fragment:
  - esendex.us.esendex
  - esendex.us.esendex.voice
  - esendex.us.esendex.info_module
options:
  queue_ids:
    description:
      - The QueueIDs of the calls to read, as the C(Notify*) methods returned them when the calls were scheduled.
      - Each item must be a whole number from V(1) to V(9223372036854775807), given as an integer or as a string of the
        digits C(0-9) with optional white space around it. Anything else (a float, a boolean, V(1e3), V(1_001),
        V(0x65), a negative number, other scripts' digits, an empty string, null) fails before any request is sent.
        A QueueID given more than once is read once.
      - Required, and must not be null. An empty list sends no request.
    type: list
    elements: raw
    required: true
    aliases:
      - queue_id
notes:
  - The service leaves out of its answer the QueueIDs it does not know, or that belong to another account (INFERRED);
    they are listed in RV(not_found_queue_ids), with a warning.
seealso:
  - module: esendex.us.esendex_cancel_calls
  - module: esendex.us.esendex_message_info
  - name: Voice Broadcast API reference
    description: The vendor's list of methods, with C(GetMultipleQueueIdStatus).
    link: https://esendex.us/docs/voice-broadcast/api/api-reference/
"""

EXAMPLES = r"""
- name: Look before, cancel, look after
  module_defaults:
    group/esendex.us.voice:
      license_key: "{{ esendex_license_key }}"
  block:
    - name: Which of our calls are still queued?
      esendex.us.esendex_call_info:
        queue_ids: "{{ scheduled_queue_ids }}"
      delegate_to: localhost
      register: before

    - name: Cancel those that can be cancelled
      esendex.us.esendex_cancel_calls:
        queue_ids: "{{ before.calls | selectattr('cancellable') | map(attribute='queue_id') | list }}"
      delegate_to: localhost

    - name: Did the cancellation take?
      esendex.us.esendex_call_info:
        queue_ids: "{{ scheduled_queue_ids }}"
      delegate_to: localhost
      register: after

    - name: Show each call's status
      ansible.builtin.debug:
        msg: "{{ after.calls | items2dict(key_name='queue_id', value_name='response_text') }}"
"""

RETURN = r"""
calls:
  description:
    - One entry per QueueID of O(queue_ids) that the service mentions, in the order of O(queue_ids).
    - A field the answer lacks is null. The times are exactly as the service sends them, without a time zone.
  returned: success, and on failure (then the calls read before it, possibly none)
  type: list
  elements: dict
  contains:
    queue_id:
      description: The QueueID.
      type: int
      sample: 4096001
    response_code:
      description: The call's status code (C(ResponseCode)); V(0) is Queued.
      type: int
      sample: 0
    response_text:
      description: The status in words (C(ResponseText)).
      type: str
      sample: Queued
    call_complete:
      description: Whether the call is finished (C(CallComplete)).
      type: bool
      sample: false
    call_answered:
      description: Whether the call was answered (C(CallAnswered)).
      type: bool
      sample: false
    machine_detection:
      description: Who answered, as the service detected it (C(MachineDetection)), for example V(HUMAN) or V(MACHINE).
      type: str
      sample: HUMAN
    duration:
      description: The call's length in seconds (C(Duration)).
      type: int
      sample: 42
    start_time:
      description: When the call started (C(StartTime)); V(0001-01-01T00:00:00) means not yet.
      type: str
      sample: "2026-12-07T10:15:03.57"
    end_time:
      description: When the call ended (C(EndTime)); V(0001-01-01T00:00:00) means not yet.
      type: str
      sample: "2026-12-07T10:15:45.57"
    digits_pressed:
      description: The digits the person pressed (C(DigitsPressed)).
      type: str
      sample: "1"
    try_count:
      description: How many times the call was tried (C(TryCount)).
      type: int
      sample: 1
    minute_rate:
      description: The price per minute (C(MinuteRate)).
      type: float
      sample: 0.09
    cancellable:
      description:
        - Whether M(esendex.us.esendex_cancel_calls) would cancel the call now, the rule its check mode predicts with
          (Queued and not complete, a rule INFERRED from the vendor's response codes).
      type: bool
      sample: true
not_found_queue_ids:
  description:
    - The QueueIDs of O(queue_ids) that the service does not mention, in their order.
  returned: success
  type: list
  elements: int
  sample: [4096009]
msg:
  description: Why the read failed, naming the QueueIDs not read.
  returned: failure
  type: str
  sample: "The status of 100 QueueIDs could not be read (4096001, 4096002, 4096003 and 97 more): ..."
"""

from ansible_collections.esendex.us.plugins.module_utils._common import (
    QUEUE_IDS,
    client_for,
    esendex_module,
    ids_option,
    queue_id,
    read_all,
    read_failure,
    warn_not_found,
)

NULL = 'queue_ids is required and must not be null: give the QueueIDs to read.'


def main() -> None:
    """Read the status of each QueueID; never change anything."""
    module = esendex_module('voice', {'queue_ids': {'type': 'list', 'elements': 'raw', 'required': True, 'aliases': ['queue_id']}})
    queue_ids = ids_option(module, 'queue_ids', queue_id)
    if queue_ids is None:
        module.fail_json(msg=NULL)
    with client_for(module) as client:
        found, unread, errors = read_all(client.read_call_statuses(queue_ids, module.params['concurrency']))
    calls = [dict(found[qid]._asdict(), cancellable=found[qid].cancellable) for qid in queue_ids if qid in found]
    if errors:
        module.fail_json(msg=read_failure(QUEUE_IDS, unread, errors), calls=calls, changed=False)
    not_found = [qid for qid in queue_ids if qid not in found]
    warn_not_found(module, QUEUE_IDS, not_found)
    module.exit_json(changed=False, calls=calls, not_found_queue_ids=not_found)


if __name__ == '__main__':
    main()
