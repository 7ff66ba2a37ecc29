#!/usr/bin/env bash
# Secrets: the playbook runs once, at -vvvv, and every line of its output and every request URL the emulator logged
# is scanned for the test secrets (a scanned run asserts the same as a plain one).
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

emulator_start main
esendex_lane main esendex_playbook_scanned main.yml "$@"
esendex_lanes_wait
