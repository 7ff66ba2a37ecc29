#!/usr/bin/python
# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: esendex_cancel_calls
short_description: Cancel scheduled voice-broadcast calls of an Esendex US account by reference ID
version_added: 1.0.0
description:
  - Calls the Esendex US Voice Broadcast (PhoneNotify) API method C(CancelNotifyByReferenceID) once for each reference ID.
    The service cancels the calls of the account that carry that reference ID and are scheduled, and returns how many.
  - Calls already in progress or completed are never cancelled.
  - Reports RV(ignore:changed) from the service's answer, V(true) only if at least one call was cancelled.
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
      - A single string is accepted. As for every list option in Ansible, a string with commas is split at the commas.
      - White space around each ID is removed. An ID that is then empty, or that holds a control character, fails
        before any request is sent. An ID given more than once is sent once.
    type: list
    elements: str
    required: true
    aliases:
      - reference_id
  concurrency:
    description:
      - How many reference IDs are in flight at once, from V(1) to V(16).
      - All requests of one run share one HTTP session, so connections are reused.
      - Results keep the order of O(reference_ids) whatever the concurrency.
    type: int
    default: 4
notes:
  - If cancelling one reference ID fails, no further reference ID is started. The failed result still carries
    RV(cancelled_count) and RV(cancelled_by_reference_id) for every reference ID that was answered, and
    RV(ignore:changed=true) if any call was cancelled, so no cancellation goes unreported.
  - If an attempt reached the service but its answer was lost (a timeout or a dropped connection after the request
    was sent), the retry may find nothing left to cancel. The module then warns, naming the reference ID, that calls
    may have been cancelled which RV(cancelled_count) does not count.
  - A wrong but well-formed license key is most likely answered with V(0), which looks the same as "nothing to cancel".
seealso:
  - module: esendex.us.esendex_cancel_messages
  - name: CancelNotifyByReferenceID API reference
    description: The vendor's page for the method this module calls.
    link: https://esendex.us/docs/voice-broadcast/api/methods/CancelNotifyByReferenceID
'''

EXAMPLES = r'''
- name: Stop a campaign's scheduled calls
  esendex.us.esendex_cancel_calls:
    license_key: "{{ esendex_license_key }}"
    reference_id: spring-sale-2026
  delegate_to: localhost
  register: result

- name: Say how many calls were cancelled
  ansible.builtin.debug:
    msg: "{{ result.cancelled_count }} scheduled calls cancelled"

- name: Cancel several campaigns at once, eight at a time, with the key set once for the whole play
  module_defaults:
    group/esendex.us.esendex:
      license_key: "{{ esendex_license_key }}"
  block:
    - name: Cancel the calls of every maintenance window that was called off
      esendex.us.esendex_cancel_calls:
        reference_ids: "{{ cancelled_windows }}"
        concurrency: 8
      delegate_to: localhost
      register: result

    - name: Show the count for each reference ID
      ansible.builtin.debug:
        var: result.cancelled_by_reference_id
'''

RETURN = r'''
cancelled_count:
  description:
    - The total number of calls cancelled, the sum of RV(cancelled_by_reference_id).
  returned: success, and failure after some reference IDs were answered; not in check mode
  type: int
  sample: 9
cancelled_by_reference_id:
  description:
    - For each reference ID that the service answered, in the order of O(reference_ids), the number of calls cancelled.
  returned: success, and failure after some reference IDs were answered; not in check mode
  type: dict
  sample:
    spring-sale-2026: 6
    maintenance-window-17: 3
msg:
  description: Says that no request was sent and that the effect of the cancellation cannot be predicted.
  returned: check mode
  type: str
  sample: >-
    Check mode: no request was sent. The Esendex API cannot preview a cancellation, so what would be cancelled cannot
    be predicted; changed is true because a cancellation would be attempted.
'''

from ansible_collections.esendex.us.plugins.module_utils._client import (
    EsendexBulkError,
    EsendexError,
    EsendexInputError,
    normalize_reference_ids,
)
from ansible_collections.esendex.us.plugins.module_utils._common import CHECK_MODE_MSG, esendex_module, make_client, validate_common

MAX_CONCURRENCY = 16
UNKNOWN_OUTCOME = ('Reference ID {rid!r}: an earlier attempt may have reached the service without a complete answer '
                   '({notes}); it may have cancelled calls that cancelled_count does not count.')


def counts(answers: dict) -> dict:
    """Return the result keys for the answers received."""
    by_id = {rid: answer.value for rid, answer in answers.items()}
    total = sum(by_id.values())
    return {'changed': total > 0, 'cancelled_count': total, 'cancelled_by_reference_id': by_id}


def main() -> None:
    """Cancel the scheduled calls of each reference ID, or say in check mode why the effect is unknown."""
    module = esendex_module('voice', {
        'reference_ids': {'type': 'list', 'elements': 'str', 'required': True, 'aliases': ['reference_id']},
        'concurrency': {'type': 'int', 'default': 4},
    })
    try:
        api_url = validate_common(module)
        reference_ids = normalize_reference_ids(module.params['reference_ids'])
        concurrency = module.params['concurrency']
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise EsendexInputError(f'concurrency must be from 1 to {MAX_CONCURRENCY}, got {concurrency}')
        if module.check_mode:
            module.exit_json(changed=True, msg=CHECK_MODE_MSG)
        with make_client(module, api_url, max_connections=concurrency) as client:
            answers = client.cancel_by_reference_ids(reference_ids, concurrency)
    except EsendexBulkError as exc:
        warn_unknown(module, exc.done)
        result = counts(exc.done)
        maybe = ' The failed request may have reached the service and cancelled calls.' if exc.outcome_unknown else ''
        summary = (f' {len(exc.done)} of {len(reference_ids)} reference IDs were answered ({result["cancelled_count"]} calls cancelled),'
                   f' {len(exc.not_attempted)} not attempted.')
        module.fail_json(msg=f"{exc.msg.rstrip('.')}.{summary}{maybe}", **result)
    except EsendexError as exc:
        module.fail_json(msg=str(exc))
    warn_unknown(module, answers)
    module.exit_json(**counts(answers))


def warn_unknown(module, answers: dict) -> None:
    """Warn for each reference ID whose cancellation may have been under-counted."""
    for rid, answer in answers.items():
        if answer.outcome_unknown:
            module.warn(UNKNOWN_OUTCOME.format(rid=rid, notes='; '.join(answer.notes)))


if __name__ == '__main__':
    main()
