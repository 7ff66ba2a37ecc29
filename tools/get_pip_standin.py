# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip script that ansible-test downloads (from a host this machine cannot reach).

noxfile.py saves it as ~/.ansible/test/cache/get_pip_X_Y.py, with the pip X.Y wheel from the package index in
~/.ansible/test/cache/pip-wheels/.  ansible-test runs it as ``python get_pip_X_Y.py <pip install arguments>``:
it runs that pip straight from its wheel, as get-pip.py does.  Standard library only, any Python ansible-test uses.
"""
import glob
import os
import runpy
import sys

VERSION = os.path.basename(__file__)[len('get_pip_'):-len('.py')].replace('_', '.')
WHEELS = glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pip-wheels', 'pip-%s-*.whl' % VERSION))
if not WHEELS:
    sys.exit('get_pip stand-in: no pip %s wheel in pip-wheels/ next to this file (run the nox session again)' % VERSION)
sys.path.insert(0, WHEELS[0])
# get-pip.py's own options, which pip does not know; ansible-test lists the exact packages it wants
sys.argv = ['pip', 'install', '--upgrade', '--force-reinstall'] + [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
runpy.run_module('pip', run_name='__main__', alter_sys=True)
