#!/bin/bash
# scripts/test.sh - the whole test suite, as CI runs it (as root, Debian 12).
#
#   1. installs missing Debian packages (scripts/deps.sh);
#   2. builds in build-test/ with --enable-werror and runs `make check`
#      (unit, integration and kernel-in-qemu tests);
#   3. builds in build-asan/ with --enable-sanitizers (ASan + UBSan) and
#      runs `make check` again;
#   4. prints the log of every failing test and ends with one line
#      "N passed, N failed[, N skipped]" summed over both runs.
# Exit status: 0 if nothing failed, 1 otherwise.
#
# Environment: HESPER_TEST_JOBS (make -j, default: number of CPUs),
# HESPER_TEST_RUNS ("werror asan", the default, or one of them),
# HESPER_SKIP_DEPS=1 to skip the package check.
set -euo pipefail

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/deps.sh
source "$SRCDIR/scripts/deps.sh"

JOBS=${HESPER_TEST_JOBS:-$(nproc)}
RUNS=${HESPER_TEST_RUNS:-werror asan}
PASSED=0
FAILED=0
SKIPPED=0
FAILED_NAMES=()

if [ -z "${HESPER_SKIP_DEPS:-}" ]; then
	hs_require_root "scripts/test.sh"
	hs_install_deps "$SRCDIR"
fi

# The demo workload's upstream tarball, so tests that build libxcrypt in
# /coda need no network; harmless if it fails.
hs_fetch_xcrypt_aux >/dev/null 2>&1 || hs_log "could not fetch libxcrypt's source package (continuing)"

hs_log "autoreconf in $SRCDIR"
(cd "$SRCDIR" && autoreconf -fi) >"$SRCDIR/autoreconf.log" 2>&1 || {
	cat "$SRCDIR/autoreconf.log" >&2
	hs_die "autoreconf failed"
}

# count_results BUILDDIR: add the .trs results of BUILDDIR to the totals.
count_results() {
	local dir=$1 trs res name
	while IFS= read -r -d '' trs; do
		name=${trs#"$dir"/}
		name=${name%.trs}
		while IFS= read -r res; do
			case $res in
			PASS | XFAIL) PASSED=$((PASSED + 1)) ;;
			SKIP) SKIPPED=$((SKIPPED + 1)) ;;
			FAIL | ERROR | XPASS)
				FAILED=$((FAILED + 1))
				FAILED_NAMES+=("$(basename "$dir"): $name ($res)")
				;;
			esac
		done < <(sed -n 's/^:test-result: *\([A-Z]*\).*/\1/p' "$trs")
	done < <(find "$dir" -name '*.trs' -print0 | sort -z)
}

# print_failures BUILDDIR: the log of each failed test.
print_failures() {
	local dir=$1 trs log
	while IFS= read -r -d '' trs; do
		if grep -qE '^:test-result: *(FAIL|ERROR|XPASS)' "$trs"; then
			log=${trs%.trs}.log
			printf '\n===== FAILED (%s): %s =====\n' "$(basename "$dir")" "${log#"$dir"/}"
			if [ -f "$log" ]; then
				tail -n 200 "$log"
			fi
		fi
	done < <(find "$dir" -name '*.trs' -print0 | sort -z)
}

# run_suite NAME CONFIGURE-ARGS...
run_suite() {
	local name=$1 dir rc=0
	shift
	dir=$SRCDIR/build-$name
	hs_log "[$name] configure $* in $dir"
	rm -rf "$dir"
	mkdir -p "$dir"
	# A relative path to configure: rpcgen writes the path it was given
	# into hesper_xdr.c's #include, and only a relative one resolves.
	if ! (cd "$dir" && ../configure "$@") >"$dir/configure.out" 2>&1; then
		tail -n 40 "$dir/configure.out"
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$name: configure")
		return 0
	fi
	hs_log "[$name] make -j$JOBS"
	if ! make -C "$dir" -j"$JOBS" >"$dir/make.out" 2>&1; then
		printf '\n===== FAILED (%s): build =====\n' "$name"
		grep -E 'error|Error' "$dir/make.out" | head -n 60 || true
		tail -n 40 "$dir/make.out"
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$name: build")
		return 0
	fi
	hs_log "[$name] make check -j$JOBS"
	make -C "$dir" -j"$JOBS" -k check >"$dir/check.out" 2>&1 </dev/null || rc=$?
	grep -E '^(PASS|FAIL|XFAIL|XPASS|SKIP|ERROR):' "$dir/check.out" || true
	local before=$FAILED
	count_results "$dir"
	if [ "$rc" -ne 0 ] && [ "$FAILED" -eq "$before" ]; then
		# make check failed before or besides running tests (a check
		# program that does not build, ...).
		printf '\n===== FAILED (%s): make check exited %s =====\n' "$name" "$rc"
		tail -n 60 "$dir/check.out"
		FAILED=$((FAILED + 1))
		FAILED_NAMES+=("$name: make check")
	fi
	print_failures "$dir"
}

for run in $RUNS; do
	case $run in
	werror) run_suite test --enable-werror ;;
	asan) run_suite asan --enable-werror --enable-sanitizers ;;
	*) hs_die "unknown run '$run' in HESPER_TEST_RUNS" ;;
	esac
done

if [ "${#FAILED_NAMES[@]}" -gt 0 ]; then
	printf '\nFailed:\n'
	printf '  %s\n' "${FAILED_NAMES[@]}"
fi
if [ "$((PASSED + FAILED))" -eq 0 ]; then
	printf 'no test ran\n'
	FAILED=1
fi
line="$PASSED passed, $FAILED failed"
if [ "$SKIPPED" -gt 0 ]; then
	line="$line, $SKIPPED skipped"
fi
printf '%s\n' "$line"
[ "$FAILED" -eq 0 ]
