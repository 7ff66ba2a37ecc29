# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""validate_certs over real TLS: a loopback HTTPS server with a throwaway self-signed certificate."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading

import pytest

from ansible_collections.esendex.us.plugins.module_utils._client import EsendexClient, EsendexTransportError

KEY = '9c4e7b21-5d3f-4a86-b0e9-71f2a6c8d453'


class _Answer(http.server.BaseHTTPRequestHandler):
    """Answers every POST with <int>2</int>, as CancelNotifyByReferenceID does; counts requests."""

    protocol_version = 'HTTP/1.1'
    seen = []

    def do_POST(self):  # pylint: disable=invalid-name
        self.rfile.read(int(self.headers.get('Content-Length', '0')))
        body = b'<int xmlns="https://ws.esendex.us/NotifyWS/">2</int>'
        self.seen.append(self.path)
        self.send_response(200)
        self.send_header('Content-Type', 'text/xml; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # pylint: disable=arguments-differ
        """Stay quiet."""


@pytest.fixture(scope='module')
def https_url(tmp_path_factory):
    """Serve _Answer over HTTPS on 127.0.0.1 with a certificate no CA signed."""
    if not shutil.which('openssl'):
        pytest.skip('the openssl command is needed to make a test certificate')
    folder = tmp_path_factory.mktemp('tls')
    cert, key = folder / 'cert.pem', folder / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-keyout', str(key), '-out', str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Answer)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'https://127.0.0.1:{server.server_port}/NotifyWS/PhoneNotify.asmx'
    server.shutdown()
    server.server_close()


def test_a_certificate_no_ca_signed_fails_cleanly_without_retry(https_url):
    _Answer.seen.clear()
    waits = []
    with EsendexClient(KEY, https_url, timeout=5, retries=3, sleep=waits.append) as client:
        with pytest.raises(EsendexTransportError) as caught:
            client.cancel_by_reference_id('campaign')
    msg = str(caught.value)
    assert 'TLS error' in msg and 'certificate verify failed' in msg and 'validate_certs' in msg
    assert '\n' not in msg and KEY not in msg
    assert waits == [] and _Answer.seen == []  # refused at the handshake: not retried, nothing reached the handler


def test_validate_certs_false_accepts_it(https_url):
    _Answer.seen.clear()
    with EsendexClient(KEY, https_url, timeout=5, retries=0, validate_certs=False) as client:
        assert client.cancel_by_reference_id('campaign').value == 2
    assert _Answer.seen == ['/NotifyWS/PhoneNotify.asmx/CancelNotifyByReferenceID']
