#!/usr/bin/env bash
# The fault matrix: for each module once as usual and once at -vvvv with a secret scan, and for cancelling and reading
# by MessageID and QueueID (CancelMessage and GetMessageStatus, with message_info; CancelNotify and
# GetMultipleQueueIdStatus, with call_info), each lane once at -vvvv with a secret scan (a scanned run asserts the
# same). The lanes go at the same time, each against its own emulator: most rows wait on timeouts and back-offs.
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

modules=(messages calls)
targeted=(message_ids queue_ids)
for module in "${modules[@]}"; do
    emulator_start "$module"
    emulator_start "$module-vvvv"
done
for lane in "${targeted[@]}"; do
    emulator_start "$lane-vvvv"
done
for module in "${modules[@]}"; do
    esendex_lane "$module" esendex_playbook main.yml -e "fault_matrix_module=$module" "$@"
    esendex_lane "$module-vvvv" esendex_playbook_scanned main.yml -e "fault_matrix_module=$module" "$@"
done
for lane in "${targeted[@]}"; do
    esendex_lane "$lane-vvvv" esendex_playbook_scanned main.yml -e "fault_matrix_module=$lane" "$@"
done
esendex_lanes_wait
