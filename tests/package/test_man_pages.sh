#!/usr/bin/env bash
# test_man_pages.sh: a built man page renders cleanly and documents what its program accepts.
#
# Usage: tests/package/test_man_pages.sh PAGE [PROGRAM]
#   PAGE     the built page (build/package-files/man/<name>.<section>, version filled in)
#   PROGRAM  the built program the page documents (under qemu in a cross build:
#            SW_TEST_WRAPPER)
#
# Checks, on every page:
#   - man renders it without a warning, exactly as lintian runs it (groff-message), when man
#     is installed; lexgrog finds its NAME line (bad-whatis-entry);
#   - options are written \-\-name in the roff source (a bare "-" renders as a hyphen, which
#     cannot be copied into a shell).
# With PROGRAM, against `PROGRAM --help` and, for a program with commands, `PROGRAM CMD
# --help` (tests/package/help.sh reads them):
#   - every option of the help has an item in the page (in the line after .TP: its own, or
#     its command's), every command an item ".B command", every accepted value is named;
#   - every option in an item tag (the line after .TP) and every command in the COMMANDS
#     section exists in the help: the page documents nothing the program dropped.
# shelfwatch.conf(5) has no program: its settings part is generated from
# docs/configuration.md (docs/man/md2man.awk), and this checks that every setting is in it.
# shelfwatch-hq(8) documents shelfwatch-hq's settings itself: one line per setting of
# systemd/shelfwatch-hq.conf with its default, checked both ways.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/package/help.sh
source "$here/help.sh"

page=${1:?usage: test_man_pages.sh PAGE [PROGRAM]}
program=${2:-}
name=$(basename "$page")

failures=0
fail() {
        echo "FAIL: $name: $*" >&2
        failures=$((failures + 1))
}

[[ -s "$page" ]] || {
        echo "FAIL: $page missing or empty (build first)" >&2
        exit 1
}

# ---- rendering ----
if command -v man >/dev/null; then
        warnings=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=120 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null |
                grep -v '^Reformatting' || true)
        [[ -z "$warnings" ]] || fail "man --warnings reports: $warnings"
else
        echo "test_man_pages.sh: man not installed, rendering not checked"
fi
if command -v lexgrog >/dev/null; then
        LC_ALL=C.UTF-8 lexgrog "$page" >/dev/null || fail "lexgrog finds no whatis entry (NAME section)"
fi

# The source with roff's minus signs as "-".
unescaped=$(sed 's/\\-/-/g' "$page")
# Source text without comments, with roff's minus signs and font escapes removed: what
# the reader sees, near enough to search.
text=$(grep -v '^\.\\"' "$page" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g')

# Options written with a bare "-": -x or --xx after a blank, "[" or "(" in the source.
bare=$(grep -v '^\.\\"' "$page" | grep -nE '(^|[[:space:][(|])--?[A-Za-z]' || true)
[[ -z "$bare" ]] || fail "options with an unescaped '-' (write \\-\\-name): $bare"

# ---- against the program ----
if [[ -n "$program" ]]; then
        global_help=$(help_text "$program") || {
                echo "FAIL: $name: $program --help failed" >&2
                exit 1
        }
        all_help=$global_help
        mapfile -t commands < <(help_commands <<<"$global_help")
        for cmd in "${commands[@]}"; do
                all_help+=$'\n'$(help_text "$program" "$cmd") || fail "$program $cmd --help failed"
        done

        # Forward: the help's options, commands and values are in the page.
        mapfile -t options < <(help_options <<<"$all_help")
        ((${#options[@]} > 0)) || fail "no options found in $program --help"
        # An option is documented when it has an item of its own or is in its command's item
        # tag (the line after .TP): a mention in running text or an example is not enough.
        tags=$(awk 'prev == ".TP" { print } { prev = $0 }' "$page" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g')
        for opt in "${options[@]}"; do
                grep -qE -- "(^|[^A-Za-z0-9-])$opt([^A-Za-z0-9-]|\$)" <<<"$tags" ||
                        fail "option $opt (in --help) has no item (.TP) in the page"
        done
        for cmd in "${commands[@]}"; do
                grep -qE "^\.B $cmd( |\$)" <<<"$unescaped" || fail "command $cmd (in --help) has no '.B $cmd' entry"
        done
        values=$({
                help_enums <<<"$all_help" | cut -d' ' -f2-
                help_positional_values <<<"$all_help" | cut -d' ' -f2-
        } | tr ' ' '\n' | sed '/^$/d' | sort -u)
        for v in $values; do
                grep -qw -- "$v" <<<"$text" || fail "value $v (in --help) is not documented"
        done

        # Reverse: what the page documents exists.
        tagged=$(grep -oE '(^|[^A-Za-z0-9-])--?[A-Za-z][A-Za-z0-9-]*' <<<"$tags" | sed 's/^[^-]*//' | sort -u)
        for opt in $tagged; do
                grep -qxF -- "$opt" <(printf '%s\n' "${options[@]}") ||
                        fail "documents $opt, which $program --help does not list"
        done
        documented_commands=$(awk '/^\.SH / { on = ($2 == "COMMANDS") } on && prev == ".TP" && /^\.B / { print $2 } { prev = $0 }' <<<"$unescaped")
        for cmd in $documented_commands; do
                grep -qxF -- "$cmd" <(printf '%s\n' "${commands[@]}") ||
                        fail "documents command $cmd, which $program --help does not list"
        done
        echo "test_man_pages.sh: $name: ${#options[@]} options, ${#commands[@]} commands, $(wc -w <<<"$values") values of $(basename "$program") --help documented"
fi

# ---- shelfwatch.conf(5): every setting of docs/configuration.md ----
if [[ "$name" == shelfwatch.conf.5 ]]; then
        settings=$(grep -E '^\| `[a-z_]+' "$repo/docs/configuration.md" | cut -d'|' -f2 |
                grep -oE '`[a-z_][a-z0-9_.*]*`' | tr -d '`' | sort -u)
        [[ -n "$settings" ]] || fail "no settings found in docs/configuration.md"
        for s in $settings; do
                grep -qF -- "\\fB$s\\fR" "$page" || fail "setting $s (docs/configuration.md) is not in the page"
        done
        echo "test_man_pages.sh: $name: $(wc -w <<<"$settings") settings of docs/configuration.md documented"
fi

# ---- shelfwatch-hq(8): every setting of systemd/shelfwatch-hq.conf, at its default ----
# That commented file is shelfwatch-hq's settings reference (a unit test holds it to the
# embedded defaults); the page's CONFIGURATION has one line `\fBsection.name\fR = default` for
# each setting, as the file writes it, and no other.
if [[ "$name" == shelfwatch-hq.8 ]]; then
        conf=$repo/systemd/shelfwatch-hq.conf
        # "section.name = value" for each setting: a group opens with "name:" on its own line.
        want=$(awk '
                /^[a-z_]+:[ \t]*$/ { sec = $1; sub(/:$/, "", sec); next }
                /^[ \t]+[a-z_]+[ \t]*=/ && sec != "" {
                        line = $0
                        sub(/^[ \t]+/, "", line)
                        sub(/;[ \t]*(#.*)?$/, "", line)
                        sub(/[ \t]*=[ \t]*/, " = ", line)
                        print sec "." line
                }' "$conf" | sort)
        [[ -n "$want" ]] || fail "no settings found in $conf"
        have=$(sed -n 's/^\\fB\([a-z_]*\.[a-z_]*\)\\fR = /\1 = /p' "$page" | sed 's/\\-/-/g' | sort)
        while IFS= read -r s; do
                grep -qxF -- "$s" <<<"$have" ||
                        fail "setting ${s%% = *} (systemd/shelfwatch-hq.conf: $s) has no line '\\fB${s%% = *}\\fR = ${s#* = }'"
        done <<<"$want"
        while IFS= read -r s; do
                [[ -z "$s" ]] || grep -qxF -- "$s" <<<"$want" ||
                        fail "documents '$s', which systemd/shelfwatch-hq.conf does not have (so set)"
        done <<<"$have"
        echo "test_man_pages.sh: $name: $(wc -l <<<"$want") settings of systemd/shelfwatch-hq.conf documented"
fi

if ((failures > 0)); then
        echo "test_man_pages.sh: $name: $failures failure(s)" >&2
        exit 1
fi
echo "test_man_pages.sh: $name: OK"
