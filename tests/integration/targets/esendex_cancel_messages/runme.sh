#!/usr/bin/env bash
# esendex.us.esendex_cancel_messages against the emulator: setup_emulator's happy-path suite (main.yml and env_fallback.yml, each
# once as usual and once at -vvvv with a secret scan) and message_ids.yml (cancelling by MessageID) once, at -vvvv with a
# secret scan. Each run has its own emulator.
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

esendex_module_suite message_ids.yml "$@"
