"""completion bash|zsh|fish: click's completion scripts, with bash taught that `topic:command`
is one word (bash splits words at ':', so click's own script would complete `config:s` as
`config` `:` `s`)."""
from __future__ import annotations

import os

import click
from click.shell_completion import BashComplete, add_completion_class, get_completion_class, split_arg_string

COMPLETE_VAR = "_PAAS_COMPLETE"

# The words come from COMP_LINE up to the cursor rather than COMP_WORDS, and the replies lose
# what bash already holds before the last ':' (as bash-completion's __ltrim_colon_completions).
_BASH = """\
%(complete_func)s() {
    local IFS=$'\\n' line="${COMP_LINE:0:COMP_POINT}" response completion type value cur prefix i
    response=$(env COMP_LINE="$line" %(complete_var)s=bash_complete "$1")
    COMPREPLY=()
    for completion in $response; do
        IFS=',' read -r type value <<< "$completion"
        if [[ $type == dir ]]; then
            COMPREPLY=(); compopt -o dirnames
        elif [[ $type == file ]]; then
            COMPREPLY=(); compopt -o default
        elif [[ $type == plain ]]; then
            COMPREPLY+=("$value")
        fi
    done
    cur=${line##*[[:space:]]}
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        prefix=${cur%%"${cur##*:}"}
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
        done
    fi
    return 0
}

complete -o nosort -F %(complete_func)s %(prog_name)s
"""


class PaasBashComplete(BashComplete):
    source_template = _BASH

    def get_completion_args(self) -> tuple[list[str], str]:
        line = os.environ.get("COMP_LINE", "")
        words = split_arg_string(line)
        incomplete = words.pop() if words and not line[-1:].isspace() else ""
        return words[1:], incomplete


add_completion_class(PaasBashComplete, "bash")


def register(cli: click.Group) -> None:
    @cli.command("completion")
    @click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
    @click.pass_context
    def completion(ctx: click.Context, shell: str) -> None:
        """Print the completion script for a shell, e.g. eval "$(paas completion bash)" in
        ~/.bashrc; zsh: paas completion zsh > "${fpath[1]}/_paas"."""
        script = get_completion_class(shell)(ctx.find_root().command, {}, "paas", COMPLETE_VAR)
        click.echo(script.source())
