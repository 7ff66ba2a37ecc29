#!/usr/bin/env bash
# One task cancelling 2,000 reference IDs, without and with 5 % injected 503s; the output and every logged request
# are scanned for the test secrets.
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

emulator_start load
esendex_lane load esendex_playbook main.yml "$@"
esendex_lanes_wait
