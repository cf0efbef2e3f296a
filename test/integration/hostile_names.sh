#!/bin/bash
# Hostile names: 256-byte names fail with ENAMETOOLONG, 255 bytes work;
# odd bytes in names survive the round trip (vice, the second client, cfs).
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

python3 - "$A" "$B" <<'PY' || ht_fail "name checks through the mount failed (see above)"
import errno, os, sys
a, b = sys.argv[1], sys.argv[2]
bad = 0
def expect_errno(what, fn, codes):
    global bad
    try:
        fn()
    except OSError as e:
        if e.errno in codes:
            print("ok: %s -> %s" % (what, errno.errorcode[e.errno]))
            return
        print("FAIL: %s -> %s, expected %s" % (what, errno.errorcode.get(e.errno, e.errno),
              "/".join(errno.errorcode[c] for c in codes)))
        bad += 1
        return
    print("FAIL: %s succeeded" % what)
    bad += 1

long256 = "n" * 256
long255 = "m" * 255
expect_errno("create 256-byte name", lambda: os.close(os.open(os.path.join(a, long256), os.O_CREAT | os.O_WRONLY, 0o644)), (errno.ENAMETOOLONG,))
expect_errno("mkdir 256-byte name", lambda: os.mkdir(os.path.join(a, long256)), (errno.ENAMETOOLONG,))
expect_errno("stat 256-byte name", lambda: os.stat(os.path.join(a, long256)), (errno.ENAMETOOLONG, errno.ENOENT))
expect_errno("stat 1000-byte name", lambda: os.stat(os.path.join(a, "x" * 1000)), (errno.ENAMETOOLONG, errno.ENOENT))
expect_errno("symlink named 256 bytes", lambda: os.symlink("t", os.path.join(a, long256)), (errno.ENAMETOOLONG,))
open(os.path.join(a, "plain"), "w").write("p")
expect_errno("rename to 256 bytes", lambda: os.rename(os.path.join(a, "plain"), os.path.join(a, long256)), (errno.ENAMETOOLONG,))
expect_errno("link to 256 bytes", lambda: os.link(os.path.join(a, "plain"), os.path.join(a, long256)), (errno.ENAMETOOLONG,))

# 255 bytes is fine, and visible on the other client.
with open(os.path.join(a, long255), "w") as f:
    f.write("max")
if open(os.path.join(b, long255)).read() != "max":
    print("FAIL: 255-byte name not readable on B"); bad += 1
else:
    print("ok: 255-byte name round trip")

# Odd but legal names.
names = ["with space", "new\nline", "tab\there", "percent%41", "%", "-dash",
         "quote'\"", "dots...", ".hidden", "\u00e9t\u00e9", "back\\slash", "*?[]",
         "\x01ctrl\x7f"]
for n in names:
    with open(os.path.join(a, n), "w") as f:
        f.write(n)
for n in names:
    try:
        got = open(os.path.join(b, n)).read()
    except OSError as e:
        print("FAIL: B cannot open %r: %s" % (n, e)); bad += 1; continue
    if got != n:
        print("FAIL: B read %r for %r" % (got, n)); bad += 1
listing = set(os.listdir(b))
for n in names:
    if n not in listing:
        print("FAIL: %r missing from B's listing" % n); bad += 1
# A non-UTF-8 byte name.
raw = os.path.join(os.fsencode(a), b"bin\xff\xfename")
with open(raw, "wb") as f:
    f.write(b"raw")
if b"bin\xff\xfename" not in os.listdir(os.fsencode(b)):
    print("FAIL: non-UTF-8 name missing on B"); bad += 1
# '.' and '..' can't be created; lookups of them behave.
expect_errno("mkdir ..", lambda: os.mkdir(os.path.join(a, "..")), (errno.EEXIST,))
expect_errno("mkdir .", lambda: os.mkdir(os.path.join(a, ".")), (errno.EEXIST,))
if os.stat(os.path.join(a, "..")).st_ino == 0:
    print("FAIL: .. has inode 0"); bad += 1
print("name checks: %d failure(s)" % bad)
sys.exit(1 if bad else 0)
PY

ht_check "venus A still runs" ht_venus_alive A
ht_check "venus B still runs" ht_venus_alive B
ht_check "vice still runs" kill -0 "$HT_VICE_PID"
# cfs escapes odd names on the control socket.
for n in "with space" "percent%41" $'new\nline'; do
	ht_check "cfs getfid on '$n'" bash -c 'HESPER_CTL="$1" timeout 30 "$2" getfid "$3" | grep -q "^FID = "' _ "$(ht_ctl A)" "$CFS" "$A/$n"
done
rc=0
ht_cfs A getfid "$A/$(printf 'n%.0s' $(seq 256))" >/dev/null 2>&1 || rc=$?
ht_check "cfs getfid on a 256-byte name fails with exit 1 (got $rc)" test "$rc" -eq 1
ht_done
