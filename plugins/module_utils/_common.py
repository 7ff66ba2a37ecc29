# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE: this module_utils serves the modules of esendex.us only. It is not a public API.

"""The options both modules share, their validation, and the words both modules say."""

from __future__ import annotations

from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.esendex.us.plugins.module_utils._client import (
    REQUESTS_IMPORT_ERROR,
    EsendexClient,
    is_clear_text_url,
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


def argument_spec(service: str) -> dict:
    """Return the options every module has; `service` picks the api_url default."""
    default_url, url_env = SERVICES[service]
    return {
        'license_key': {'type': 'str', 'required': True, 'no_log': True, 'fallback': (env_fallback, ['ESENDEX_LICENSE_KEY'])},
        'api_url': {'type': 'str', 'default': default_url, 'fallback': (env_fallback, [url_env])},
        'timeout': {'type': 'float', 'default': 30.0},
        'retries': {'type': 'int', 'default': 3},
        'validate_certs': {'type': 'bool', 'default': True},
    }


def esendex_module(service: str, extra_spec: dict | None = None) -> AnsibleModule:
    """Build the AnsibleModule; fail at once if requests is missing."""
    module = AnsibleModule(argument_spec={**argument_spec(service), **(extra_spec or {})}, supports_check_mode=True)
    if REQUESTS_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    return module


def validate_common(module: AnsibleModule) -> str:
    """Validate the shared options (raises EsendexInputError), warn about clear text; return the api_url to use."""
    params = module.params
    _hide_url_password(module, params['api_url'])
    validate_license_key(params['license_key'])
    validate_settings(params['timeout'], params['retries'])
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


def make_client(module: AnsibleModule, api_url: str, max_connections: int = 1) -> EsendexClient:
    """Return a client for the validated options."""
    params = module.params
    return EsendexClient(params['license_key'], api_url, timeout=params['timeout'], retries=params['retries'],
                         validate_certs=params['validate_certs'], max_connections=max_connections)
