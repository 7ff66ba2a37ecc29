#!/usr/bin/env bash
# The modules' own EXAMPLES (taken from ansible-doc, never copied) and both playbooks of playbooks/ must work under
# --check, and nothing may be cancelled. Two lanes at the same time, each against its own emulator:
# the EXAMPLES (main.yml), and the playbooks (cancel_campaign.yml; cancel_scheduled.yml without and with IDs, with
# --diff), each followed by verify.yml. The key comes from ESENDEX_LICENSE_KEY and the api URLs from
# ESENDEX_MESSAGING_API_URL / ESENDEX_VOICE_API_URL, as a user's would.
set -eux -o pipefail

# shellcheck source=../setup_emulator/emulator.sh
source "$(dirname "$0")/../setup_emulator/emulator.sh"

# ansible-test copies the files named by needs/file/ in aliases to the same place relative to the targets.
PLAYBOOKS="$(cd "$(dirname "$0")/../../../../playbooks" && pwd)"

with_api_urls() {
    ESENDEX_MESSAGING_API_URL="$ESENDEX_EMULATOR_URL/Messaging.svc" ESENDEX_VOICE_API_URL="$ESENDEX_EMULATOR_URL/NotifyWS/PhoneNotify.asmx" \
        esendex_with_key main "$@"
}

run_playbooks() {
    local diff_log="$ESENDEX_EMULATOR_WORKDIR/scheduled-diff.log"

    esendex_playbook prepare.yml "$@"
    with_api_urls esendex_playbook "$PLAYBOOKS/cancel_campaign.yml" --check "$@"
    with_api_urls esendex_playbook "$PLAYBOOKS/cancel_scheduled.yml" --check "$@"
    esendex_playbook verify.yml -e examples_status_reads=0 "$@"
    with_api_urls esendex_playbook "$PLAYBOOKS/cancel_scheduled.yml" --check --diff -e "@$(pwd)/vars/scheduled_ids.json" "$@" | tee "$diff_log"
    esendex_playbook verify.yml -e examples_status_reads=1 -e examples_message_reads=1 "$@"
    # the diff shows each queue ID's status before and after; the summary counts the one queued call
    grep -qx -- '-8101: Queued' "$diff_log"
    grep -qx -- '+8101: Cancelled' "$diff_log"
    grep -qx -- ' 8102: Dialing' "$diff_log"
    grep -q -- 'calls: 1 of 3 QueueIDs would be cancelled' "$diff_log"
}

emulator_start examples
emulator_start playbooks
esendex_lane examples with_api_urls esendex_playbook main.yml --check "$@"
esendex_lane playbooks run_playbooks "$@"
esendex_lanes_wait
