# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark esendex.us.esendex_cancel_calls against ansible.builtin.uri making the same POSTs, and by queue ID; esendex_call_info
and esendex_cancel_messages --check against their bounds; all on the emulator (see docs/performance.md)."""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

# demo/runtime.py: the pinned venv, ansible on this checkout and the emulator, shared with `make demo` (not test tooling)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'demo'))
import runtime  # noqa: E402  pylint: disable=wrong-import-position

MODULE = 'esendex.us.esendex_cancel_calls'
CALL_INFO = 'esendex.us.esendex_call_info'
CANCEL_MESSAGES = 'esendex.us.esendex_cancel_messages'
METHOD_PATH = '/CancelNotifyByReferenceID'
URI_ARGS = {'url': '{{ url }}' + METHOD_PATH, 'method': 'POST', 'body_format': 'form-urlencoded',
            'headers': {'Accept': 'text/xml', 'Accept-Encoding': 'identity'}, 'http_agent': '{{ ua }}',
            'timeout': 30, 'follow_redirects': 'none', 'return_content': True, 'status_code': [200]}
TARGET_SINGLE, TARGET_SPEEDUP, TARGET_IDEAL = 1.10, 30.0, 1.3
TARGET_QUEUE, TARGET_FLAT = 1.2, 1.2  # queue IDs within 1.2x of their bounds; per-ID cost at 10,000 within 1.2x of 1,000
TARGET_READ = 1.2  # esendex_call_info and esendex_cancel_messages --check within 1.2x of their bounds
BATCH = 100  # queue IDs per GetMultipleQueueIdStatus request
# ansible_python_interpreter for the memory runs: run the module's Python as a child, then append the child's peak RSS (KiB on
# Linux) and CPU seconds, from getrusage(RUSAGE_CHILDREN), to a file. AnsiballZ runs the module inside that one Python process.
RUSAGE_WRAPPER = """#!%(python)s
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call([%(python)r] + sys.argv[1:])
elapsed, usage = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
with open(%(out)r, 'a') as handle:
    handle.write('%%d %%.3f %%.3f\\n' %% (usage.ru_maxrss, usage.ru_utime + usage.ru_stime, elapsed))
sys.exit(code)
"""


class BenchError(Exception):
    """A run did not do the work it was given, so its time means nothing."""


class Counter:
    """A loopback TCP relay to the emulator that counts the connections clients open through it."""

    def __init__(self, url: str) -> None:
        host, port = url.rsplit('/', 1)[-1].rsplit(':', 1)
        self.target, self.count = (host, int(port)), 0
        self.server = socket.create_server(('127.0.0.1', 0))
        self.url = 'http://127.0.0.1:%d' % self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client = self.server.accept()[0]
            except OSError:
                return
            self.count += 1
            upstream = socket.create_connection(self.target)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class Bench:
    """Runs timed, verified ansible commands against one emulator."""

    def __init__(self, emu: runtime.EmulatorClient, tmp: str, latency: float) -> None:
        self.emu, self.tmp, self.latency = emu, tmp, latency
        self.key = str(uuid.uuid4())  # a throw-away key known only to this run's emulator; passed in a 0600 file, never printed
        self.env = runtime.ansible_env(emu.env(), color=False)
        self.user_agent = 'set-after-warm-up'
        self.single = 0.0  # median single-cancel time, the start of the ideal bound
        self.log: list = []  # the emulator's request log of the last run
        self.cpu = 0.0  # CPU seconds (user + system) of the last read-only run's processes: ansible and the module

    def vars_file(self, n: int, url: str | None = None, id_list: list | None = None, **extra) -> str:
        """Write the extra-vars file for the first n reference IDs (or queue IDs, with qids=...; or id_list); return '@path'."""
        path = os.path.join(self.tmp, 'vars-%d-%s-%s%s.json' % (n, 'relay' if url else 'direct', '-'.join(sorted(extra)), '-list' if id_list else ''))
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w', encoding='utf-8') as handle:
            given = id_list if id_list is not None else [] if 'qids' in extra else ids(n)
            json.dump(dict({'k': self.key, 'ids': given, 'url': url or self.emu.voice_url, 'ua': self.user_agent}, **extra), handle)
        return '@' + path

    def module(self, n: int, concurrency: int, url: str | None = None, queue: bool = False, check: bool = False, **extra) -> list:
        """One esendex_cancel_calls task over n reference IDs (or n queue IDs), for real or in check mode."""
        args = {'license_key': '{{ k }}', 'api_url': '{{ url }}', 'concurrency': concurrency}
        args.update({'queue_ids': '{{ qids }}'} if queue else {'reference_ids': '{{ ids }}'})
        extra.update({'qids': qids(n)} if queue else {})
        return ['ansible', 'localhost', '-e', self.vars_file(n, url, **extra), '-m', MODULE, '-a', json.dumps(args)] + ['--check'] * check

    def uri(self) -> list:
        """ansible.builtin.uri making the module's POST for one reference ID."""
        args = dict(URI_ARGS, body={'ReferenceID': '{{ ids[0] }}', 'LicenseKey': '{{ k }}'})
        return ['ansible', 'localhost', '-e', self.vars_file(1), '-m', 'ansible.builtin.uri', '-a', json.dumps(args)]

    def loop(self, n: int, url: str | None = None) -> list:
        """A playbook looping ansible.builtin.uri over n reference IDs."""
        path = os.path.join(self.tmp, 'uri_loop.yml')
        task = {'name': 'Cancel one reference ID', 'ansible.builtin.uri': dict(URI_ARGS, body={'ReferenceID': '{{ item }}', 'LicenseKey': '{{ k }}'}),
                'loop': '{{ ids }}'}
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [task]}], handle)
        return ['ansible-playbook', '-e', self.vars_file(n, url), path]

    def run(self, command: list, n: int, account: int = 0) -> float:
        """Re-seed max(n, account) IDs with 1 scheduled call each, run the command over the first n, check it cancelled (or
        predicted) exactly n; return its wall time."""
        queue, check = any('{{ qids }}' in part for part in command), '--check' in command
        calls = [{'queue_id': qid} for qid in qids(max(n, account))] if queue else [{'reference_id': rid} for rid in ids(max(n, account))]
        self.emu.call('PUT', 'state', {'accounts': {self.key: {'calls': calls}}})
        self.emu.clear_requests()
        started = time.perf_counter()
        done = subprocess.run(command, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False)
        elapsed = time.perf_counter() - started
        want = 0 if 'ansible.builtin.ping' in command else n
        sent = math.ceil(n / BATCH) if check else want  # check mode sends only the status reads, 100 IDs each
        calls = self.emu.state()['accounts'][self.key]['calls']
        cancelled = sum(call['status'] == 'cancelled' for call in calls)
        self.log = self.emu.requests()
        answered = [entry['status'] for entry in self.log]
        problem = 'exit code %d' % done.returncode if done.returncode else None
        try:
            got = reported(command, done.stdout)
        except (ValueError, KeyError, TypeError):
            got = None
        if not problem and (cancelled != (0 if check else want) or answered != [200] * sent):
            problem = 'the emulator saw %d requests (%d answered 200) and %d cancellations; expected %d requests and %d cancellations' % (
                len(answered), answered.count(200), cancelled, sent, 0 if check else want)
        if not problem and got != want:
            problem = 'the command reported %r %s, expected %d' % (got, 'predicted' if check else 'cancelled', want)
        if problem:
            tail = '\n'.join(done.stdout.replace(self.key, '********').splitlines()[-25:])
            raise BenchError('%s (%s):\n%s' % (' '.join(command[:6]), problem, tail))
        return elapsed

    def read(self, module: str, n: int, check: bool = False) -> list:
        """One read-only task over n IDs: esendex_call_info over n queue IDs, or esendex_cancel_messages --check over n MessageIDs."""
        messages = module == CANCEL_MESSAGES
        args = {'license_key': '{{ k }}', 'api_url': '{{ url }}', 'concurrency': 4, ('message_ids' if messages else 'queue_ids'): '{{ ids }}'}
        path = self.vars_file(n, self.emu.messaging_url if messages else self.emu.voice_url, id_list=mids(n) if messages else qids(n))
        return ['ansible', 'localhost', '-e', path, '-m', module, '-a', json.dumps(args)] + ['--check'] * check

    def run_read(self, command: list, n: int, account: int) -> float:
        """Seed an account with `account` scheduled calls or messages, run a read-only command over the first n, check that it
        read (or predicted) all n with exactly the requests it should send and changed nothing; return its wall time."""
        messages = CANCEL_MESSAGES in command
        kind, method = ('messages', 'GetMessageStatus') if messages else ('calls', 'GetMultipleQueueIdStatus')
        items = [{'id': mid} for mid in mids(account)] if messages else [{'queue_id': qid} for qid in qids(account)]
        self.emu.call('PUT', 'state', {'accounts': {self.key: {kind: items}}})
        self.emu.clear_requests()
        cpu_before, started = children_cpu(), time.perf_counter()
        done = subprocess.run(command, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, check=False)
        elapsed, self.cpu = time.perf_counter() - started, children_cpu() - cpu_before
        self.log = self.emu.requests()
        sent = n if messages else math.ceil(n / BATCH)  # GetMessageStatus: one request per MessageID; GetMultipleQueueIdStatus: per 100
        untouched = all(item['status'] == 'scheduled' for item in self.emu.state()['accounts'][self.key][kind])
        seen = [(entry['path'].rsplit('/', 1)[-1], entry['status']) for entry in self.log]
        problem = 'exit code %d' % done.returncode if done.returncode else None
        if not problem and (seen != [(method, 200)] * sent or not untouched):
            problem = 'the emulator saw %d requests (%d %s answered 200)%s; expected %d %s requests answered 200 and nothing changed' % (
                len(seen), seen.count((method, 200)), method, '' if untouched else ' and a change of state', sent, method)
        if not problem:
            try:
                result = json.JSONDecoder().raw_decode(done.stdout[done.stdout.index('=>') + 2:].lstrip())[0]
            except ValueError:
                result = {}
            want = mids(n) if messages else qids(n)
            cancellable = [call.get('queue_id') for call in result.get('calls', []) if call.get('cancellable') is True]
            got = result.get('would_cancel_message_ids') if messages else cancellable
            found = result.get('not_found_message_ids' if messages else 'not_found_queue_ids')
            if got != want or found != [] or result.get('changed') is not messages:
                problem = 'the command returned %s of the %d IDs %s, not_found %r, changed %r' % (
                    'no list' if got is None else len(got), n, 'predicted' if messages else 'as cancellable calls', found, result.get('changed'))
        if problem:
            tail = '\n'.join(done.stdout.replace(self.key, '********').splitlines()[-25:])
            raise BenchError('%s (%s):\n%s' % (' '.join(command[:6]), problem, tail[-4000:]))
        return elapsed


def ids(n: int) -> list:
    """Return the reference IDs of a run of n."""
    return ['bench-%04d' % i for i in range(n)]


def qids(n: int) -> list:
    """Return the queue IDs of a run of n."""
    return list(range(1, n + 1))


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far, their own children included once waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mids(n: int) -> list:
    """Return the MessageIDs of a run of n."""
    return ['6f1c9a2e-0000-4000-8000-%012d' % i for i in range(1, n + 1)]


def reported(command: list, out: str) -> int:
    """Return how many calls the command's own output says it cancelled or would cancel (0 for ping, which must answer pong)."""
    if command[0] == 'ansible-playbook':
        return out.count('=> (item=bench-') if ' failed=0 ' in out else -1
    result = json.JSONDecoder().raw_decode(out[out.index('=>') + 2:].lstrip())[0]
    if 'ping' in result:
        return 0 if result['ping'] == 'pong' else -1
    if 'content' in result:
        return int(result['content'].rsplit('</int>', 1)[0].rsplit('>', 1)[-1])
    if 'would_cancel_queue_ids' in result:
        return len(result['would_cancel_queue_ids'])
    return result.get('cancelled_count', -1)


def median(values: list) -> float:
    """Return the median."""
    return statistics.median(values)


def verdict(ok: bool, quick: bool = False) -> str:
    """Say MET or MISSED (or not assessed, for a smoke run)."""
    return '(not assessed)' if quick else 'MET' if ok else 'MISSED'


def same_post(bench: Bench) -> str:
    """Run the module and uri once each (warm-up) and check they send the same POST; return a summary line."""
    seen = []
    for command in (bench.module(1, 4), 'uri'):
        bench.run(bench.uri() if command == 'uri' else command, 1)
        seen.append(bench.emu.requests()[0])
        if command != 'uri':
            bench.user_agent = seen[0]['headers'].get('User-Agent', '')
    heads = [{k.lower(): v for k, v in entry['headers'].items() if k.lower() != 'connection'} for entry in seen]
    if seen[0]['method'] != seen[1]['method'] or seen[0]['path'] != seen[1]['path'] or seen[0]['body'] != seen[1]['body'] or heads[0] != heads[1]:
        raise BenchError('uri does not send the same POST as the module: headers %s vs %s' % (sorted(heads[0]), sorted(heads[1])))
    return 'same POST checked: method, URL, form body and headers %s identical (Connection differs: %s vs %s)' % (
        ', '.join(sorted(heads[0])), seen[0]['headers'].get('Connection'), seen[1]['headers'].get('Connection'))


def connections(bench: Bench, n: int) -> str:
    """Count the TCP connections one module run (c=1, c=4) and a uri loop over 5 IDs open; return a summary line."""
    counter, found = Counter(bench.emu.url), []
    voice = counter.url + bench.emu.voice_url[len(bench.emu.url):]
    for command, size in ((bench.module(n, 1, voice), n), (bench.module(n, 4, voice), n), (bench.loop(5, voice), 5)):
        before = counter.count
        bench.run(command, size)
        found.append(counter.count - before)
    counter.server.close()
    if found[0] != 1 or found[1] > 4:
        raise BenchError('connection reuse broken: %d IDs opened %d connections at concurrency 1 and %d at 4' % (n, found[0], found[1]))
    return 'TCP connections opened: module %d IDs c=1: %d, c=4: %d; uri loop over 5 IDs: %d' % (n, found[0], found[1], found[2])


def part1(bench: Bench, runs: int) -> float:
    """Single cancel: module vs uri vs ping, alternating."""
    print('\n1. Single cancel (1 reference ID, 1 scheduled call): %d alternating runs each (A, B, C, A, B, C, ...), after 1 warm-up each'
          % runs)
    print('   ' + same_post(bench))
    bench.run(['ansible', 'localhost', '-m', 'ansible.builtin.ping'], 0)
    commands = {MODULE: bench.module(1, 4), 'ansible.builtin.uri': bench.uri(), 'ansible.builtin.ping': ['ansible', 'localhost', '-m', 'ansible.builtin.ping']}
    times = {name: [] for name in commands}
    for _round in range(runs):
        for name, command in commands.items():
            times[name].append(bench.run(command, 1))
    mod, uri, ping = (median(times[name]) for name in commands)
    for name, values in times.items():
        print('   %-32s median %6.3f s  (min %.3f, max %.3f)' % (name, median(values), min(values), max(values)))
    print('   module / uri  = %.3fx   module / ping = %.3fx   uri / ping = %.3fx' % (mod / uri, mod / ping, uri / ping))
    print('   above the ping floor: module +%.3f s, uri +%.3f s' % (mod - ping, uri - ping))
    bench.single = mod
    return mod / uri


def part2(bench: Bench, n: int, runs: int, loop_runs: int) -> tuple:
    """Bulk: one module task at c=1, 4, 16 vs a uri loop, alternating; return (speed-up, ratio to ideal) at c=4."""
    loop_runs = min(loop_runs, runs)
    at = {round((i + 0.5) * runs / loop_runs - 0.5) for i in range(loop_runs)}  # the loop runs spread evenly among the rounds
    print('\n2. Bulk: N = %d reference IDs; module: %d alternating runs per concurrency; uri loop: %d run(s) among them'
          ' (the slow part; each run is itself %d uri runs)' % (n, runs, loop_runs, n))
    levels = (1, 4, 16)
    times = {c: [] for c in (0,) + levels}  # 0: the single cancel again, in the same rounds, for the ideal bound
    loops = []
    for index in range(runs):
        for c in (0,) + levels:
            size = n if c else 1
            times[c].append(bench.run(bench.module(size, c or 4), size))
        if index in at:
            loops.append(bench.run(bench.loop(n), n))
    loop, single = median(loops), median(times[0])
    bench.single = single  # the latest single-cancel median, for part 3's note
    print('   uri loop playbook: median %.2f s (%s), %.1f ms per ID' % (loop, ', '.join('%.2f' % t for t in loops), loop / n * 1000))
    print('   single cancel, re-measured in the same rounds: median %.3f s (min %.3f)' % (single, min(times[0])))
    print('   %-12s %8s %8s %12s %9s %18s %18s' % ('concurrency', 'median', '(min)', 'ideal bound', 'vs ideal', 'uri loop / module', 'min vs ideal(min)'))
    for c in levels:
        ideal, fast = single + n * bench.latency / c, min(times[c]) / (min(times[0]) + n * bench.latency / c)
        print('   %-12d %6.2f s %6.2f s %10.2f s %8.2fx %17.1fx %17.2fx' % (
            c, median(times[c]), min(times[c]), ideal, median(times[c]) / ideal, loop / median(times[c]), fast))
    print('   ideal bound = single-cancel median + N x latency / concurrency; the last column uses the fastest runs, the least disturbed by other load')
    return loop / median(times[4]), median(times[4]) / (single + n * bench.latency / 4)


def part3(bench: Bench, sizes: tuple, runs: int) -> None:
    """Scaling: time per ID for growing N in one task at the default concurrency 4, alternating."""
    print('\n3. Scaling: one module task, concurrency 4, %d alternating runs per N, medians' % runs)
    times = {n: [] for n in sizes}
    spans = {n: [] for n in sizes}
    for _round in range(runs):
        for n in sizes:
            times[n].append(bench.run(bench.module(n, 4), n))
            arrived = [entry['time'] for entry in bench.emu.requests()]
            spans[n].append(max(arrived) - min(arrived) + bench.latency)
    print('   %-6s %9s %11s %22s %20s' % ('N', 'wall', 'wall / N', 'per ID added (dN)', 'service phase / N'))
    previous = None
    for n in sizes:
        wall = median(times[n])
        added = '%17.2f ms' % ((wall - median(times[previous])) / (n - previous) * 1000) if previous else '%20s' % 'n/a'
        print('   %-6d %7.2f s %8.2f ms %s %17.2f ms' % (n, wall, wall / n * 1000, added, median(spans[n]) / n * 1000))
        previous = n
    print('   wall / N falls as the fixed start-up (~%.2f s, the single cancel) is shared; per ID added = wall difference from the'
          ' previous N / IDs added;' % bench.single)
    print('   service phase = first request in to last answer out, from the emulator log; ideal per ID: latency / concurrency = %.2f ms'
          % (bench.latency / 4 * 1000))


def part4(bench: Bench, n: int, runs: int) -> tuple:
    """Queue IDs: one task over n IDs in check mode and for real, against bounds built from a one-ID task in the same rounds."""
    print('\n4. Queue IDs: one task over N = %d queue IDs, concurrency 4, latency %g ms; %d alternating runs each, medians'
          % (n, bench.latency * 1000, runs))
    commands = {'single cancel (1 queue ID, the baseline)': bench.module(1, 4, queue=True),
                'check mode': bench.module(n, 4, queue=True, check=True), 'real run': bench.module(n, 4, queue=True)}
    times, reads = {name: [] for name in commands}, []
    for _round in range(runs):
        for name, command in commands.items():
            times[name].append(bench.run(command, n if name != next(iter(commands)) else 1))
            if name == 'check mode':
                reads = [entry['path'].rsplit('/', 1)[-1] for entry in bench.log]
    single, fastest = median(next(iter(times.values()))), min(next(iter(times.values())))
    network = {'check mode': math.ceil(n / BATCH) * bench.latency, 'real run': n * bench.latency / 4}
    bounds = {name: single + seconds for name, seconds in network.items()}
    print('   check mode sent %d requests, all %s (ceil(%d / %d) = %d), and no cancellation'
          % (len(reads), '/'.join(sorted(set(reads))), n, BATCH, math.ceil(n / BATCH)))
    print('   %-42s %8s %8s %10s %9s %18s' % ('', 'median', '(min)', 'bound', 'vs bound', 'min vs bound(min)'))
    for name, values in times.items():
        bound = bounds.get(name)
        versus = '%8.2f s %8.3fx %17.3fx' % (bound, median(values) / bound, min(values) / (fastest + network[name])) if bound else ''
        print('   %-42s %6.2f s %6.2f s %s' % (name, median(values), min(values), versus))
    print('   bounds: check mode = single + ceil(N / %d) x latency; real run = single + N x latency / concurrency; the last column uses the'
          ' fastest runs' % BATCH)
    return tuple(median(times[name]) / bound for name, bound in bounds.items())


def part5(bench: Bench, sizes: tuple, runs: int) -> float:
    """Large N at latency 0: per-ID cost at each N, and the module process's peak memory (getrusage through a wrapper)."""
    print('\n5. Large N: one queue-ID task, concurrency 4, latency 0, the account holding %d scheduled calls in every run; %d alternating'
          ' runs per N (N = 1 is the baseline), medians;\n   the module\'s Python runs under a wrapper that reports getrusage(RUSAGE_CHILDREN)'
          % (sizes[-1], runs))
    out, wrapper = os.path.join(bench.tmp, 'rusage'), os.path.join(bench.tmp, 'python-rusage')
    with open(wrapper, 'w', encoding='utf-8') as handle:
        handle.write(RUSAGE_WRAPPER % {'python': runtime.venv_python(), 'out': out})
    os.chmod(wrapper, 0o755)
    bench.emu.call('PUT', 'latency', {'seconds': 0})
    sizes = (1,) + sizes
    runs_of = {n: [] for n in sizes}  # per run: (ansible wall, module process wall, module CPU, service phase, peak RSS KiB)
    for _round in range(runs):
        for n in sizes:
            wall = bench.run(bench.module(n, 4, queue=True, ansible_python_interpreter=wrapper), n, account=sizes[-1])
            with open(out, encoding='utf-8') as handle:
                rss, cpu, process = (float(field) for field in handle.read().splitlines()[-1].split())
            arrived = [entry['time'] for entry in bench.log]
            runs_of[n].append((wall, process, cpu, max(arrived) - min(arrived), rss))
    bench.emu.call('PUT', 'latency', {'seconds': bench.latency})
    med = {n: [median(column) for column in zip(*values)] for n, values in runs_of.items()}
    per_id = {n: [(med[n][i] - med[1][i] * (i < 3)) / n * 1000 for i in range(4)] for n in sizes[1:]}
    heads = ('N', 'wall', 'per ID: (wall - N=1) / N', 'module process', 'module CPU', 'service phase / N', 'peak RSS')
    print('   %-6s %8s %28s %21s %17s %18s %10s' % heads)
    for n in sizes:
        cells = '%25.3f ms %18.3f ms %14.3f ms %15.3f ms' % tuple(per_id[n]) if n > 1 else '%28s %21s %17s %18s' % (('',) * 4)
        print('   %-6d %6.2f s %s %6.1f MiB' % (n, med[n][0], cells, max(run[4] for run in runs_of[n]) / 1024))
    small, large = sizes[-2:]
    ratios = [per_id[large][i] / per_id[small][i] for i in range(4)]
    fastest = {n: min(run[0] for run in runs_of[n]) for n in sizes}
    print('   N=%d / N=%d per ID: wall %.3fx, module process %.3fx, module CPU %.3fx, service phase %.3fx; wall of the fastest runs %.3fx'
          % ((large, small) + tuple(ratios) + (((fastest[large] - fastest[1]) / large) / ((fastest[small] - fastest[1]) / small),)))
    print('   wall, module process (its wall time, from the wrapper) and module CPU (user + system) less the N = 1 run, per ID;'
          ' service phase = first request to last, from the emulator log;')
    print('   peak RSS = the largest ru_maxrss of the module\'s Python process (the module runs in it: AnsiballZ imports it) over the runs')
    return ratios[0]


def part_read(bench: Bench, number: int, module: str, n: int, runs: int) -> float:
    """A read-only task over n IDs against single + requests x latency / concurrency, the single task timed in the same rounds."""
    messages = module == CANCEL_MESSAGES
    requests_sent = n if messages else math.ceil(n / BATCH)
    what = ('%s --check: one task over N = %d MessageIDs (GetMessageStatus, one request per MessageID)' % (module, n) if messages else
            '%s: one task over N = %d QueueIDs (GetMultipleQueueIdStatus, %d QueueIDs a request)' % (module, n, BATCH))
    print('\n%d. %s, concurrency 4, latency %g ms; %d alternating runs each (the same task over 1 ID is the baseline), medians'
          % (number, what, bench.latency * 1000, runs))
    commands = {'single task (1 ID, the baseline)': bench.read(module, 1, check=messages), 'N = %d' % n: bench.read(module, n, check=messages)}
    times, cpu, phase = ({name: [] for name in commands} for _column in range(3))
    for _round in range(runs):
        for name, command in commands.items():
            times[name].append(bench.run_read(command, 1 if name.startswith('single') else n, account=n))
            cpu[name].append(bench.cpu)
            arrived = [entry['time'] for entry in bench.log]
            phase[name].append(max(arrived) - min(arrived) + bench.latency)
    counted = '%d' % n if messages else 'ceil(%d / %d) = %d' % (n, BATCH, requests_sent)
    print('   every run sent exactly %s requests, all %s, all answered 200 (checked from the emulator\'s request log), changed no state,'
          ' and %s all %d' % (counted, 'GetMessageStatus' if messages else 'GetMultipleQueueIdStatus', 'predicted' if messages else 'returned', n))
    (single, single_times), (full, full_times) = ((median(values), values) for values in times.values())
    network = requests_sent * bench.latency / 4
    bound = single + network
    print('   %-34s %8s %8s %10s %9s %18s %10s %14s' % ('', 'median', '(min)', 'bound', 'vs bound', 'min vs bound(min)', 'CPU', 'service phase'))
    for name, values in times.items():
        versus = '%8.2f s %8.3fx %17.3fx' % (bound, full / bound, min(full_times) / (min(single_times) + network)) if values is full_times else ''
        print('   %-34s %6.2f s %6.2f s %-37s %8.2f s %12.3f s' % (name, median(values), min(values), versus, median(cpu[name]), median(phase[name])))
    print('   bound = single task + %s x latency / concurrency = %.3f s + %.3f s; the min column uses the fastest runs; CPU = user + system'
          ' seconds of ansible and the module together; service phase = first request to last answer, from the emulator log'
          % ('N' if messages else 'ceil(N / %d)' % BATCH, single, network))
    return full / bound


def ansible_version(env: dict) -> str:
    """Return e.g. 'ansible-core 2.19.14, Python 3.11.7'."""
    out = subprocess.run(['ansible', '--version'], env=env, stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    core = out.splitlines()[0].split('[core ')[-1].rstrip(']')
    python = [line.split('=', 1)[1].split()[0] for line in out.splitlines() if 'python version' in line]
    return 'ansible-core %s, Python %s' % (core, python[0] if python else '?')


def main(argv: list | None = None) -> int:
    """Run the parts and print the figures and their targets."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--latency', type=float, default=0.02, help='seconds the emulator adds to every request (default 0.02)')
    parser.add_argument('--runs', type=int, default=5, help='timed runs per measurement (default 5; part 1 runs twice as many)')
    parser.add_argument('--loop-runs', type=int, default=1, help='runs of the slow uri loop over 200 IDs (default 1)')
    parser.add_argument('--quick', action='store_true', help='short smoke run: 2 runs, smaller N, targets not assessed')
    args = parser.parse_args(argv)
    runs = 2 if args.quick else max(args.runs, 3)
    bulk, sizes = (20, (10, 100)) if args.quick else (200, (10, 100, 1000))
    queue_n, large = (200, (100, 1000)) if args.quick else (1000, (1000, 10000))
    info_n, messages_n = (1000, 100) if args.quick else (10000, 1000)
    try:
        runtime.ensure_venv()
        with tempfile.TemporaryDirectory(prefix='esendex-bench-') as tmp, runtime.emulator(None, latency=args.latency) as emu:
            bench = Bench(emu, tmp, args.latency)
            print('bench_cancel: %s, %s; %d CPU cores (%s); emulator latency %g ms per request; %s' % (
                ansible_version(bench.env), platform.platform(terse=True), os.cpu_count() or 0, platform.machine(), args.latency * 1000,
                datetime.datetime.now().strftime('%Y-%m-%d %H:%M')))
            print('load average at the start: %.2f (1 min), %.2f (5 min); other work on the machine slows every figure, the ratios less' % os.getloadavg()[:2])
            started = time.monotonic()
            single = part1(bench, 3 if args.quick else 2 * runs)
            speedup, ideal = part2(bench, bulk, runs, 1 if args.quick else max(args.loop_runs, 1))
            part3(bench, sizes, runs)
            print('\n   ' + connections(bench, 50))
            check_mode, real = part4(bench, queue_n, runs)
            flat = part5(bench, large, runs)
            info = part_read(bench, 6, CALL_INFO, info_n, runs)
            predict = part_read(bench, 7, CANCEL_MESSAGES, messages_n, runs)
            print('\nTargets (of 1.0.0, 1.1.0 and 2.0.0)%s:' % (' -- not assessed: --quick is a smoke run, smaller N, fewer runs' if args.quick else ''))
            rows = (('single cancel <= %.2fx uri' % TARGET_SINGLE, '%.3fx' % single, single <= TARGET_SINGLE),
                    ('bulk N=%d c=4 >= %.0fx faster than the uri loop' % (bulk, TARGET_SPEEDUP), '%.1fx' % speedup, speedup >= TARGET_SPEEDUP),
                    ('bulk N=%d c=4 <= %.1fx the ideal bound' % (bulk, TARGET_IDEAL), '%.3fx' % ideal, ideal <= TARGET_IDEAL),
                    ('queue IDs N=%d check mode <= %.1fx its bound' % (queue_n, TARGET_QUEUE), '%.3fx' % check_mode, check_mode <= TARGET_QUEUE),
                    ('queue IDs N=%d real run <= %.1fx its bound' % (queue_n, TARGET_QUEUE), '%.3fx' % real, real <= TARGET_QUEUE),
                    ('per-ID cost N=%d <= %.1fx N=%d (flat)' % (large[1], TARGET_FLAT, large[0]), '%.3fx' % flat, flat <= TARGET_FLAT),
                    ('call_info N=%d <= %.1fx its bound' % (info_n, TARGET_READ), '%.3fx' % info, info <= TARGET_READ),
                    ('cancel_messages --check N=%d <= %.1fx its bound' % (messages_n, TARGET_READ), '%.3fx' % predict, predict <= TARGET_READ))
            for label, value, ok in rows:
                print('   %-50s %8s  %s' % (label + ':', value, verdict(ok, args.quick)))
            missed = [label for label, _value, ok in rows if not ok] if not args.quick else []
            print('\nbench_cancel: done in %.0f s; load average at the end: %.2f (1 min), %.2f (5 min)' % ((time.monotonic() - started,) + os.getloadavg()[:2]))
    except (BenchError, runtime.SetupError, OSError, ValueError) as ex:
        print('bench_cancel: FAILED: %s' % ex, file=sys.stderr)
        return 1
    if missed:
        print('bench_cancel: %d target(s) MISSED: %s' % (len(missed), '; '.join(missed)), file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
