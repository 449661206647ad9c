#!/usr/bin/env bash
# test_completion.sh: the bash completion of shelfwatch offers exactly what the CLI accepts.
#
# Usage: tests/package/test_completion.sh COMPLETION_SCRIPT SHELFWATCH_BINARY
#
# Loads tools/shelfwatch/completion.bash into this bash and calls its function the way bash
# does on TAB (COMP_WORDS, COMP_CWORD), then compares the offers with the built CLI's help:
#   - "shelfwatch <TAB>": every command of `shelfwatch --help`, plus help, and nothing else;
#   - "shelfwatch --<TAB>": the global options; "shelfwatch CMD --<TAB>": the global options
#     and those of `shelfwatch CMD --help`, nothing else;
#   - "shelfwatch CMD --opt <TAB>" and "--opt=<TAB>": the values the help lists for it;
#     file names after an option whose value is a FILE;
#   - a positional a|b argument of a command's Usage line: those values;
#   - after an option that takes a value, the next word is that value, not the command;
#     after one that does not, the commands are offered.
# Under a cross build SW_TEST_WRAPPER runs the binary under qemu.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/package/help.sh
source "$here/help.sh"

completion=${1:?usage: test_completion.sh COMPLETION_SCRIPT SHELFWATCH_BINARY}
cli=${2:?usage: test_completion.sh COMPLETION_SCRIPT SHELFWATCH_BINARY}

failures=0
fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
}

# shellcheck source=/dev/null
source "$completion"
complete -p shelfwatch >/dev/null || {
        echo "FAIL: $completion does not register a completion for shelfwatch" >&2
        exit 1
}

# complete_line "shelfwatch anomalies --" : what TAB offers at the end of that line, sorted.
# The line is split as bash does with the default COMP_WORDBREAKS ("--type=x": --type = x).
complete_line() {
        local line=$1 words
        line=${line//=/ = }
        read -r -a words <<<"$line"
        [[ $1 == *" " ]] && words+=("")
        COMP_WORDS=("${words[@]}")
        COMP_CWORD=$((${#words[@]} - 1))
        COMP_LINE=$1
        COMP_POINT=${#1}
        COMPREPLY=()
        _shelfwatch shelfwatch "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort -u
}

# expect LINE WORDS...: TAB at the end of LINE offers exactly WORDS.
expect() {
        local line=$1 got want
        shift
        got=$(complete_line "$line" | tr '\n' ' ')
        want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u | tr '\n' ' ')
        if [[ "$got" != "$want" ]]; then
                fail "'$line<TAB>': offers [${got% }], the CLI accepts [${want% }]"
        fi
}

global_help=$(help_text "$cli") || {
        echo "FAIL: $cli --help failed" >&2
        exit 1
}
mapfile -t commands < <(help_commands <<<"$global_help")
mapfile -t global_long < <(help_options <<<"$global_help" | grep '^--')
((${#commands[@]} > 0)) || fail "no commands found in '$cli --help'"
((${#global_long[@]} > 0)) || fail "no options found in '$cli --help'"

expect "shelfwatch " "${commands[@]}" help
expect "shelfwatch --" "${global_long[@]}"
expect "shelfwatch help " "${commands[@]}"
expect "shelfwatch --json " "${commands[@]}" help

# An option taking a value swallows the next word: the word after it is the command.
mapfile -t value_options < <(help_value_options <<<"$global_help")
for opt in "${value_options[@]}"; do
        expect "shelfwatch $opt x " "${commands[@]}" help
done

# Options whose value is a FILE complete file names.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
touch "$scratch/sw-completion-probe.pem"
mapfile -t file_options < <(help_file_options <<<"$global_help")
((${#file_options[@]} > 0)) || fail "no FILE options found in '$cli --help'"
for opt in "${file_options[@]}"; do
        expect "shelfwatch $opt $scratch/sw-completion-pr" "$scratch/sw-completion-probe.pem"
done

checked_enums=0
for cmd in "${commands[@]}"; do
        cmd_help=$(help_text "$cli" "$cmd") || {
                fail "$cli $cmd --help failed"
                continue
        }
        mapfile -t cmd_long < <(help_options <<<"$cmd_help" | grep '^--')
        expect "shelfwatch $cmd --" "${global_long[@]}" "${cmd_long[@]}"
        expect "shelfwatch --json $cmd --" "${global_long[@]}" "${cmd_long[@]}"

        while read -r opt values; do
                [[ -n "$opt" ]] || continue
                # shellcheck disable=SC2086 # the values are words
                expect "shelfwatch $cmd $opt " $values
                # shellcheck disable=SC2086
                expect "shelfwatch $cmd $opt=" $values
                checked_enums=$((checked_enums + 1))
        done < <(help_enums <<<"$cmd_help")

        while read -r pos values; do
                [[ -n "$pos" ]] || continue
                args=""
                for ((k = 1; k < pos; k++)); do args+="arg$k "; done
                # shellcheck disable=SC2086
                expect "shelfwatch $cmd $args" $values
                # An option's value among the arguments is not one of them.
                for opt in $(help_value_options <<<"$cmd_help"); do
                        # shellcheck disable=SC2086
                        expect "shelfwatch $cmd $opt x $args" $values
                done
                checked_enums=$((checked_enums + 1))
        done < <(help_positional_values <<<"$cmd_help")
done
((checked_enums > 0)) || fail "no enumerated values found in any command's --help"

if ((failures > 0)); then
        echo "test_completion.sh: $failures failure(s): update $completion to match the CLI" >&2
        exit 1
fi
echo "test_completion.sh: OK (${#commands[@]} commands, ${#global_long[@]} global options, $checked_enums value lists)"
