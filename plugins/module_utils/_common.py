# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: this module_utils serves the modules of esendex.us only. It is not a public API.

"""The options both modules share, their validation, and the words both modules say."""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.esendex.us.plugins.module_utils._client import (
    REQUESTS_IMPORT_ERROR,
    EsendexBulkError,
    EsendexClient,
    EsendexError,
    is_clear_text_url,
    quote,
    validate_api_url,
    validate_license_key,
    validate_settings,
)

SERVICES = {
    'messaging': ('https://messaging.esendex.us/Messaging.svc', 'ESENDEX_MESSAGING_API_URL'),
    'voice': ('https://ws.esendex.us/NotifyWS/PhoneNotify.asmx', 'ESENDEX_VOICE_API_URL'),
}

CHECK_MODE_MSG = ('Check mode: no request was sent. The Esendex API cannot preview a cancellation, so what would be '
                  'cancelled cannot be predicted; changed is true because a cancellation would be attempted.')

CLEAR_TEXT_WARNING = ('api_url uses plain http:// to a host that is not loopback: the license key travels in clear text. '
                      'Use https://.')

UNKNOWN_OUTCOME = ('{label}: an earlier attempt may have reached the service without a complete answer ({notes}). '
                   'It may have cancelled {noun} that this result does not count, so changed is true.')


def argument_spec(service: str) -> dict:
    """Return the options every module has; `service` picks the api_url default."""
    default_url, url_env = SERVICES[service]
    return {
        'license_key': {'type': 'str', 'required': True, 'no_log': True, 'fallback': (env_fallback, ['ESENDEX_LICENSE_KEY'])},
        'api_url': {'type': 'str', 'default': default_url, 'fallback': (env_fallback, [url_env])},
        'timeout': {'type': 'float', 'default': 30.0},
        'retries': {'type': 'int', 'default': 3},
        'validate_certs': {'type': 'bool', 'default': True},
        'concurrency': {'type': 'int', 'default': 4},
    }


def esendex_module(service: str, extra_spec: dict | None = None, **kwargs) -> AnsibleModule:
    """Build the AnsibleModule; fail at once if requests is missing."""
    module = AnsibleModule(argument_spec={**argument_spec(service), **(extra_spec or {})}, supports_check_mode=True, **kwargs)
    if REQUESTS_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    return module


def validate_common(module: AnsibleModule) -> str:
    """Validate the shared options (raises EsendexInputError), warn about clear text; return the api_url to use."""
    params = module.params
    _hide_url_password(module, params['api_url'])
    key = validate_license_key(params['license_key'])
    if key != params['license_key']:  # white space stripped: Ansible masks only the value as given
        module.no_log_values.add(key)
        params['license_key'] = key
    validate_settings(params['timeout'], params['retries'], params['concurrency'])
    api_url = validate_api_url(params['api_url'])
    if is_clear_text_url(api_url):
        module.warn(CLEAR_TEXT_WARNING)
    return api_url


def _hide_url_password(module: AnsibleModule, url: str) -> None:
    """Make Ansible mask a password in api_url everywhere (module_args at -vvvv included), even if the URL is invalid."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = url.rpartition('@')[0].partition(':')[2] if '@' in url else None
    if password:
        module.no_log_values.add(password)


def make_client(module: AnsibleModule, api_url: str) -> EsendexClient:
    """Return a client for the validated options, with a connection for each ID in flight."""
    params = module.params
    return EsendexClient(params['license_key'], api_url, timeout=params['timeout'], retries=params['retries'],
                         validate_certs=params['validate_certs'], max_connections=params['concurrency'])


def doubt(module: AnsibleModule, label: str, answer, noun: str) -> bool:
    """Warn if an earlier attempt's outcome is unknown; return True if that makes the result changed.

    If the final answer says nothing was cancelled, the lost attempt may have cancelled it: changed is then true.
    """
    if answer.outcome_unknown:
        module.warn(UNKNOWN_OUTCOME.format(label=label, notes='; '.join(answer.notes), noun=noun))
    return answer.outcome_unknown and not answer.value


def tally(module: AnsibleModule, done: list, result_keys: dict, noun: str) -> dict:
    """Turn [(Item, Answer)] into result keys: one dict per kind of ID given, cancelled_count and changed.

    `result_keys` maps each kind of ID given to its result key, so each comes back even when no ID was answered.
    """
    result = {key: {} for key in result_keys.values()}
    doubtful = False
    for item, answer in done:
        result[result_keys[item.kind]][str(item.id)] = answer.value
        doubtful = doubt(module, f'{item.kind[:1].upper()}{item.kind[1:]} {quote(item.id)}', answer, noun) or doubtful
    count = sum(int(value) for by_id in result.values() for value in by_id.values())
    return {'changed': count > 0 or doubtful, 'cancelled_count': count, **result}


def sentence(text: str) -> str:
    """End text with a full stop unless it ends with one (an ellipsis included)."""
    return text if text.endswith('.') else f'{text}.'


def run(module: AnsibleModule, work: Callable[[], dict], result_keys: dict, noun: str) -> None:
    """Exit with work()'s result, or fail with the client's error: the one place errors become fail_json.

    fail_json is called outside the except block, so no traceback of an understood failure reaches any output.
    A failed bulk run reports the answers it received (tally with `result_keys`), so no cancellation goes unreported.
    """
    try:
        result, error = work(), None
    except EsendexError as exc:
        result, error = {}, exc
    if error is None:
        module.exit_json(**result)
    msg = sentence(error.msg)
    if isinstance(error, EsendexBulkError):
        result = tally(module, error.done, result_keys, noun)
        items = [item for item, unused in error.done + error.failed] + error.not_attempted
        kinds = {item.kind for item in items}
        msg += (f' {len(error.done)} of {len(items)} {kinds.pop() if len(kinds) == 1 else "ID"}s were answered'
                f' ({result["cancelled_count"]} {noun} cancelled),'
                f' {len(error.not_attempted)} not attempted.')
    if error.outcome_unknown:
        msg += f' The failed request may have reached the service and cancelled {noun}.'
    module.fail_json(msg=msg, **result)
