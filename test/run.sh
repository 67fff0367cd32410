#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: installs the real components
# (test/rig/install.sh), builds keyward, runs every vitest suite against them, and
# ends with one plain line "N passed, N failed". A skipped test counts as failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

results=.vitest-results.json
rm -f "$results"

fail_early() {
  echo "keyward tests: $1" >&2
  echo "0 passed, 1 failed"
  exit 1
}

[ -d node_modules ] || npm ci --no-audit --no-fund || fail_early "npm ci failed"
bash test/rig/install.sh || fail_early "the test rig could not be installed"
npm run --silent build || fail_early "the TypeScript build failed"

npx vitest run --reporter=default --reporter=json --outputFile="$results" "$@"
status=$?

if [ ! -s "$results" ]; then
  fail_early "vitest wrote no results (exit $status)"
fi

summary=$(node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === "failed" && (f.assertionResults ?? []).length === 0).length;
  const failed = r.numFailedTests + skipped + brokenFiles;
  console.log(`${r.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  process.exit(failed > 0 ? 1 : 0);
' "$results")
summary_status=$?
echo "$summary"
if [ "$status" -ne 0 ] || [ "$summary_status" -ne 0 ]; then exit 1; fi
exit 0
