#!/usr/bin/env bash
# esendex.us.esendex_cancel_messages against the emulator: setup_emulator's module suite runs main.yml, env_fallback.yml
# and message_ids.yml (cancelling by MessageID), each once at -vvvv with a secret scan, each against its own emulator.
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

esendex_module_suite message_ids.yml "$@"
