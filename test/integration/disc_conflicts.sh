#!/bin/bash
# Conflicts keep both sides' data and cfs shows them.  A, disconnected,
# and B, connected, change the same objects:
#   f_uu  update/update  A modifies, B modifies
#   f_ur  update/remove  A modifies, B removes
#   f_ru  remove/update  A removes,  B modifies
#   f_cc  create/create  both create it, with different contents
# plus records that conflict with nothing (before and after them in A's
# log).  After the reconnect `cfs fr` on A fails with "Reintegration failed
# due to a conflict" (exit 1); the independent records are applied; `cfs
# conflicts` names each path with its kind and a local version file with
# A's data; the server version (B's) is what B and A read.  Then
# discardlocal (server wins), preservelocal (local wins) and
# discardlocal -all resolve them: no conflicts, nothing pending, A and B
# agree.
HT_TIMEOUT=${HT_TIMEOUT:-240}
source "$(dirname "$0")/disc_lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
CONFDIR=$(ht_cachedir A)/conflicts

for f in f_uu f_ur f_ru; do
	printf 'base %s\n' "$f" >"$A/$f"
done
mkdir "$A/dir"
for f in f_uu f_ur f_ru; do
	ht_check "B reads the base of $f" ht_has_content "$B/$f" "base $f"
done
ht_check "B lists dir" test -d "$B/dir"

# ---- A offline, B connected -------------------------------------------------

ht_check "cfs disconnect on A" ht_cfs A disconnect
ht_check "A is Disconnected" test "$(dt_state A)" = Disconnected
# A's log: an independent create, the four conflicting mutations, an
# independent change after them (in a directory, to check parents too).
dt_sh "A's offline changes succeed" "
	printf 'independent 1\n' >'$A/indep1'
	printf \"A's uu\n\" >'$A/f_uu'
	printf \"A's ur\n\" >'$A/f_ur'
	rm '$A/f_ru'
	printf \"A's cc\n\" >'$A/f_cc'
	printf 'independent 2\n' >'$A/dir/indep2'
"
n=$(dt_pending A)
ht_check "A has CML entries pending (N=$n) > 0" test "$n" -gt 0
printf "B's uu\n" >"$B/f_uu"
rm "$B/f_ur"
printf "B's ru\n" >"$B/f_ru"
printf "B's cc\n" >"$B/f_cc"
ht_check "B did not see A's offline create of indep1" test ! -e "$B/indep1"

# ---- reconnect: the conflicts -------------------------------------------------

ht_check "cfs reconnect on A" ht_cfs A reconnect
dt_fr A
printf '%s\n' "$DT_FR_OUT" | sed 's/^/    /'
ht_check "cfs fr on A exits 1 on a conflict (got $DT_FR_RC)" test "$DT_FR_RC" -eq 1
ht_check "cfs fr prints 'Reintegration failed due to a conflict'" \
	grep -q 'Reintegration failed due to a conflict' <<<"$DT_FR_OUT"

n=$(dt_pending A)
ht_check "nothing is dropped: the conflicting records stay in A's CML ($n pending > 0)" test "$n" -gt 0
ht_check "B sees A's independent create before the conflicts (indep1)" \
	ht_has_content "$B/indep1" "independent 1"
ht_check "B sees A's independent create after the conflicts (dir/indep2)" \
	ht_has_content "$B/dir/indep2" "independent 2"

lv=$(dt_lv A)
printf '%s\n' "$lv" | sed 's/^/    /'
ht_check "cfs lv on A says '*** There are pending conflicts in this volume ***'" \
	grep -qF '*** There are pending conflicts in this volume ***' <<<"$lv"
ht_check "cfs --json lv on A counts 4 conflicts" test "$(dt_conflicts_n A)" -eq 4
ht_check "cfs gf of a file in conflict has Coda's inconsistency flag [ 0x1 ]" \
	bash -c 'HESPER_CTL="$1" "$2" gf "$3" | grep -q "\[ 0x1 \]$"' _ "$(ht_ctl A)" "$CFS" "$A/f_uu"

# get_conflicts: `cfs conflicts` of A in $cl, its exit status in $clrc.
get_conflicts() {
	clrc=0
	cl=$(ht_cfs A conflicts 2>&1) || clrc=$?
	printf '%s\n' "$cl" | sed 's/^/    /'
	if [ -n "$cl" ]; then
		ht_check "every line of cfs conflicts names a path $A/NAME" \
			eval '! grep -Ev "^$A/[^/:]+: [a-z/]+ conflict; local version: " <<<"$cl"'
	fi
}
get_conflicts
ht_check "cfs conflicts exits 0 (got $clrc)" test "$clrc" -eq 0
ht_check "cfs conflicts prints 4 lines" test "$(grep -c . <<<"$cl")" -eq 4
ht_check "cfs --json conflicts prints valid JSON" \
	bash -c "HESPER_CTL='$(ht_ctl A)' timeout 60 '$CFS' --json conflicts | python3 -c 'import json,sys; json.load(sys.stdin)'"

# conflict_line NAME: the line of `cfs conflicts` for NAME.
conflict_line() { { grep -E "(^|/)$1: [a-z/]+ conflict; local version: " <<<"$cl" || true; } | head -n 1; }
# local_file NAME: the local version file named there.
local_file() { conflict_line "$1" | sed 's/.*; local version: //'; }

under_dir() {
	case "$(realpath -m -- "$1")" in "$(realpath -m -- "$2")"/?*) return 0 ;; esac
	return 1
}
declare -A KIND=([f_uu]=update/update [f_ur]=update/remove [f_ru]=remove/update [f_cc]=create/create)
for f in f_uu f_ur f_ru f_cc; do
	ht_check "cfs conflicts lists $f as '${KIND[$f]} conflict'" \
		grep -Eq "(^|/)$f: ${KIND[$f]} conflict; local version: ." <<<"$cl"
	lf=$(local_file "$f")
	if [ -n "$lf" ]; then
		ht_check "$f: the local version file ($lf) is under <cachedir>/conflicts/" \
			under_dir "$lf" "$CONFDIR"
	fi
done
for f in f_uu f_ur f_cc; do
	lf=$(local_file "$f")
	if [ -z "$lf" ]; then
		ht_fail "$f: no local version file named by cfs conflicts"
		continue
	fi
	ht_check "$f: the local version file has A's content" ht_has_content "$lf" "A's ${f#f_}"
done
# The server's versions, through B and through A.
ht_check "f_uu: B reads B's content" ht_has_content "$B/f_uu" "B's uu"
ht_check "f_uu: A reads the server's (B's) content" ht_has_content "$A/f_uu" "B's uu"
ht_check "f_ur: B's remove stands on B" test ! -e "$B/f_ur"
ht_check "f_ur: A shows the server's version (removed)" test ! -e "$A/f_ur"
ht_check "f_ru: B reads B's content" ht_has_content "$B/f_ru" "B's ru"
ht_check "f_ru: A reads the server's (B's) content" ht_has_content "$A/f_ru" "B's ru"
ht_check "f_cc: B reads B's content" ht_has_content "$B/f_cc" "B's cc"
ht_check "f_cc: A reads the server's (B's) content" ht_has_content "$A/f_cc" "B's cc"
ht_check "A's independent files are still there on A" ht_has_content "$A/dir/indep2" "independent 2"

# listlocal / checklocal name the object's local mutations.
rc=0
out=$(ht_cfs A listlocal "$A/f_uu" 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/    /'
ht_check "cfs listlocal $A/f_uu exits 0 (got $rc) and prints its local mutation(s)" \
	test "$rc" -eq 0 -a -n "$out"
rc=0
out=$(ht_cfs A checklocal "$A/f_uu" 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/    /'
ht_check "cfs checklocal $A/f_uu is a known command (exit $rc)" \
	eval '! grep -q "Unknown command" <<<"$out"'

# ---- resolve ------------------------------------------------------------------

# discardlocal: the server version wins.
ht_check "cfs discardlocal $A/f_uu" ht_cfs A discardlocal "$A/f_uu"
get_conflicts
ht_check "after discardlocal, cfs conflicts exits 0 and f_uu is no longer listed" \
	test "$clrc" -eq 0 -a -z "$(conflict_line f_uu)"
ht_check "after discardlocal, 3 conflicts remain listed" test "$(grep -c . <<<"$cl")" -eq 3
ht_check "f_uu: A reads the server's content after discardlocal" ht_has_content "$A/f_uu" "B's uu"
ht_check "f_uu: B still reads its content" ht_has_content "$B/f_uu" "B's uu"

# preservelocal: the local version wins, B then sees it.
ht_check "cfs preservelocal $A/f_cc" ht_cfs A preservelocal "$A/f_cc"
get_conflicts
ht_check "after preservelocal, cfs conflicts exits 0 and f_cc is no longer listed" \
	test "$clrc" -eq 0 -a -z "$(conflict_line f_cc)"
ht_check "after preservelocal, 2 conflicts remain listed" test "$(grep -c . <<<"$cl")" -eq 2
ht_check "f_cc: A reads its own content after preservelocal" ht_has_content "$A/f_cc" "A's cc"
ht_check_fresh "f_cc: B reads A's content after preservelocal" "$B/f_cc" "A's cc"

# discardlocal -all: the rest.
ht_check "cfs discardlocal -all" ht_cfs A discardlocal -all
get_conflicts
ht_check "cfs conflicts exits 0 and prints nothing after discardlocal -all" \
	test "$clrc" -eq 0 -a -z "$cl"
lv=$(dt_lv A)
ht_check "cfs lv on A: no CML entries pending (no CML line)" \
	eval '! grep -q "CML entries pending for reintegration" <<<"$lv"'
ht_check "cfs lv on A: no pending conflicts line" eval '! grep -qF "pending conflicts" <<<"$lv"'
ht_check "A is Connected" test "$(dt_state A)" = Connected
ht_check "f_ur: gone on A after discardlocal -all" test ! -e "$A/f_ur"
ht_check "f_ur: gone on B" test ! -e "$B/f_ur"
ht_check "f_ru: A reads B's content after discardlocal -all" ht_has_content "$A/f_ru" "B's ru"
ht_check "f_ru: B reads B's content" ht_has_content "$B/f_ru" "B's ru"
ht_check "A and B list the same tree" dt_same_listing "$A" "$B"
ht_check "A and B have the same contents" dt_same_tree "$A" "$B"
dt_fr A
ht_check "a later cfs fr on A succeeds (got $DT_FR_RC)" test "$DT_FR_RC" -eq 0

# Life goes on: a new write from A reaches B.
printf 'after the repair\n' >"$A/f_uu"
ht_check_fresh "B sees A's write after the repair" "$B/f_uu" "after the repair"
ht_done
