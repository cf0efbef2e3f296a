#!/bin/bash
# Close-to-open for every close order: when close(2) of the last
# write-capable descriptor returns, another client's next open sees the
# content - two opens closed in either order, a fork's copy closed first
# or last, bash redirections (`cat > f`, builtin echo), and a dup.
source "$(dirname "$0")/lib.sh"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

echo seed >"$A/f"
ht_check "B reads the seed" bash -c "[ \"\$(cat '$B/f')\" = seed ]"

# Python: two opens (O_WRONLY|O_TRUNC and O_RDWR), write on the first,
# close it, then close the second; B reads right after each close(2)
# returns.  Then the same with fork: the child writes and exits, or the
# parent closes first and the child's close is the last.
ht_check "close order, fork and dup with a reader on B" ht_t python3 - "$A/f" "$B/f" <<'PY'
import faulthandler, os, signal, sys, time
faulthandler.register(signal.SIGTERM, all_threads=True)
a, b = sys.argv[1], sys.argv[2]
def readb():
    with open(b, "rb") as f:
        return f.read()
bad = []
def want(tag, data):
    got = readb()
    if got != data:
        bad.append("%s: B read %r..., want %r..." % (tag, got[:20], data[:20]))

for i in range(20):
    data = ("two-fd round %d\n" % i).encode() * (i + 1)
    fd1 = os.open(a, os.O_WRONLY | os.O_TRUNC)
    fd2 = os.open(a, os.O_RDWR)
    os.write(fd1, data)
    if i % 2:
        os.close(fd2); os.close(fd1)
    else:
        os.close(fd1); os.close(fd2)
    want("two opens, round %d" % i, data)

for i in range(6):
    data = ("fork round %d\n" % i).encode() * 100
    fd = os.open(a, os.O_WRONLY | os.O_TRUNC)
    pid = os.fork()
    if pid == 0:
        if i % 2:
            os.write(fd, data)        # the parent closed first
            os._exit(0)
        os._exit(0)                   # child's copy closed before the write
    if i % 2:
        os.close(fd)
        os.waitpid(pid, 0)
    else:
        os.waitpid(pid, 0)
        os.write(fd, data)
        os.close(fd)
    want("fork round %d" % i, data)

# The opener exits while its fork's copy lives on: the copy's close, in
# a process reparented away from the opener, publishes.
data = b"orphan\n" * 1000
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    fd = os.open(a, os.O_WRONLY | os.O_TRUNC)
    opener = os.getpid()
    if os.fork() == 0:
        while os.getppid() == opener:   # until the opener has exited
            time.sleep(0.01)
        os.write(fd, data)
        os.close(fd)
        os.write(w, b"x")
        os._exit(0)
    os._exit(0)                         # the opener's exit closes its fd
os.waitpid(pid, 0)
os.read(r, 1)
want("opener gone", data)

# A dup closed first: the original's close publishes.
data = b"dup\n" * 1000
fd = os.open(a, os.O_WRONLY | os.O_TRUNC)
d = os.dup(fd)
os.close(d)
os.write(fd, data)
os.close(fd)
want("dup", data)
for m in bad:
    print(m, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

head -c 3000000 /dev/urandom >"$HT_TMP/big"
ht_check "bash: cat big > f" ht_t bash -c "cat '$HT_TMP/big' >'$A/f'"
ht_check "B reads all of cat's output at once" cmp "$HT_TMP/big" "$B/f"
ht_check "bash: builtin echo > f" ht_t bash -c "echo builtin-echo >'$A/f'"
ht_check "B reads the echo at once" bash -c "[ \"\$(cat '$B/f')\" = builtin-echo ]"
ht_check "bash: exec 3>f, echo >&3, exec 3>&-" ht_t bash -c "exec 3>'$A/f'; echo via-fd3 >&3; exec 3>&-; [ \"\$(cat '$B/f')\" = via-fd3 ]"
ht_done
