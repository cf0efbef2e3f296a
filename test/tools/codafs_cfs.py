#!/usr/bin/env python3
"""Parse cfs output the way Coda 8's python/codafs/cfs.py does.

Coda's own scripts (volmunge, sync_acls) read cfs through that module: it
runs cfs with stderr folded into stdout, treats a non-zero exit as a
failure, decodes the output as ASCII, and picks fields out with regular
expressions.  This is an independent re-statement of those rules (written
from reading cfs.py, not copied), so a test can tell whether Hesper's cfs
still satisfies them.

Usage: codafs_cfs.py CFS getfid PATH | CFS listvol PATH
Prints the parsed fields as JSON.  Exit status 0; 2 when cfs.py would
raise (a failed command: ExecutionError; output it cannot parse:
NotCodaFSError; "Permission denied": PermissionError), with the reason on
stderr.
"""
import json
import re
import subprocess
import sys


class Refused(Exception):
    """What cfs.py would raise: its class name and a message."""


def run(cfs, *args):
    """cfs.py's check_output: stderr merged, exit status checked, ASCII."""
    try:
        out = subprocess.run([cfs, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, check=True).stdout
    except subprocess.CalledProcessError as exc:
        raise Refused(f"ExecutionError: cfs {args[0]} failed "
                      f"(exit {exc.returncode})") from exc
    return out.decode("ascii")


# The fid at the very start of the output: volume.vnode.unique@realm, hex.
FID_AT_START = re.compile(
    r"^FID = ([0-9a-fA-F]+)\.([0-9a-fA-F]+)\.([0-9a-fA-F]+)@(\S+)")
# Anywhere in the output: " volume <hex id> ... named "<name>"".
VOLUME_NAMED = re.compile(r' volume ([0-9a-fA-F]+) .* named "([^"]+)"')


def getfid(cfs, path):
    found = FID_AT_START.match(run(cfs, "getfid", path))
    if not found:
        raise Refused(f"NotCodaFSError: cfs getfid unexpected output on {path}")
    volume, vnode, unique, realm = found.groups()
    return {"volume": volume, "vnode": vnode, "unique": unique, "realm": realm}


def listvol(cfs, path):
    text = run(cfs, "listvol", path)
    if text.endswith(": Permission denied\n"):
        raise Refused(f"PermissionError: cfs listvol permission denied on {path}")
    found = VOLUME_NAMED.search(text)
    if not found:
        raise Refused(f"NotCodaFSError: cfs listvol unexpected output on {path}")
    volume_id, name = found.groups()
    return {"volume_id": volume_id, "name": name}


def main(argv):
    if len(argv) != 4 or argv[2] not in ("getfid", "listvol"):
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 64
    cfs, cmd, path = argv[1], argv[2], argv[3]
    try:
        print(json.dumps((getfid if cmd == "getfid" else listvol)(cfs, path)))
    except Refused as why:
        print(why, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
