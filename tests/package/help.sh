# help.sh: read a program's --help output; sourced by test_man_pages.sh and test_completion.sh.
# shellcheck shell=bash
#
# The help texts are the source of truth about a program's commands, options and the values
# they accept: both tests compare a hand-written file (a man page, the bash completion) with
# what the built program prints, so neither can drift from the code.
#
# Conventions of the help texts read here (daemon/main.c, tools/shelfwatch/commands.c):
#   - option lines start with spaces and "-": "  -c, --config PATH    text"; an upper-case
#     word after an option is its value ("PATH"): the option takes one;
#   - "Commands:" is followed by one "  name   summary" line per command, up to a blank line;
#   - an option whose text ends in an enumeration of lower-case words ("info, warning or
#     critical", or after a colon "...: a, b, c") accepts exactly those;
#   - in a command's "Usage:" line a word a|b is a positional argument with those values.

# Run the program under test (under qemu in a cross build: SW_TEST_WRAPPER).
help_run() {
        # shellcheck disable=SC2086 # the wrapper is a command line
        ${SW_TEST_WRAPPER:-} "$@"
}

# help_text PROGRAM [ARGS...]: PROGRAM ARGS --help; fails when that fails.
help_text() {
        help_run "$@" --help
}

# The option lines, each continuation line joined to its option's line.
help__option_lines() {
        awk '
                /^ +-/ { if (line != "") print line; line = $0; next }
                /^      +[^ -]/ && line != "" { sub(/^ +/, " "); line = line $0; next }
                { if (line != "") print line; line = "" }
                END { if (line != "") print line }'
}

# help_options: the options (-x and --long) of the help text on stdin, one a line.
help_options() {
        help__option_lines | awk '{
                sub(/^ +/, "")
                spec = $0
                i = index(spec, "  ")
                if (i > 0) spec = substr(spec, 1, i - 1)
                n = split(spec, w, /[ ,]+/)
                for (k = 1; k <= n; k++) if (w[k] ~ /^--?[A-Za-z]/) print w[k]
        }' | sort -u
}

# help__options_before PATTERN: the long options whose next word (the name of their value)
# matches the awk regular expression PATTERN.
help__options_before() {
        help__option_lines | awk -v value="$1" '{
                sub(/^ +/, "")
                n = split($0, w, /[ ,]+/)
                for (k = 1; k < n; k++)
                        if (w[k] ~ /^--[a-z]/ && w[k + 1] ~ value) print w[k]
        }' | sort -u
}

# help_value_options: the long options that take a value.
help_value_options() {
        help__options_before '^[A-Z][A-Z]*$'
}

# help_file_options: the long options whose value is a file ("--config FILE").
help_file_options() {
        help__options_before '^FILE$'
}

# help_enums: "OPTION value value..." for each option whose text is an enumeration.
help_enums() {
        help__option_lines | awk '{
                sub(/^ +/, "")
                opt = $1
                if (opt !~ /^--[a-z]/) next
                text = $0
                sub(/^--[a-z-]+ +[A-Z]+ +/, "", text)   # the option and its value name
                if (match(text, /: [a-z_]+(, [a-z_]+)+( or [a-z_]+)?$/))
                        text = substr(text, RSTART + 2)
                else if (text !~ /^[a-z_]+(, [a-z_]+)*( or [a-z_]+)$/)
                        next
                gsub(/,/, "", text)
                gsub(/ or /, " ", text)
                print opt, text
        }'
}

# help_commands: the commands listed under "Commands:".
help_commands() {
        awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }'
}

# help_positional_values: "POSITION value value..." for each a|b word of the Usage line,
# POSITION counting the command's positional arguments from 1.
help_positional_values() {
        awk '/^Usage:/ {
                n = split($0, w, / +/)
                pos = 0; seen_cmd = 0
                for (k = 1; k <= n; k++) {
                        if (k <= 2 || w[k] ~ /[][]/) continue   # "Usage:", the program, [options]
                        if (!seen_cmd) { seen_cmd = 1; continue } # the command itself
                        pos++
                        if (w[k] ~ /^[a-z_]+(\|[a-z_]+)+$/) { v = w[k]; gsub(/\|/, " ", v); print pos, v }
                }
        }'
}
