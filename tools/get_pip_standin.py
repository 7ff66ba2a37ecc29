# Copyright: esendex.us collection maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test bootstraps pip into each empty virtual environment it creates by running
``python get_pip_X_Y.py <pip install arguments>``, after downloading that script from a
host this project's machines cannot reach.  tools/run_tests.py saves a copy of this file
as ``~/.ansible/test/cache/get_pip_X_Y.py`` (one copy per pip version ansible-test asks
for) so ansible-test finds it "cached" and never downloads anything.

When run, the stand-in reads the pip version from its own file name, takes the matching
pip wheel from its cache (``~/.ansible/test/cache/pip-wheels/``, filled by
tools/run_tests.py, or downloaded here once with ``pip download pip==X --no-deps
--only-binary=:all:`` from the configured package index), and runs that pip straight
from the wheel as ``pip install --upgrade --force-reinstall <arguments>``, as the real
get-pip.py does.  ``--no-setuptools`` and ``--no-wheel`` are get-pip.py options that pip
itself does not know, so they are dropped (ansible-test lists the exact packages it wants).

Standard library only; it must run on every Python ansible-test supports (3.9+ here).
"""

from __future__ import annotations

import glob
import os
import re
import runpy
import subprocess
import sys
import tempfile

WHEEL_DIR_ENV = 'GET_PIP_STANDIN_WHEEL_DIR'
DEFAULT_WHEEL_DIR = os.path.join('~', '.ansible', 'test', 'cache', 'pip-wheels')
GET_PIP_ONLY_OPTIONS = ('--no-setuptools', '--no-wheel')


def pip_version_from_name(path):
    """Return the pip version encoded in a file name such as get_pip_25_2.py."""
    match = re.match(r'^get_pip_(\d+(?:_\d+)*)\.py$', os.path.basename(path))

    if not match:
        raise SystemExit('get_pip stand-in: cannot read the pip version from the file name %r '
                         '(expected get_pip_X_Y.py)' % path)

    return match.group(1).replace('_', '.')


def wheel_dir():
    """Return the directory holding the cached pip wheels."""
    return os.path.expanduser(os.environ.get(WHEEL_DIR_ENV) or DEFAULT_WHEEL_DIR)


def find_wheel(directory, version):
    """Return the path of the cached wheel for the given pip version, or None."""
    matches = sorted(glob.glob(os.path.join(directory, 'pip-%s-*.whl' % version)))

    return matches[0] if matches else None


def downloader_commands():
    """Yield commands that can run some pip, even from an interpreter without pip installed."""
    yield [sys.executable, '-m', 'pip']

    try:
        import ensurepip  # pylint: disable=import-outside-toplevel
    except ImportError:
        ensurepip = None

    if ensurepip is not None:
        bundled = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', 'pip-*.whl')))

        if bundled:
            # a pip wheel can be run directly: python pip-X.whl/pip <command>
            yield [sys.executable, os.path.join(bundled[-1], 'pip')]

    base = getattr(sys, '_base_executable', None) or ''

    if base and os.path.exists(base):
        yield [base, '-m', 'pip']


def download_wheel(directory, version):
    """Download the pip wheel for the given version into the directory and return its path."""
    if not os.path.isdir(directory):
        os.makedirs(directory, exist_ok=True)

    temp_dir = tempfile.mkdtemp(prefix='.download-', dir=directory)
    errors = []

    for command in downloader_commands():
        command = command + ['download', 'pip==%s' % version, '--no-deps', '--only-binary=:all:',
                             '--disable-pip-version-check', '--dest', temp_dir]
        result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
        downloaded = find_wheel(temp_dir, version)

        if result.returncode == 0 and downloaded:
            target = os.path.join(directory, os.path.basename(downloaded))
            os.replace(downloaded, target)  # atomic, so concurrent runs never see half a wheel
            os.rmdir(temp_dir)
            return target

        errors.append('$ %s\n%s' % (' '.join(command), result.stdout.decode('utf-8', 'replace').strip()))

    raise SystemExit('get_pip stand-in: could not download pip %s:\n%s' % (version, '\n\n'.join(errors)))


def main():
    """Install the requested packages with the pip version this file is named after."""
    version = pip_version_from_name(__file__ if '__file__' in globals() else sys.argv[0])
    directory = wheel_dir()
    wheel = find_wheel(directory, version) or download_wheel(directory, version)
    arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]

    sys.path.insert(0, wheel)
    sys.argv = ['pip', 'install', '--upgrade', '--force-reinstall'] + arguments
    runpy.run_module('pip', run_name='__main__', alter_sys=True)


if __name__ == '__main__':
    main()
