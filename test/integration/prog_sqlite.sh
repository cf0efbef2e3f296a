#!/bin/bash
# Real programs: sqlite3 makes a WAL database on A (the -shm index is a
# shared mapping) and B reads it back after A closed it.
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || ht_skip "sqlite3 missing (apt-get install sqlite3)"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

ht_check "sqlite3 creates a WAL database on A" ht_t sqlite3 "$A/db.sqlite" \
	"PRAGMA journal_mode=WAL;
	 CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
	 WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000)
	 INSERT INTO t(v) SELECT hex(randomblob(40)) FROM c;
	 CREATE INDEX tv ON t(v);"
ht_check "journal mode is wal" bash -c "[ \"\$(timeout 60 sqlite3 '$A/db.sqlite' 'PRAGMA journal_mode;')\" = wal ]"
ht_check "B counts 5000 rows" bash -c "[ \"\$(timeout 60 sqlite3 '$B/db.sqlite' 'SELECT count(*) FROM t;')\" = 5000 ]"
ht_check "B's integrity_check is ok" bash -c "[ \"\$(timeout 60 sqlite3 '$B/db.sqlite' 'PRAGMA integrity_check;')\" = ok ]"
ht_check "B adds rows" ht_t sqlite3 "$B/db.sqlite" "INSERT INTO t(v) VALUES ('from B');"
ht_check "A sees B's row" bash -c "[ \"\$(timeout 60 sqlite3 '$A/db.sqlite' \"SELECT count(*) FROM t WHERE v = 'from B';\")\" = 1 ]"
# A long-lived writer on A while the data goes through the -wal file.
ht_check "a transaction-heavy run on A" ht_t sqlite3 "$A/db.sqlite" \
	"$(for i in $(seq 1 200); do printf "INSERT INTO t(v) VALUES ('tx%s');" "$i"; done)"
ht_check "B counts 5201 rows" bash -c "[ \"\$(timeout 60 sqlite3 '$B/db.sqlite' 'SELECT count(*) FROM t;')\" = 5201 ]"
ht_check "B's integrity_check is still ok" bash -c "[ \"\$(timeout 60 sqlite3 '$B/db.sqlite' 'PRAGMA integrity_check;')\" = ok ]"
ht_done
