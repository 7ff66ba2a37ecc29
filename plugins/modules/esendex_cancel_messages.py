#!/usr/bin/python
# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: esendex_cancel_messages
short_description: Cancel every scheduled SMS/MMS message of an Esendex US account
version_added: 1.0.0
description:
  - Calls the Esendex US Messaging API method C(CancelAllMessages), which cancels every message of the account
    that is scheduled for a future time or date.
  - Messages already sent or queued are not affected.
  - Reports RV(ignore:changed) from the service's answer, not from the fact that a request was sent.
author:
  - esendex.us maintainers (@esendex-us)
extends_documentation_fragment:
  - esendex.us.esendex
  - esendex.us.esendex.messaging
notes:
  - The service answers only V(true) or V(false) ("whether the cancellation was successful"). Esendex does not document
    whether V(true) means that at least one message was cancelled or only that the request was processed; the bundled
    emulator assumes the former, so a second run reports RV(ignore:changed=false). If the real service answers V(true)
    when nothing was left to cancel, every run reports a change.
  - An unknown license key is most likely answered with V(false), which looks the same as "nothing to cancel".
  - If an attempt reached the service but its answer was lost (a timeout or a dropped connection after the request
    was sent), the retry may find nothing left to cancel. The module then warns that messages may have been cancelled
    although RV(cancelled) says otherwise.
seealso:
  - module: esendex.us.esendex_cancel_calls
  - name: CancelAllMessages API reference
    description: The vendor's page for the method this module calls.
    link: https://esendex.us/docs/sms-api/api/methods/CancelAllMessages
'''

EXAMPLES = r'''
- name: Call off every scheduled SMS/MMS of the account
  esendex.us.esendex_cancel_messages:
    license_key: "{{ esendex_license_key }}"
  delegate_to: localhost
  register: result

- name: Report what happened
  ansible.builtin.debug:
    msg: "{{ 'Scheduled messages were cancelled' if result.cancelled else 'Nothing was left to cancel' }}"

- name: Take the key from the ESENDEX_LICENSE_KEY environment variable, with a short timeout and no retries
  esendex.us.esendex_cancel_messages:
    timeout: 5
    retries: 0
  delegate_to: localhost
'''

RETURN = r'''
cancelled:
  description:
    - The service's answer to C(CancelAllMessages). V(true) means the service reports that scheduled messages were cancelled.
    - RV(ignore:changed) has the same value.
  returned: success, except in check mode
  type: bool
  sample: true
msg:
  description: Says that no request was sent and that the effect of the cancellation cannot be predicted.
  returned: check mode
  type: str
  sample: >-
    Check mode: no request was sent. The Esendex API cannot preview a cancellation, so what would be cancelled cannot
    be predicted; changed is true because a cancellation would be attempted.
'''

from ansible_collections.esendex.us.plugins.module_utils._client import EsendexError
from ansible_collections.esendex.us.plugins.module_utils._common import CHECK_MODE_MSG, esendex_module, make_client, validate_common

UNKNOWN_OUTCOME = ('An earlier CancelAllMessages attempt may have reached the service without a complete answer '
                   '({notes}); it may have cancelled messages that this result does not report.')


def main() -> None:
    """Cancel all scheduled messages, or say in check mode why the effect is unknown."""
    module = esendex_module('messaging')
    try:
        api_url = validate_common(module)
        if module.check_mode:
            module.exit_json(changed=True, msg=CHECK_MODE_MSG)
        with make_client(module, api_url) as client:
            answer = client.cancel_all_messages()
    except EsendexError as exc:
        suffix = '. The request may have reached the service, so messages may have been cancelled.' if exc.outcome_unknown else ''
        module.fail_json(msg=f"{str(exc).rstrip('.') if suffix else exc}{suffix}")
    if answer.outcome_unknown:
        module.warn(UNKNOWN_OUTCOME.format(notes='; '.join(answer.notes)))
    module.exit_json(changed=answer.value, cancelled=answer.value)


if __name__ == '__main__':
    main()
