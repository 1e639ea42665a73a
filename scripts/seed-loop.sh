#!/usr/bin/env bash
# Runs the end-to-end and fault suites N times, each under a different simulator seed, to show that they do not fail
# by chance. Not a test: it takes a while (a few minutes per run on 2 cores). A run that fails does not stop the loop;
# its log is kept, and the failing tests name their seed, so each failure can be replayed:
#   GUARDRAIL_SIM_SEED=<seed> npx vitest run <file>
#
#   npm run test:seeds                       # 20 runs, seeds from a random start (printed)
#   npm run test:seeds -- --runs 5 --first-seed 1000
#   npm run test:seeds -- --runs 3 test/e2e/faults.test.ts    # only these files
#
# Prints one line per run (seed, result, duration, log file), then "X/N passed" and the median run time.
# Exits 0 only if every run passed.
set -uo pipefail
cd "$(dirname "$0")/.."

runs=20
first_seed=""
logs=""
files=()
while (($#)); do
  case "$1" in
    --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
    --first-seed) first_seed="${2:?--first-seed needs a number}"; shift 2 ;;
    --logs) logs="${2:?--logs needs a directory}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "seed-loop: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then echo "seed-loop: --runs must be a positive whole number, got \"$runs\"" >&2; exit 2; fi
if [[ -z "$first_seed" ]]; then first_seed=$(( (RANDOM * 32768 + RANDOM) % 1000000000 )); fi
if ! [[ "$first_seed" =~ ^[0-9]+$ ]] || (( first_seed + runs > 4294967296 )); then
  echo "seed-loop: --first-seed must be a whole number from 0 to $(( 4294967296 - runs )), got \"$first_seed\"" >&2; exit 2
fi

# The suites: every end-to-end test (the fault suite is among them), and the tests whose simulator injects faults
# (throttling, latency, denied roles, failing stacks and drift, suspended accounts) or whose seed decides what they see.
if ((${#files[@]} == 0)); then
  files=(
    test/e2e
    test/aws/retry.test.ts test/aws/credentials.test.ts
    test/sim/test/seed-clock.test.ts test/sim/test/ec2.test.ts test/sim/test/sts.test.ts
    test/sim/test/organizations.test.ts test/sim/test/cloudtrail.test.ts test/sim/test/events.test.ts
    test/sim/test/lambda.test.ts test/sim/test/sns.test.ts test/sim/test/main.test.ts
    test/sim/test/cloudformation-failure-drift.test.ts test/sim/test/loop.test.ts
  )
fi

logs="${logs:-$(mktemp -d "${TMPDIR:-/tmp}/guardrail-seeds-XXXXXX")}"
mkdir -p "$logs"

echo "seed-loop: building once (npm run build)"
if ! npm run --silent build >"$logs/build.log" 2>&1; then
  echo "seed-loop: the build failed, see $logs/build.log" >&2
  exit 2
fi
echo "seed-loop: $runs runs, seeds $first_seed..$(( first_seed + runs - 1 )), logs in $logs"
echo "seed-loop: files: ${files[*]}"

passed=0
durations=()
failed_seeds=()
for ((i = 0; i < runs; i++)); do
  seed=$(( first_seed + i ))
  log="$logs/run-$(printf '%02d' $((i + 1)))-seed-$seed.log"
  started=$(date +%s)
  GUARDRAIL_SIM_SEED="$seed" npx vitest run "${files[@]}" >"$log" 2>&1
  code=$?
  seconds=$(( $(date +%s) - started ))
  durations+=("$seconds")
  if ((code == 0)); then
    passed=$((passed + 1))
    result="passed"
  else
    result="FAILED (exit $code)"
    failed_seeds+=("$seed")
  fi
  summary=$(sed -E 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -1 | sed -E 's/^ +//')
  printf 'run %2d/%d  seed %-10s %-16s %5ss  %s  %s\n' $((i + 1)) "$runs" "$seed" "$result" "$seconds" "${summary:-}" "$log"
  if ((code != 0)); then
    # the failing tests, each with the seed note the setup file appends to its message
    sed -E 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '(FAIL|simulator seed)' | sed -E 's/^/          /' | head -20
  fi
done

median=$(printf '%s\n' "${durations[@]}" | sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
echo "$passed/$runs passed (median run ${median}s; seeds $first_seed..$(( first_seed + runs - 1 )))"
if ((${#failed_seeds[@]})); then
  echo "failed under seeds: ${failed_seeds[*]}"
  exit 1
fi
