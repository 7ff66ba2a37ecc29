#!/usr/bin/env bash
# Null and omitted inputs that 1.1.0 turned into "cancel everything", and loose QueueIDs that it converted: each must
# fail before any request with a one-line error, and the emulator's state must show that nothing was cancelled.
# Run on the oldest and the newest ansible-core line (their templating of null and omit differs). cases.yml runs
# the module tasks; then playbooks/cancel_scheduled.yml runs with a vars file whose esendex_message_ids is empty.
set -eux -o pipefail

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

# ansible-test copies the files named by needs/file/ in aliases to the same place relative to the targets.
PLAYBOOKS="$(cd "$(dirname "$0")/../../../../playbooks" && pwd)"
log="$ESENDEX_EMULATOR_WORKDIR/cancel_scheduled.log"

emulator_start main
esendex_playbook cases.yml "$@"

esendex_playbook seed.yml "$@"
status=0
ESENDEX_MESSAGING_API_URL="$ESENDEX_EMULATOR_URL/Messaging.svc" ESENDEX_VOICE_API_URL="$ESENDEX_EMULATOR_URL/NotifyWS/PhoneNotify.asmx" \
    esendex_with_key main esendex_playbook "$PLAYBOOKS/cancel_scheduled.yml" -e "@$(pwd)/vars/empty_message_ids.yml" "$@" >"$log" 2>&1 || status=$?
emulator_ctl scan "$log"
cat "$log"
# the playbook skips the messages task and says so in one line that names the variable; it sends nothing
[ "$status" -eq 0 ]
grep -E -- '^ *"messages: [^"]*esendex_message_ids[^"]*",?$' "$log"
esendex_playbook verify.yml "$@"
