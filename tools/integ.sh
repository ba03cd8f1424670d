#!/usr/bin/env bash
# Real-account integration test: deploy the integ app (stack + integ-tests assertion
# stack), check the assertion results, and always destroy both afterwards.
# integ-runner 2.197.10, the newest published, reads cloud assembly schema <= 53 while
# aws-cdk-lib 2.275.0 writes 55, so the pinned CDK CLI deploys the same integ app instead.
set -uo pipefail
cd "$(dirname "$0")/.."
app="$PWD/.venv/bin/python tests/integ/integ_autopilot_studio.py"
outputs=cdk.out/integ-outputs.json
mkdir -p cdk.out

node_modules/.bin/cdk deploy --app "$app" --all --require-approval never --outputs-file "$outputs" \
  && .venv/bin/python tests/integ/assertion_results.py "$outputs"
status=$?
node_modules/.bin/cdk destroy --app "$app" --all --force || status=1
exit "$status"
