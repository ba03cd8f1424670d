#!/usr/bin/env bash
# Real-account integration test: deploy the integ app (stack + integ-tests assertion
# stack), check the assertion results, then destroy what this run deployed, and only that.
#   tools/integ.sh          the test
#   tools/integ.sh clean    destroy whatever an interrupted run left behind
# integ-runner 2.197.10, the newest published, reads cloud assembly schema <= 53 while
# aws-cdk-lib 2.275.0 writes 55, so the pinned CDK CLI deploys the same integ app instead.
set -uo pipefail
cd "$(dirname "$0")/.."
CDK=${CDK:-node_modules/.bin/cdk}
PYTHON=${PYTHON:-.venv/bin/python}
assembly=cdk.out/integ
outputs=cdk.out/integ-outputs.json
mkdir -p cdk.out

"$CDK" synth --app "$PYTHON tests/integ/integ_autopilot_studio.py" --output "$assembly" --quiet \
  || exit 1
declare -A selector
stacks=()
while read -r name path; do
  stacks+=("$name")
  selector[$name]=$path
done < <("$PYTHON" tools/integ_stacks.py names "$assembly")

existing() {  # the integ stacks that exist now, into the array named $1
  local text
  text=$("$PYTHON" tools/integ_stacks.py existing "${stacks[@]}") || return 1
  mapfile -t "$1" < <(grep . <<<"$text")
}

destroy() {  # the given stack names; nothing when there are none
  (($#)) || { echo "nothing to destroy" >&2; return 0; }
  local paths=()
  for name in "$@"; do paths+=("${selector[$name]}"); done
  "$CDK" destroy --app "$assembly" --force "${paths[@]}"
}

if [[ ${1:-} == clean ]]; then
  existing left || exit 1
  destroy "${left[@]}"
  exit
fi

existing left || exit 1
if ((${#left[@]})); then
  echo "error: ${left[*]} exist(s) from an earlier run; \`make integ-clean\` removes them" >&2
  exit 1
fi

"$CDK" deploy --app "$assembly" --all --require-approval never --outputs-file "$outputs" \
  && "$PYTHON" tests/integ/assertion_results.py "$outputs"
status=$?
existing deployed || status=1
destroy "${deployed[@]}" || status=1
exit "$status"
