# Runs one Jest configuration with a JSON report, prints its counts, and adds them to the run's
# totals (PASSED, FAILED). Under CI=true a skipped test counts as a failure.
PASSED=0
FAILED=0

run_jest() {
  local label="$1"
  shift
  local report
  report="$(mktemp)"
  npx jest --ci --json --outputFile="$report" "$@" || true
  local counts
  counts="$(node -e '
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const skippedFail = process.env.CI === "true" ? r.numPendingTests : 0;
    console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites + skippedFail, r.numPendingTests);
  ' "$report" 2>/dev/null || echo "0 1 0")"
  rm -f "$report"
  read -r passed failed skipped <<<"$counts"
  echo "$label: $passed passed, $failed failed, $skipped skipped"
  PASSED=$((PASSED + passed))
  FAILED=$((FAILED + failed))
}
