#!/usr/bin/env bash
# esendex.us.esendex_cancel_messages against the emulator. Each playbook runs once as usual and once at -vvvv with
# a secret scan; the four runs go at the same time, each against its own emulator.
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

for lane in main env main-vvvv env-vvvv; do
    emulator_start "$lane"
done

esendex_lane main esendex_playbook main.yml "$@"
esendex_lane env esendex_with_key env esendex_playbook env_fallback.yml "$@"
esendex_lane main-vvvv esendex_playbook_scanned main.yml "$@"
esendex_lane env-vvvv esendex_with_key env esendex_playbook_scanned env_fallback.yml "$@"
esendex_lanes_wait
