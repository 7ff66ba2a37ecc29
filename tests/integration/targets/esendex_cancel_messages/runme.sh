#!/usr/bin/env bash
# esendex.us.esendex_cancel_messages against the emulator: setup_emulator's happy-path suite (main.yml and env_fallback.yml,
# each once as usual and once at -vvvv with a secret scan, as esendex_module_suite runs it) and, in a fifth lane,
# message_ids.yml (the 1.1.0 option) once, at -vvvv with a secret scan. Each lane has its own emulator.
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

for lane in main env main-vvvv env-vvvv message_ids-vvvv; do
    emulator_start "$lane"
done
esendex_lane main esendex_playbook main.yml "$@"
esendex_lane env esendex_with_key env esendex_playbook env_fallback.yml "$@"
esendex_lane main-vvvv esendex_playbook_scanned main.yml "$@"
esendex_lane env-vvvv esendex_with_key env esendex_playbook_scanned env_fallback.yml "$@"
esendex_lane message_ids-vvvv esendex_playbook_scanned message_ids.yml "$@"
esendex_lanes_wait
