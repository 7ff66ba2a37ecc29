# shellcheck shell=bash
# Copyright (c) 2026, esendex.us collection maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared by the integration targets that list needs/target/setup_emulator in their aliases. A runme.sh sources
# it and uses:
#
#   emulator_start [NAME]              start tests/emulator/esendex_emulator.py (NAME: default "main") on a free
#                                      loopback port with the test Python, wait for it, and export its URL as
#                                      ESENDEX_EMULATOR_URL; every emulator is stopped on exit (EXIT trap)
#   esendex_playbook PB ARGS           ansible-playbook with this library's inventory: localhost, local connection,
#                                      modules run by the Python that runs ansible-playbook (it has requests)
#   esendex_playbook_scanned PB ARGS   the same at -vvvv with the output captured; fails if a test secret (license
#                                      key, URL password) is in it, in any case, or in any request path or query
#                                      string the emulator logged; shows the output only once it is known clean
#   esendex_with_key NAME COMMAND...   run COMMAND with ESENDEX_LICENSE_KEY set to the test key NAME, for the
#                                      env-var fallback tests (the key never appears on a command line)
#   esendex_lane EMULATOR COMMAND...   run COMMAND in the background against emulator EMULATOR, output to a file
#   esendex_lanes_wait                 wait for every lane, print each one's output, fail if any failed
#   emulator_ctl ARGS                  setup_emulator/emulator_ctl.py (prepare, report, scan) for the current emulator
#
# Lanes let a target run independent playbooks at the same time (each against its own emulator, since a
# playbook resets its emulator's state and faults), which keeps the targets fast on a small machine. Start every
# emulator before the first lane: a later emulator_start may pick a new ESENDEX_CLOSED_PORT.
#
# Playbooks load setup_emulator/vars/emulator.yml, which reads ESENDEX_EMULATOR_URL, ESENDEX_EMULATOR_WORKDIR
# and ESENDEX_CLOSED_PORT (a loopback port nothing listens on). Every request to a host that is not loopback is
# sent through http(s)_proxy to that closed port, so no test can reach the network by mistake. The test keys
# live in setup_emulator/files/test_secrets.json.

SETUP_EMULATOR_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The Python that has requests: ansible-test's controller venv, else python3 from PATH.
ESENDEX_TEST_PYTHON="${ANSIBLE_TEST_PYTHON_INTERPRETER:-$(command -v python3)}"
ESENDEX_EMULATOR_WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/esendex-emulator.XXXXXX")"
export ESENDEX_EMULATOR_WORKDIR
declare -A EMULATOR_URLS=()
EMULATOR_PIDS=()
LANE_NAMES=()
LANE_PIDS=()

esendex_cleanup() {
    local pid

    for pid in "${LANE_PIDS[@]}" "${EMULATOR_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${LANE_PIDS[@]}" "${EMULATOR_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$ESENDEX_EMULATOR_WORKDIR"
    echo "setup_emulator: $(basename "$PWD") took ${SECONDS} s"
}

trap esendex_cleanup EXIT
trap 'exit 130' INT TERM

# A key or URL the developer exported must not reach the tests; the env-var fallback tests set their own.
unset ESENDEX_LICENSE_KEY ESENDEX_MESSAGING_API_URL ESENDEX_VOICE_API_URL

esendex_pick_closed_port() {
    # A loopback port that nothing listens on: "connection refused" for the fault matrix, and the proxy below.
    # Safety net: a request to any host but loopback (or a name under the reserved .invalid TLD, which cannot
    # resolve) goes to that closed port through the proxy variables requests honours, never to the network.
    ESENDEX_CLOSED_PORT="$("$ESENDEX_TEST_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    export ESENDEX_CLOSED_PORT
    export http_proxy="http://127.0.0.1:$ESENDEX_CLOSED_PORT" https_proxy="http://127.0.0.1:$ESENDEX_CLOSED_PORT"
    export HTTP_PROXY="$http_proxy" HTTPS_PROXY="$https_proxy"
    export no_proxy="127.0.0.1,localhost,.invalid" NO_PROXY="127.0.0.1,localhost,.invalid"
}

esendex_pick_closed_port
export ESENDEX_EMULATOR_URLS=""

emulator_start() {
    local name="${1:-main}" script url_file waited=0

    # ansible-test copies the file named by needs/file/ in setup_emulator/aliases to the same place relative to
    # the targets as in the collection, so one relative path serves both ansible-test and a direct run.
    script="${ESENDEX_EMULATOR_SCRIPT:-$SETUP_EMULATOR_DIR/../../../emulator/esendex_emulator.py}"
    if [ ! -f "$script" ]; then
        echo "setup_emulator: emulator not found at $script" >&2
        return 1
    fi
    url_file="$ESENDEX_EMULATOR_WORKDIR/$name.url"
    "$ESENDEX_TEST_PYTHON" "$script" --port 0 --host 127.0.0.1 --url-file "$url_file" --quiet \
        >"$ESENDEX_EMULATOR_WORKDIR/$name.emulator.out" 2>&1 &
    EMULATOR_PIDS+=("$!")

    until [ -s "$url_file" ]; do
        if ! kill -0 "${EMULATOR_PIDS[-1]}" 2>/dev/null || [ "$waited" -ge 100 ]; then
            echo "setup_emulator: emulator $name did not start:" >&2
            cat "$ESENDEX_EMULATOR_WORKDIR/$name.emulator.out" >&2
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done

    EMULATOR_URLS[$name]="$(cat "$url_file")"
    export ESENDEX_EMULATOR_URL="${EMULATOR_URLS[$name]}"
    export ESENDEX_EMULATOR_URLS="$ESENDEX_EMULATOR_URLS $ESENDEX_EMULATOR_URL"
    # The closed port was free when it was picked: if this emulator was given it since, pick another.
    while [[ " $ESENDEX_EMULATOR_URLS " == *":$ESENDEX_CLOSED_PORT "* ]]; do
        esendex_pick_closed_port
    done
    echo "setup_emulator: emulator $name listening on $ESENDEX_EMULATOR_URL"
}

emulator_ctl() {
    "$ESENDEX_TEST_PYTHON" "$SETUP_EMULATOR_DIR/emulator_ctl.py" "$@"
}

esendex_playbook() {
    ansible-playbook -i "$SETUP_EMULATOR_DIR/inventory.ini" "$@"
}

esendex_with_key() (
    # A subshell: the key stays in its environment, and xtrace is off while the key is read and exported.
    local trace=""

    case "$-" in *x*) trace=1 ;; esac
    { set +x; } 2>/dev/null
    ESENDEX_LICENSE_KEY="$(emulator_ctl secret "$1")"
    export ESENDEX_LICENSE_KEY
    shift
    if [ -n "$trace" ]; then set -x; fi
    "$@"
)

esendex_playbook_scanned() {
    local log status=0

    log="$(mktemp "$ESENDEX_EMULATOR_WORKDIR/vvvv-XXXXXX.log")"
    esendex_playbook "$@" -vvvv >"$log" 2>&1 || status=$?

    # Scan first: the output is shown only once it is known to hold no secret.
    if ! emulator_ctl scan "$log"; then
        echo "setup_emulator: a test secret leaked at -vvvv in: $* (output not shown: it holds the secret)" >&2
        return 1
    fi
    if [ "$status" -ne 0 ]; then
        tail -n 100 "$log" >&2
        echo "setup_emulator: failed at -vvvv (exit $status): $*" >&2
        return "$status"
    fi
    echo "setup_emulator: passed at -vvvv, $(wc -l <"$log") lines of output without any secret: $*"
}

esendex_lane() {
    local name="$1"

    shift
    if [ -z "${EMULATOR_URLS[$name]:-}" ]; then
        echo "setup_emulator: no emulator named $name (emulator_start $name first)" >&2
        return 1
    fi
    ESENDEX_EMULATOR_URL="${EMULATOR_URLS[$name]}" "$@" >"$ESENDEX_EMULATOR_WORKDIR/$name.lane.log" 2>&1 &
    LANE_PIDS+=("$!")
    LANE_NAMES+=("$name")
}

esendex_lanes_wait() {
    local index status=0 failed=() logs=()

    for index in "${!LANE_PIDS[@]}"; do
        if ! wait "${LANE_PIDS[$index]}"; then
            failed+=("${LANE_NAMES[$index]}")
            status=1
        fi
        logs+=("$ESENDEX_EMULATOR_WORKDIR/${LANE_NAMES[$index]}.lane.log")
    done
    # Every lane's output and every request any emulator logged, scanned before anything is shown.
    if ! emulator_ctl scan --all "${logs[@]}"; then
        echo "setup_emulator: a test secret leaked (lane output not shown: it holds the secret)" >&2
        return 1
    fi
    for index in "${!LANE_NAMES[@]}"; do
        echo "===== lane ${LANE_NAMES[$index]} ====="
        cat "${logs[$index]}"
    done
    LANE_PIDS=()
    LANE_NAMES=()
    if [ "$status" -ne 0 ]; then
        echo "setup_emulator: failed lanes: ${failed[*]}" >&2
    fi
    return "$status"
}

# The suite of one module target: main.yml, env_fallback.yml and each EXTRA.yml given first, each once at -vvvv
# with a secret scan (a scanned run asserts the same as a plain one), at the same time, each against its own
# emulator. Usage: esendex_module_suite [EXTRA.yml ...] [ansible-playbook arguments]
esendex_module_suite() {
    local lane playbook extra=()
    while [[ "${1:-}" == *.yml ]]; do
        extra+=("$1")
        shift
    done
    for lane in main env "${extra[@]}"; do
        emulator_start "$lane"
    done
    esendex_lane main esendex_playbook_scanned main.yml "$@"
    esendex_lane env esendex_with_key env esendex_playbook_scanned env_fallback.yml "$@"
    for playbook in "${extra[@]}"; do
        esendex_lane "$playbook" esendex_playbook_scanned "$playbook" "$@"
    done
    esendex_lanes_wait
}
