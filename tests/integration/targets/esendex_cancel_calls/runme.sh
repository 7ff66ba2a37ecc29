#!/usr/bin/env bash
# esendex.us.esendex_cancel_calls against the emulator: setup_emulator's happy-path suite (main.yml and env_fallback.yml, each
# once as usual and once at -vvvv with a secret scan) and queue_ids.yml (cancelling by QueueID) once, at -vvvv with a
# secret scan. Each run has its own emulator.
set -eux

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

esendex_module_suite queue_ids.yml "$@"
