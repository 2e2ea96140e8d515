#!/usr/bin/env bash
# Deploy benchmark (issue 4): 20 functions x 3 envs against the emulator with
# 100 ms injected latency on every call, concurrency 4. "x-ideal" is the time
# over the unavoidable round trips (one probe + one upload per function, in
# ceil(20/4) waves); the redeploy of unchanged code must send zero uploads.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'Deploy20x3|RedeployUnchanged' -benchtime "${BENCHTIME:-5x}" -count "${COUNT:-1}" ./internal/deploy
