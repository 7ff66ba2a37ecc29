#!/usr/bin/env bash
# esendex.us.esendex_call_info against the emulator: main.yml once, at -vvvv with a secret scan (a scanned run asserts
# the same as a plain one).
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

emulator_start main
esendex_lane main esendex_playbook_scanned main.yml "$@"
esendex_lanes_wait
