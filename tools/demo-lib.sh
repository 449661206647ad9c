# demo-lib.sh: what tools/demo.sh and tools/demo-hq.sh share; sourced from the repo root.
# shellcheck shell=bash disable=SC2154 # demo_name and tmp are the caller's
#
# The caller sets demo_name (its messages' prefix: demo, demo-hq) and tmp (its temporary
# directory, "" until made), and defines cleanup, which demo_traps runs on exit.

# say TEXT: a section heading.
say() {
        printf '\n== %s: %s\n' "$demo_name" "$*"
}

# die TEXT: say what went wrong and exit 1 (cleanup runs).
die() {
        echo "$demo_name.sh: $*" >&2
        exit 1
}

# demo_check_numbers NAME...: each variable NAME holds a non-negative integer, or die.
demo_check_numbers() {
        local v
        for v in "$@"; do
                [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
        done
}

# demo_traps: cleanup on exit; Ctrl-C exits 130 and SIGTERM 143, through cleanup.
demo_traps() {
        trap cleanup EXIT
        trap 'echo " interrupted"; exit 130' INT
        trap 'exit 143' TERM
}

# demo_remove_tmp: remove $tmp, or with DEMO_KEEP=1 keep it and say where it is.
demo_remove_tmp() {
        [[ -n $tmp ]] || return 0
        if [[ ${DEMO_KEEP:-0} == 1 ]]; then
                echo "$demo_name.sh: kept $tmp"
        else
                rm -rf "$tmp"
        fi
}

# demo_install_deps [NOTE]: the missing Debian packages (tools/install-deps.sh), with sudo
# when not root, packages are missing and sudo is there (saying NOTE first, if given).
demo_install_deps() {
        if ((EUID != 0)) && ! tools/install-deps.sh --check >/dev/null && command -v sudo >/dev/null; then
                [[ -z ${1:-} ]] || echo "$1"
                sudo tools/install-deps.sh
        else
                tools/install-deps.sh
        fi
}

# port_is_open PORT: something accepts connections on 127.0.0.1:PORT.
port_is_open() {
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# demo_wait_port PORT TENTHS: 0 once PORT accepts connections, 1 after TENTHS tenths of a second.
demo_wait_port() {
        local i
        for ((i = 0; i < $2; i++)); do
                port_is_open "$1" && return 0
                sleep 0.1
        done
        port_is_open "$1"
}
