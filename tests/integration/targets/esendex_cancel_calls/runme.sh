#!/usr/bin/env bash
# esendex.us.esendex_cancel_calls against the emulator (see esendex_module_suite in setup_emulator).
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

esendex_module_suite "$@"
