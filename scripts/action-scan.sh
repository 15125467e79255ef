#!/usr/bin/env bash
# The scan step of the GitHub Action (action.yml): runs `backend-audit scan` with the
# action's inputs, which arrive as INPUT_* environment variables, and writes SARIF.
# Exit codes: backend-audit's own (0 clean, 1 findings, 2 error); with soft-fail,
# findings exit 0 but errors still exit 2.
set -euo pipefail

path=${INPUT_PATH:-.}
sarif_file=${INPUT_SARIF_FILE:-backend-audit.sarif}

case "${INPUT_SOFT_FAIL:-false}" in
  true | True | TRUE) soft_fail=true ;;
  false | False | FALSE | '') soft_fail=false ;;
  *)
    echo "::error title=backend-audit::soft-fail must be true or false, not '${INPUT_SOFT_FAIL}'"
    exit 2
    ;;
esac

command=(backend-audit scan --format sarif --output "$sarif_file")
if [[ -n ${INPUT_CONFIG:-} ]]; then command+=(--config "$INPUT_CONFIG"); fi
if [[ -n ${INPUT_FAIL_ON:-} ]]; then command+=(--fail-on "$INPUT_FAIL_ON"); fi
if [[ -n ${INPUT_BASELINE:-} ]]; then command+=(--baseline "$INPUT_BASELINE"); fi
if [[ -n ${INPUT_DIFF_BASE:-} ]]; then command+=(--diff-base "$INPUT_DIFF_BASE"); fi
if [[ -n ${INPUT_CATEGORY:-} ]]; then command+=(--sarif-category "$INPUT_CATEGORY"); fi
# `args` is split like a shell command line (quotes and backslashes respected) by xargs,
# which expands nothing: no variables, globs or command substitution.
if [[ ${INPUT_ARGS:-} =~ [^[:space:]] ]]; then
  words=$(mktemp)
  if ! printf '%s\n' "$INPUT_ARGS" | xargs printf '%s\0' >"$words"; then
    rm -f -- "$words"
    echo "::error title=backend-audit::cannot split args (unbalanced quotes?): $INPUT_ARGS"
    exit 2
  fi
  while IFS= read -r -d '' word; do
    command+=("$word")
  done <"$words"
  rm -f -- "$words"
fi

# After `--`, a path is never taken for an option.
command+=(-- "$path")

mkdir -p -- "$(dirname -- "$sarif_file")"
echo "backend-audit:$(printf ' %q' "${command[@]:1}")"
status=0
"${command[@]}" || status=$?

if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  {
    echo "sarif-file=$sarif_file"
    echo "exit-code=$status"
  } >>"$GITHUB_OUTPUT"
fi

case $status in
  0) ;;
  1)
    if [[ $soft_fail == true ]]; then
      echo "::warning title=backend-audit::findings reported (soft-fail is on); see $sarif_file"
      status=0
    else
      echo "::error title=backend-audit::findings reported; see $sarif_file"
    fi
    ;;
  *) echo "::error title=backend-audit::the scan failed (exit code $status)" ;;
esac
exit "$status"
