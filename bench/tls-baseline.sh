#!/bin/bash
# bench/tls-baseline.sh - loopback TLS 1.3 throughput on this machine: the
# ceiling for bulk stores and fetches (issue 11, target 1).  Not part of
# `make check`; needs openssl(1) and python3 (its ssl module is OpenSSL).
#
#   bench/tls-baseline.sh [SIZE_MB]      (default 1024)
#
# A receiver process (TLS 1.3 only, a fresh P-256 self-signed certificate,
# as vice makes) reads SIZE_MB MiB that a sender process writes 1 MiB at a
# time over 127.0.0.1, both single-threaded like vice and venus.  The time
# runs from the sender's connect until the receiver has read the last
# byte (handshake included: a few ms).  Prints seconds and MiB/s, and the
# CPU seconds (user+system) of each end, which a busy machine disturbs
# less than the wall time (bench/bulk-bench.sh prints the same).
set -euo pipefail
SIZE_MB=${1:-${SIZE_MB:-1024}}
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$D/k.pem" -out "$D/c.pem" -days 1 -subj /CN=localhost 2>/dev/null
exec python3 - "$D" "$SIZE_MB" <<'PY'
import os, resource, socket, ssl, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
d, mb = sys.argv[1], int(sys.argv[2])
total = mb << 20
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
port = ls.getsockname()[1]
r, w = os.pipe()
pid = os.fork()
if pid == 0:                       # the sender
    os.close(r)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    t0 = time.time(); c0 = cpu()
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    buf = bytes(1 << 20)
    for _ in range(mb):
        s.sendall(buf)
    s.recv(1)                      # the receiver has it all
    os.write(w, ("%r %r" % (t0, cpu() - c0)).encode()); os.close(w)
    s.close(); os._exit(0)
os.close(w)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(d + "/c.pem", d + "/k.pem")
c, _ = ls.accept()
c0 = cpu()
c = ctx.wrap_socket(c, server_side=True)
buf = bytearray(1 << 20); got = 0
while got < total:
    n = c.recv_into(buf)
    if not n: break
    got += n
t1 = time.time(); rcpu = cpu() - c0
c.sendall(b"k")
t0, scpu = map(float, os.read(r, 100).split()); os.waitpid(pid, 0)
print("tls-baseline   %8.2f s %8.1f MiB/s (%d MiB received of %d, TLS 1.3, %s)"
      % (t1 - t0, got / (1 << 20) / (t1 - t0), got >> 20, mb, ssl.OPENSSL_VERSION))
print("    cpu sender   %6.2f s\n    cpu receiver %6.2f s" % (scpu, rcpu))
PY
