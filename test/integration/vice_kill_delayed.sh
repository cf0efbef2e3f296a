#!/bin/bash
# vice_kill_closes.sh with `vice --sync delayed`: replies no longer wait
# for the flush, yet every close that returned before vice was killed
# with SIGKILL is on vice after the restart (a reply means the change is
# written: SQLite's WAL and the staged file are in the kernel's page
# cache, which a process's death does not take).
HT_VICE_EXTRA="--sync delayed"
# shellcheck source=test/integration/vice_kill_closes.sh
source "$(dirname "$0")/vice_kill_closes.sh"
