#!/usr/bin/env bash
# esendex.us.esendex_message_info against the emulator: main.yml once as usual and once at -vvvv with a secret scan, at
# the same time, each against its own emulator.
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

emulator_start main
emulator_start main-vvvv
esendex_lane main esendex_playbook main.yml "$@"
esendex_lane main-vvvv esendex_playbook_scanned main.yml "$@"
esendex_lanes_wait
