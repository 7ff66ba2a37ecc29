#!/usr/bin/env bash
# The fault matrix, one lane per group of modules of fault_lanes (matrix.yml): each lane runs once, at -vvvv with a
# secret scan (a scanned run asserts the same as a plain one). The lanes go at the same time, each against its own
# emulator: most rows wait on timeouts and back-offs.
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

lanes=(messages calls message_ids message_reads queue_ids queue_reads)
for lane in "${lanes[@]}"; do
    emulator_start "$lane"
done
for lane in "${lanes[@]}"; do
    esendex_lane "$lane" esendex_playbook_scanned main.yml -e "fault_matrix_module=$lane" "$@"
done
esendex_lanes_wait
