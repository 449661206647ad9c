# bash completion for shelfwatch(1)                                -*- shell-script -*-
#
# Installed as /usr/share/bash-completion/completions/shelfwatch, which bash-completion
# loads on the first "shelfwatch <TAB>"; or source it from ~/.bashrc. Completes the
# commands, the options (global, and those of the command on the line), and the values the
# CLI accepts: anomaly types, severities, statuses, the outcome verdict, file names for
# --config, --cafile, --cert, --key, import's --items, --sales, --receipts and --state, and
# backup's FILE (a path on the gateway: local names help when the CLI runs there).
# Needs nothing from the bash-completion package.
#
# tests/package/test_completion.sh runs this against `shelfwatch --help` and
# `shelfwatch COMMAND --help`: a command, option or value the CLI gains or drops must be
# changed here too.

_shelfwatch_commands="anomalies ghost-stock outcome stats effectiveness roi health detect forecast
    backup count import"
_shelfwatch_global_options="--config --host --port --root --tenant --store --username --password
    --cafile --cert --key --timeout --json --help --version"
# Options that take a value (the next word is that value, not a command).
_shelfwatch_value_options="--config --host --port --root --tenant --store --username --password
    --cafile --cert --key --timeout --type --severity --status --days --sku --limit --as-of
    --detector --action --note --user --sales --receipts --items --state --device --anomaly"
_shelfwatch_types="ghost_stock ml_detected shelf_out inventory_discrepancy"

_shelfwatch_command_options()
{
    case $1 in
    anomalies) echo "--type --severity --status --days --sku --limit" ;;
    ghost-stock) echo "--limit" ;;
    outcome) echo "--action --note --user" ;;
    stats | effectiveness | roi) echo "--days" ;;
    detect) echo "--as-of --detector" ;;
    forecast) echo "--sku --as-of --limit" ;;
    backup) echo "--force" ;;
    count) echo "--anomaly --user --device" ;;
    import) echo "--items --sales --receipts --state --device" ;;
    esac
}

# The values of an option, or "" when it takes free text (and -f for a file name).
_shelfwatch_option_values()
{
    case $1 in
    --type | --detector) echo "$_shelfwatch_types" ;;
    --severity) echo "info warning critical" ;;
    --status) echo "open resolved dismissed cleared" ;;
    --config | --cafile | --cert | --key | --items | --sales | --receipts | --state) echo "-f" ;;
    --as-of) date +%F 2>/dev/null ;;
    esac
}

_shelfwatch()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=""
    local i word command="" nargs=0 values prefix=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()

    # --option=value: with '=' in COMP_WORDBREAKS, bash splits it into "--option" "=" "value".
    if [[ $cur == "=" && $prev == --* ]]; then
        cur=""
    elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ $cur == --*=* ]]; then
        # One word (COMP_WORDBREAKS without '='): the completions must keep "--option=".
        prev=${cur%%=*}
        prefix=$prev=
        cur=${cur#*=}
    fi

    # The command and its positional arguments so far; option values are skipped.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == "=" ]]; then
            ((i++)) # the value of --option=value
            continue
        fi
        if [[ $word == -* ]]; then
            if [[ " ${_shelfwatch_value_options//$'\n'/ } " == *" $word "* &&
                ${COMP_WORDS[i + 1]:-} != "=" ]]; then
                ((i++))
            fi
            continue
        fi
        if [[ -z $command ]]; then
            command=$word
        else
            ((nargs++))
        fi
    done

    # The value of an option.
    if [[ $prev == --* && " ${_shelfwatch_value_options//$'\n'/ } " == *" $prev "* ]]; then
        values=$(_shelfwatch_option_values "$prev")
        if [[ $values == "-f" ]]; then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        elif [[ -n $values ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
        fi
        [[ -n $prefix ]] && COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        return 0
    fi

    if [[ $cur == -* ]]; then
        local options="$_shelfwatch_global_options"
        [[ -n $command ]] && options+=" $(_shelfwatch_command_options "$command")"
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
        return 0
    fi

    if [[ -z $command ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$_shelfwatch_commands help" -- "$cur")
    elif [[ $command == help ]] && ((nargs == 0)); then
        mapfile -t COMPREPLY < <(compgen -W "$_shelfwatch_commands" -- "$cur")
    elif [[ $command == backup ]] && ((nargs == 0)); then
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    elif [[ $command == outcome ]] && ((nargs == 1)); then
        mapfile -t COMPREPLY < <(compgen -W "true_positive false_positive" -- "$cur")
    fi
    return 0
}

complete -F _shelfwatch shelfwatch
