#!/bin/bash
# test/fuzz/run.sh - make check's fuzz smoke run: builds the libFuzzer
# targets with clang (make fuzz-build) and runs each for FUZZ_CHECK_SECONDS
# (default 15) on its committed seed corpus.  A crash, leak or sanitizer
# report fails the test and prints the reproducer's path; rerun it with
#     test/fuzz/<target> <reproducer>
# Skips (77) without clang, and in the --enable-sanitizers build, where it
# would only repeat the werror build's run (the targets always build with
# ASan and UBSan, whatever configure was given).  `make fuzz` runs the
# targets longer (FUZZ_SECONDS, default 300).
set -u

top_builddir=${top_builddir:-$PWD}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${FUZZ_CHECK_SECONDS:-15}
TARGETS="fuzz_record fuzz_xdr fuzz_call fuzz_auth fuzz_ctl"

skip() {
	echo "SKIP: $*"
	exit 77
}

mk=$top_builddir/Makefile
[ -f "$mk" ] || skip "no $mk (run from the build directory)"
fuzz_cc=$(sed -n 's/^FUZZ_CC = //p' "$mk")
san=$(sed -n 's/^SAN_CFLAGS = //p' "$mk")
if [ -z "$fuzz_cc" ] || [ "$fuzz_cc" = no ]; then
	skip "clang not found at configure time (apt-get install clang)"
fi
if [ -n "$san" ] && [ -z "${FUZZ_CHECK_ALWAYS:-}" ]; then
	skip "sanitizer build: the werror build's run covers the fuzz targets"
fi

log=$top_builddir/test/fuzz/build.log
mkdir -p "$top_builddir/test/fuzz"
# clang without its runtime libraries (Debian's libclang-rt-N-dev, only
# recommended by clang) cannot link a fuzzer: a reason to skip, not a bug.
probe=$top_builddir/test/fuzz/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
	'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }' >"$probe.c"
if ! "$fuzz_cc" -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" >"$probe.log" 2>&1; then
	skip "$fuzz_cc cannot link a libFuzzer target (apt-get install libclang-rt-14-dev): $(head -n 1 "$probe.log")"
fi
rm -f "$probe" "$probe.c" "$probe.log"
if ! ${MAKE:-make} -C "$top_builddir" fuzz-build >"$log" 2>&1; then
	tail -n 40 "$log"
	echo "FAIL: building the fuzz targets (log: $log)"
	exit 1
fi

work=$top_builddir/test/fuzz/check
rm -rf "$work"
rc=0
for t in $TARGETS; do
	mkdir -p "$work/$t"
	dict=()
	[ -f "$top_srcdir/test/fuzz/$t.dict" ] &&
		dict=(-dict="$top_srcdir/test/fuzz/$t.dict")
	# New inputs go to a scratch directory; the seeds stay as committed.
	# -rss_limit_mb: the targets must not need more (fuzz_call's vice
	# included); -timeout: a slow input is a bug too.
	# vice's own log lines (a refused exchange each) are left out.
	"$top_builddir/test/fuzz/$t" "${dict[@]}" -max_total_time="$secs" \
		-rss_limit_mb=1024 -timeout=20 -print_final_stats=1 \
		-artifact_prefix="$work/$t-" "$work/$t" \
		"$top_srcdir/test/fuzz/corpus/$t" 2>&1 |
		grep -v '^vice: ' >"$work/$t.log"
	st=${PIPESTATUS[0]}
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	if [ "$st" -ne 0 ]; then
		rc=1
		grep -E 'ERROR|SUMMARY|^    #[0-9]' "$work/$t.log" | head -n 30
		for a in "$work/$t"-*; do
			[ -e "$a" ] && echo "FAIL: $t: reproducer $a (rerun: $top_builddir/test/fuzz/$t $a; log $work/$t.log)"
		done
		echo "FAIL: $t exited $st"
	else
		echo "PASS: $t: ${execs:-?} inputs in ${secs}s, no crash"
	fi
done
exit $rc
