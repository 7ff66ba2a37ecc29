# Copyright: esendex.us collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release checks of the esendex.us collection: changelog, docs site, Galaxy import, execution environment.

tools/run_tests.py runs each as a stage, in a fresh copy of the tree laid out as ansible_collections/esendex/us
(the working directory) with ANSIBLE_COLLECTIONS_PATH pointing at that copy:

    python tools/release_checks.py changelog    # antsibull-changelog lint, lint-changelog-yaml, CHANGELOG.md up to date
    python tools/release_checks.py docs-site    # HTML docs site with antsibull-docs and Sphinx, offline; a warning fails
    python tools/release_checks.py galaxy       # ansible-galaxy collection build, the tarball's files, galaxy-importer
    python tools/release_checks.py ee           # ansible-builder create on tests/ee/, introspect of the built tarball

Run it with the Python of the virtual environment that holds the tools: their scripts are found next to it.
The docs site goes to $DOCS_OUTPUT when set (`make docs`), else to docs/build/ of the copy.  Standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib

COLLECTION = 'esendex.us'
TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
IMPORTER_CONFIG = os.path.join(TOOLS_DIR, 'galaxy-importer.cfg')
EE_DEFINITION = os.path.join('tests', 'ee', 'execution-environment.yml')

# What the tarball must hold and must never hold (dev-only files; galaxy.yml build_ignore keeps them out).
TARBALL_REQUIRED = ('MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'SECURITY.md', 'requirements.txt',
                    'meta/runtime.yml', 'meta/execution-environment.yml', 'changelogs/changelog.yaml', 'changelogs/config.yaml',
                    'docs/docsite/extra-docs.yml', 'docs/docsite/links.yml', 'docs/docsite/rst/guide.rst',
                    'plugins/modules/esendex_cancel_messages.py', 'plugins/modules/esendex_cancel_calls.py',
                    'plugins/module_utils/_client.py', 'plugins/doc_fragments/esendex.py', 'tests/unit', 'tests/integration/targets')
TARBALL_FORBIDDEN = ('.venvs', '.git', '.gitignore', '.ci', '.ansible', '.ansible-lint', '.hypothesis', '.pytest_cache', 'Makefile',
                     'CONTRIBUTING.md', 'tools', 'benchmarks', 'tests/output', 'docs/build', 'changelogs/.plugin-cache.yaml',
                     'tests/integration/inventory', 'importer_result.json', '*.tar.gz', '*.pyc', '__pycache__')

# galaxy-importer logs its findings as "LEVEL: message" (INFO lines carry no prefix).
IMPORTER_FINDING = re.compile(r'^(WARNING|ERROR|CRITICAL):')
IMPORTER_DONE = 'Importer processing completed successfully'

# The docs site is built offline: the few labels of the Ansible docs that the generated pages and the guide refer to
# resolve from this local intersphinx inventory instead of docs.ansible.com's (name, page#anchor, title).
ANSIBLE_DOCS_URL = 'https://docs.ansible.com/projects/ansible/devel/'
ANSIBLE_DOCS_LABELS = (
    ('ansible_configuration_settings', 'reference_appendices/config.html#ansible-configuration-settings', 'Ansible Configuration Settings'),
    ('common_return_values', 'reference_appendices/common_return_values.html#common-return-values', 'Return Values'),
    ('module_defaults', 'playbook_guide/playbooks_module_defaults.html#module-defaults', 'Module defaults'),
    ('playbooks_environment', 'playbook_guide/playbooks_environment.html#playbooks-environment', 'Setting the remote environment'),
)


class CheckFailed(Exception):
    """A check failed; the message says what to fix."""


def tool(name):
    """Return the path of a script of the tools' virtual environment (next to the running Python)."""
    return os.path.join(os.path.dirname(sys.executable), name)


def say(text):
    """Print a line of this script's own (the stage log mixes it with the tools' output)."""
    print('[release_checks] %s' % text, flush=True)


def run(command, cwd=None, env=None, capture=False):
    """Run a command; fail on a non-zero exit.  With capture, echo and return its output."""
    say('$ %s' % ' '.join(command))
    result = subprocess.run(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, check=False, universal_newlines=True,
                            stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None)

    if capture:
        print(result.stdout, end='', flush=True)

    if result.returncode != 0:
        raise CheckFailed('%s exited with %d' % (os.path.basename(command[0]), result.returncode))

    return result.stdout if capture else ''


# ---------------------------------------------------------------------------------------------
# changelog
# ---------------------------------------------------------------------------------------------


def check_changelog(_args):
    """Lint the fragments and changelog.yaml, and check that CHANGELOG.md is what antsibull-changelog generates."""
    run([tool('antsibull-changelog'), 'lint'])
    run([tool('antsibull-changelog'), 'lint-changelog-yaml', os.path.join('changelogs', 'changelog.yaml')])

    with open('CHANGELOG.md', encoding='utf-8') as changelog_file:
        committed = changelog_file.read()

    run([tool('antsibull-changelog'), 'generate'])

    with open('CHANGELOG.md', encoding='utf-8') as changelog_file:
        generated = changelog_file.read()

    if committed != generated:
        sys.stdout.writelines(difflib.unified_diff(committed.splitlines(True), generated.splitlines(True), 'CHANGELOG.md (committed)',
                                                   'CHANGELOG.md (generated)'))
        raise CheckFailed('CHANGELOG.md is not what `antsibull-changelog generate` makes from changelogs/changelog.yaml: regenerate it')

    say('changelog: fragments, changelog.yaml and CHANGELOG.md are consistent')


# ---------------------------------------------------------------------------------------------
# docs-site
# ---------------------------------------------------------------------------------------------


def write_inventory(path):
    """Write a Sphinx (intersphinx) inventory, format version 2, of ANSIBLE_DOCS_LABELS."""
    lines = ''.join('%s std:label -1 %s %s\n' % (name, uri, title) for name, uri, title in ANSIBLE_DOCS_LABELS)
    header = ('# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
              '# The remainder of this file is compressed using zlib.\n')

    with open(path, 'wb') as inventory_file:
        inventory_file.write(header.encode('utf-8') + zlib.compress(lines.encode('utf-8')))


def check_docs_site(args):
    """Build the HTML docs site as `antsibull-docs sphinx-init` lays it out, offline, with every Sphinx warning an error."""
    dest = os.path.abspath(args.dest or os.environ.get('DOCS_OUTPUT') or os.path.join('docs', 'build'))
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    run([tool('antsibull-docs'), 'sphinx-init', '--use-current', '--fail-on-error', '--dest-dir', dest, '--project', COLLECTION,
         '--copyright', 'esendex.us collection maintainers', '--title', 'esendex.us collection documentation',
         '--html-short-title', 'esendex.us', COLLECTION])

    inventory = os.path.join(dest, 'ansible_devel.inv')
    write_inventory(inventory)

    with open(os.path.join(dest, 'conf.py'), 'a', encoding='utf-8') as conf_file:
        conf_file.write('\n# Offline build (tools/release_checks.py): no inventory is downloaded; references into the Ansible docs\n'
                        '# resolve from a local inventory of the few labels these pages use.\n'
                        'intersphinx_mapping = {%r: (%r, %r)}\n' % ('ansible_devel', ANSIBLE_DOCS_URL, inventory))

    rst = os.path.join(dest, 'rst')
    os.chmod(rst, 0o755)  # antsibull-docs wants the directory writable by its owner only (as build.sh does)
    run([tool('antsibull-docs'), '--config-file', os.path.join(dest, 'antsibull-docs.cfg'), 'collection', '--use-current',
         '--fail-on-error', '--cleanup', 'everything', '--dest-dir', rst, COLLECTION])
    html = os.path.join(dest, 'html')
    output = run([tool('sphinx-build'), '-b', 'html', '-d', os.path.join(dest, 'doctrees'), '-c', dest, '-W', '--keep-going', '-n', '-q',
                  rst, html], capture=True)

    if 'WARNING' in output or 'ERROR' in output:
        raise CheckFailed('sphinx-build printed warnings or errors (see above)')

    pages = ['index.html', 'collections/esendex/us/index.html', 'collections/esendex/us/docsite/guide.html',
             'collections/esendex/us/esendex_cancel_messages_module.html', 'collections/esendex/us/esendex_cancel_calls_module.html']
    missing = [page for page in pages if not os.path.isfile(os.path.join(html, page))]

    if missing:
        raise CheckFailed('the docs site lacks %s' % ', '.join(missing))

    say('docs site built without warnings: %s' % os.path.join(html, 'index.html'))


# ---------------------------------------------------------------------------------------------
# galaxy and ee
# ---------------------------------------------------------------------------------------------


def build_tarball(output_dir):
    """Build the collection tarball from the working directory; return its path."""
    run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', output_dir])
    tarballs = [name for name in os.listdir(output_dir) if name.endswith('.tar.gz')]

    if len(tarballs) != 1:
        raise CheckFailed('ansible-galaxy collection build made %d tarballs' % len(tarballs))

    return os.path.join(output_dir, tarballs[0])


def matches(name, pattern):
    """Tell whether a tarball member is the path pattern, lies under it, or has a part matching a glob pattern."""
    if '*' in pattern:
        return any(fnmatch.fnmatch(part, pattern) for part in name.split('/'))

    return name == pattern or name.startswith(pattern + '/')


def check_tarball_files(tarball):
    """Check that the tarball holds the collection's sources and none of the dev-only files."""
    with tarfile.open(tarball) as archive:
        names = sorted(re.sub(r'^\./', '', member.name).rstrip('/') for member in archive.getmembers())

    say('%s holds %d entries' % (os.path.basename(tarball), len(names)))
    problems = ['dev-only file in the tarball: %s' % name for name in names if any(matches(name, pattern) for pattern in TARBALL_FORBIDDEN)]
    problems += ['missing from the tarball: %s' % path for path in TARBALL_REQUIRED if not any(matches(name, path) for name in names)]

    for problem in problems:
        say(problem)

    if problems:
        raise CheckFailed('the tarball is wrong (%d problems): fix build_ignore in galaxy.yml' % len(problems))


def check_galaxy(_args):
    """Build the tarball, check its files, and import it with galaxy-importer; any warning or error fails."""
    work = tempfile.mkdtemp(prefix='galaxy-')

    try:
        tarball = build_tarball(work)
        check_tarball_files(tarball)
        env = dict(os.environ, GALAXY_IMPORTER_CONFIG=IMPORTER_CONFIG)
        output = run([sys.executable, '-m', 'galaxy_importer.main', tarball], cwd=work, env=env, capture=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    findings = [line for line in output.splitlines() if IMPORTER_FINDING.match(line)]

    if IMPORTER_DONE not in output:
        raise CheckFailed('galaxy-importer did not say %r' % IMPORTER_DONE)

    warnings = sum(1 for line in findings if line.startswith('WARNING'))
    say('galaxy-importer: %d errors, %d warnings' % (len(findings) - warnings, warnings))

    if findings:
        raise CheckFailed('galaxy-importer reported %d findings: %s' % (len(findings), ' | '.join(findings)))


def check_ee(_args):
    """Check that ansible-builder finds the collection's Python dependency and makes a build context from tests/ee/."""
    work = tempfile.mkdtemp(prefix='ee-')

    try:
        tarball = build_tarball(os.path.join(work, 'dist'))
        installed = os.path.join(work, 'collections')
        run([tool('ansible-galaxy'), 'collection', 'install', '--no-deps', '--force', '-p', installed, tarball],
            env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=installed))
        output = run([tool('ansible-builder'), 'introspect', installed], capture=True)

        if not re.search(r'^- .?requests\b.*# from collection %s' % re.escape(COLLECTION), output, re.MULTILINE):
            raise CheckFailed('ansible-builder introspect does not list requests for %s: check meta/execution-environment.yml '
                              'and requirements.txt' % COLLECTION)

        context = os.path.join(work, 'context')
        output = run([tool('ansible-builder'), 'create', '--file', EE_DEFINITION, '--context', context, '--output-filename', 'Containerfile',
                      '-v', '3'], capture=True)

        if re.search(r'^(WARNING|ERROR)|\bwarning\b', output, re.MULTILINE | re.IGNORECASE):
            raise CheckFailed('ansible-builder create printed a warning or an error (see above)')

        for path in ('Containerfile', os.path.join('_build', 'requirements.yml'), os.path.join('_build', 'scripts', 'assemble')):
            if not os.path.isfile(os.path.join(context, path)):
                raise CheckFailed('ansible-builder create made no %s' % path)

        with open(os.path.join(context, '_build', 'requirements.yml'), encoding='utf-8') as requirements_file:
            if COLLECTION not in requirements_file.read():
                raise CheckFailed('the build context does not install %s' % COLLECTION)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    say('ee: ansible-builder introspect lists requests for %s; the build context of %s is complete' % (COLLECTION, EE_DEFINITION))


CHECKS = {
    'changelog': check_changelog,
    'docs-site': check_docs_site,
    'galaxy': check_galaxy,
    'ee': check_ee,
}


def main(argv=None):
    """Run one check; return 0 if it passed."""
    parser = argparse.ArgumentParser(prog='python tools/release_checks.py', description=__doc__.split('\n', 1)[0])
    parser.add_argument('check', choices=sorted(CHECKS))
    parser.add_argument('--dest', help='docs-site: where to build the site (default: $DOCS_OUTPUT, else docs/build)')
    args = parser.parse_args(argv)

    try:
        CHECKS[args.check](args)
    except CheckFailed as ex:
        say('FAILED: %s' % ex)
        return 1

    return 0


if __name__ == '__main__':
    sys.exit(main())
