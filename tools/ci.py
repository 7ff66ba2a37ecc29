# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make test`: run nox sessions a few at a time, one result line each, then the line `N passed, N failed`.

    python tools/ci.py [--jobs N] [SESSION ...]    # default: the CI set (the sessions `nox -l` marks with *)

Run it with the Python that has nox (make test uses .nox-bootstrap/).  Each session logs to .nox/logs/NAME.log;
a failed one shows its last lines.  Exit code 1 if any failed.  Reads no standard input.
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / '.nox' / 'logs'
NOX = [sys.executable, '-m', 'nox', '--non-interactive', '--no-color', '-f', str(ROOT / 'noxfile.py')]
SLOWEST = ('units-2.21', 'integration', 'sanity-2.16', 'sanity-2.21')  # started first, so two workers end together
NOISE = re.compile(r'^(WARNING: Location|Looking in|Collecting|Downloading|Using cached|Requirement already|\s+━)')


def ci_sessions():
    """Return the sessions `nox -l` marks as selected, in the noxfile's order."""
    listing = subprocess.run(NOX + ['-l'], cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True).stdout
    names = re.findall(r'^\* (\S+)', listing, re.M)
    return sorted(names, key=lambda name: SLOWEST.index(name) if name in SLOWEST else len(SLOWEST) + (not re.match('sanity|units', name)))


def run(name, timeout):
    """Run one session with its output in its log; return (name, status, seconds, log)."""
    log, started = LOGS / f'{name}.log', time.monotonic()
    with open(log, 'w', encoding='utf-8') as out:
        try:
            code = subprocess.run(NOX + ['-e', name], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout, check=False).returncode
        except subprocess.TimeoutExpired:
            code = 'timeout'
    status = 'PASS' if code == 0 else 'FAIL'
    if code == 0 and re.search(rf'^nox > Session {re.escape(name)} skipped', log.read_text(errors='replace'), re.M):
        status = 'SKIP'
    return name, status, time.monotonic() - started, log


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--jobs', '-j', type=int, default=int(os.environ.get('JOBS') or 2))
    parser.add_argument('--timeout', type=int, default=1800, help='seconds before a session counts as failed')
    parser.add_argument('sessions', nargs='*')
    args = parser.parse_args()
    LOGS.mkdir(parents=True, exist_ok=True)
    sessions, counts, started = args.sessions or ci_sessions(), {'PASS': 0, 'FAIL': 0, 'SKIP': 0}, time.monotonic()
    print(f'running {len(sessions)} nox sessions, {args.jobs} at a time; logs in .nox/logs/', flush=True)
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for future in concurrent.futures.as_completed([pool.submit(run, name, args.timeout) for name in sessions]):
            name, status, seconds, log = future.result()
            counts[status] += 1
            print(f'{name:<22} {status} {seconds:6.0f} s   .nox/logs/{log.name}', flush=True)
            if status == 'FAIL':
                lines = [line for line in log.read_text(errors='replace').splitlines() if not NOISE.match(line)]
                print('\n'.join(f'    | {line}' for line in lines[-40:]), flush=True)
    print(f"total {time.monotonic() - started:.0f} s" + (f"; {counts['SKIP']} skipped (see their logs)" if counts['SKIP'] else ''))
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed")
    return 1 if counts['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main())
