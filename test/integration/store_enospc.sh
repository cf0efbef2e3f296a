#!/bin/bash
# A store that fails on a full vice (ENOSPC) leaves vice's previous
# version, keeps the new one in the writer's cache, and the error reaches
# the close that published it; a copy's close (dup, fork, bash
# redirection) publishes nothing on its own, so the empty file between
# open(O_TRUNC) and the write never replaces the server's content.
source "$(dirname "$0")/lib.sh"

VROOT=$VICE_ROOT/root
mkdir -p "$VROOT"
mount -t tmpfs -o size=16m tmpfs "$VROOT" || ht_skip "cannot mount a tmpfs for vice's root"
# Detach it before lib.sh's cleanup looks for leftover mounts.
trap 'r=$?; umount -l "$VROOT" 2>/dev/null; (exit $r); ht_cleanup' EXIT

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

for f in f1 f2 f3 f4; do echo "OLD $f" >"$A/$f"; done
ht_check "B reads the old versions" bash -c "[ \"\$(cat '$B/f1' '$B/f4')\" = \"\$(printf 'OLD f1\nOLD f4')\" ]"

# Leave about 1 MiB free on vice's disk (incompressible data).
avail=$(df --output=avail -B1 "$VROOT" | tail -n 1)
fill=$((avail - 1024 * 1024))
[ "$fill" -gt 0 ] || ht_hard "tmpfs too small ($avail bytes free)"
head -c "$fill" /dev/urandom >"$A/filler"
ht_note "vice's disk: $(df --output=avail -B1 "$VROOT" | tail -n 1) bytes free"
head -c 3000000 /dev/urandom >"$HT_TMP/big"

# bash: the child opens f O_TRUNC, dup2s it to 1 and closes the original
# (a copy's close), then cat writes and exits.
ht_check "cat big > f1 fails (write error at close)" bash -c "! cat '$HT_TMP/big' >'$A/f1' 2>/dev/null"
ht_check "B still reads the old f1" bash -c "[ \"\$(cat '$B/f1')\" = 'OLD f1' ]"
ht_check "A keeps the new f1 in its cache" cmp "$HT_TMP/big" "$A/f1"

# Python: open(O_TRUNC), fork; the last close gets ENOSPC, the copy's
# close nothing.
ht_check "fork: the last close gets ENOSPC, the copy's close 0" ht_t python3 - "$A/f2" "$A/f3" "$HT_TMP/big" <<'PY'
import errno, os, sys
f2, f3, big = sys.argv[1], sys.argv[2], open(sys.argv[3], "rb").read()
def last_close(fd):
    try:
        os.close(fd)
    except OSError as e:
        return e.errno
    return 0
# The child writes and exits first; the parent's close is the last.
fd = os.open(f2, os.O_WRONLY | os.O_TRUNC)
pid = os.fork()
if pid == 0:
    os.write(fd, big)
    os._exit(last_close(fd))
_, st = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(st) == 0, "child's close: %d" % os.waitstatus_to_exitcode(st)
e = last_close(fd)
assert e == errno.ENOSPC, "parent's last close: %s" % os.strerror(e) if e else "parent's close: 0"
# The parent closes first; the child writes, and its close is the last.
fd = os.open(f3, os.O_WRONLY | os.O_TRUNC)
pid = os.fork()
if pid == 0:
    os.write(fd, big)
    os._exit(last_close(fd))
assert last_close(fd) == 0, "parent's early close"
_, st = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(st)
assert code == errno.ENOSPC, "child's last close: %d" % code
PY
ht_check "B still reads the old f2 and f3" bash -c "[ \"\$(cat '$B/f2' '$B/f3')\" = \"\$(printf 'OLD f2\nOLD f3')\" ]"
ht_check "A keeps the new f2 and f3" bash -c "cmp '$HT_TMP/big' '$A/f2' && cmp '$HT_TMP/big' '$A/f3'"

# A builtin's redirection: bash's restoring dup2 does the last close and
# drops its error (dup2 reports none), but nothing is lost either.
ht_check "builtin printf > f4 (exit status not asserted)" ht_t bash -c "
	big=\$(base64 -w0 '$HT_TMP/big'); printf '%s' \"\$big\" >'$A/f4' || true"
ht_check "B still reads the old f4" bash -c "[ \"\$(cat '$B/f4')\" = 'OLD f4' ]"
ht_check "A keeps the new f4" bash -c "[ \"\$(base64 -w0 '$HT_TMP/big')\" = \"\$(cat '$A/f4')\" ]"

# Room again (a larger tmpfs: rm on a full vice is another matter): the
# next close stores.
mount -o remount,size=64m "$VROOT"
ht_check "rewriting f1 after space was freed stores it" ht_t bash -c "cat '$HT_TMP/big' >'$A/f1'"
ht_check "B reads the new f1" cmp "$HT_TMP/big" "$B/f1"
ht_check "a close with nothing new stores what failed before (f2)" ht_t bash -c "exec 3>>'$A/f2'; exec 3>&-"
ht_check "B reads the new f2" cmp "$HT_TMP/big" "$B/f2"
ht_done
