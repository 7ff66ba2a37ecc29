# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The variants of the rulebook: TLS, EDA controller and generic webhook parse, and differ only where they should.

The controller variant's run_job_template needs an EDA controller: here it is parsed and compared, never run.
"""

from __future__ import annotations

import datetime
import ssl
import subprocess

import pytest
import yaml

from conftest import KEY, ROOT, TOKEN, require_tools, rulebook_env, run_rulebook

RULEBOOKS = ROOT / 'extensions' / 'eda' / 'rulebooks'
VARIABLES = {'webhook_token': TOKEN, 'webhook_certfile': 'cert.pem', 'webhook_keyfile': 'key.pem', 'job_template_name': 'Cancel on resolve'}


def load(name):
    with open(RULEBOOKS / f'{name}.yml', encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def parsed(name):
    """Validate a rulebook against ansible-rulebook's schema and parse it as ansible-rulebook does."""
    from ansible_rulebook import rules_parser  # pylint: disable=import-outside-toplevel  # installed by the eda session
    from ansible_rulebook.validators import Validate  # pylint: disable=import-outside-toplevel
    data = load(name)
    Validate.rulebook(data)
    return rules_parser.parse_rule_sets(data, VARIABLES)


def without(ruleset, *kinds):
    """Return a ruleset with the given action kinds and the source options of TLS left out."""
    ruleset = dict(ruleset, sources=[dict(source, **{'eda.builtin.webhook': {key: value for key, value in source['eda.builtin.webhook'].items()
                                                                             if key not in ('certfile', 'keyfile')}})
                                     for source in ruleset['sources']])
    rules = []
    for rule in ruleset['rules']:
        actions = rule.get('actions') or [rule['action']]
        rules.append({'name': rule['name'], 'condition': rule['condition'],
                      'actions': [action for action in actions if not set(action) & set(kinds)]})
    return dict(ruleset, rules=rules)


@pytest.mark.parametrize('name', ['cancel_on_resolve', 'cancel_on_resolve_tls', 'cancel_on_resolve_controller', 'cancel_on_webhook'])
def test_every_rulebook_parses(name):
    rulesets = parsed(name)
    assert len(rulesets) == 1
    assert [source.source_name for source in rulesets[0].sources] == ['eda.builtin.webhook']
    assert [item.filter_name for item in rulesets[0].sources[0].source_filters] == ['esendex.us.resolved_ids']


def test_the_tls_variant_differs_only_by_its_certificate():
    base, tls = load('cancel_on_resolve')[0], load('cancel_on_resolve_tls')[0]
    assert tls['sources'][0]['eda.builtin.webhook']['certfile'] == '{{ webhook_certfile }}'
    assert tls['sources'][0]['eda.builtin.webhook']['keyfile'] == '{{ webhook_keyfile }}'
    assert without(tls) == without(base)


def test_the_controller_variant_has_the_same_source_filter_and_conditions_and_runs_a_job_template():
    base, controller = load('cancel_on_resolve')[0], load('cancel_on_resolve_controller')[0]
    assert without(controller, 'run_job_template') == without(base, 'run_playbook')
    job = controller['rules'][0]['actions'][-1]['run_job_template']
    playbook = base['rules'][0]['actions'][-1]['run_playbook']
    assert job['name'] == '{{ job_template_name }}'
    assert (job['retries'], job['delay']) == (playbook['retries'], playbook['delay'])
    assert job.get('include_events', True)  # the job template gets ansible_eda.event, which the filter made


def test_the_generic_variant_reads_the_generic_format_and_runs_the_same_playbook():
    base, generic = load('cancel_on_resolve')[0], load('cancel_on_webhook')[0]
    assert generic['sources'][0]['filters'] == [{'esendex.us.resolved_ids': {'format': 'generic'}}]
    assert [rule['condition'] for rule in generic['rules']] == [rule['condition'] for rule in base['rules']]
    assert generic['rules'][0]['actions'] == base['rules'][0]['actions']


def test_without_a_token_the_rulebook_stops_at_start(_emulator_process, collections, tmp_path):
    require_tools()
    (tmp_path / 'inventory.yml').write_text('all:\n  hosts:\n    localhost:\n', encoding='utf-8')
    (tmp_path / 'vars.yml').write_text('webhook_port: 1\n', encoding='utf-8')
    result = subprocess.run(['ansible-rulebook', '--rulebook', 'esendex.us.cancel_on_resolve', '-i', 'inventory.yml', '--vars', 'vars.yml'],
                            cwd=tmp_path, env=rulebook_env(_emulator_process, collections), stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "'webhook_token' is undefined" in result.stdout + result.stderr


def self_signed(folder):
    """Write a self-signed certificate for 127.0.0.1 and its key; return the paths."""
    import ipaddress  # pylint: disable=import-outside-toplevel
    from cryptography import x509  # pylint: disable=import-outside-toplevel  # ansible-core's dependency
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
            .sign(key, hashes.SHA256()))
    (folder / 'cert.pem').write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / 'key.pem').write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return folder / 'cert.pem', folder / 'key.pem'


def test_the_tls_variant_serves_https_and_still_wants_the_token(emulator, collections, tmp_path):
    certfile, keyfile = self_signed(tmp_path)
    context = ssl.create_default_context(cafile=str(certfile))
    variables = {'webhook_token': TOKEN, 'webhook_certfile': str(certfile), 'webhook_keyfile': str(keyfile)}
    resolved = {'alerts': [{'status': 'resolved', 'labels': {'esendex_reference_id': 'camp3'}}]}
    with run_rulebook('cancel_on_resolve_tls', emulator, collections, tmp_path, variables, scheme='https') as rulebook:
        assert rulebook.post(resolved, token='wrong', context=context) == 401
        assert rulebook.post(resolved, context=context) == 200
        rulebook.wait_for(r'^localhost\s+: ok=')
    assert emulator.cancelled() == ([5201, 5202], [])
    assert KEY not in rulebook.output()


def test_the_generic_webhook_cancels_what_a_resolved_notification_names(emulator, collections, tmp_path):
    payload = {'status': 'resolved', 'esendex_reference_ids': ['camp2'], 'esendex_queue_ids': [5201],
               'esendex_message_ids': ['9d0c4f2e-5a1b-4c3d-8e7f-00000000e001']}
    with run_rulebook('cancel_on_webhook', emulator, collections, tmp_path, {'webhook_token': TOKEN}) as rulebook:
        assert rulebook.post(dict(payload, status='firing')) == 200
        rulebook.wait_for('nothing to cancel')
        assert emulator.cancelled() == ([], [])
        assert rulebook.post(payload) == 200
        rulebook.wait_for(r'^localhost\s+: ok=')
    assert emulator.cancelled() == ([5101, 5102, 5201], ['9d0c4f2e-5a1b-4c3d-8e7f-00000000e001'])
