#!/bin/bash
# Real programs: gcc compiles and links in /coda, the result runs on both
# clients; make builds a small project and a second make does nothing.
source "$(dirname "$0")/lib.sh"
command -v gcc >/dev/null || ht_skip "gcc missing"
command -v make >/dev/null || ht_skip "make missing"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)

mkdir "$A/proj"
cat >"$A/proj/hello.c" <<'C'
#include <stdio.h>
int main(void) { puts("hello from /coda"); return 0; }
C
ht_check "gcc compiles in A" ht_t gcc -O2 -o "$A/proj/hello" "$A/proj/hello.c"
ht_check "the program runs on A" bash -c "[ \"\$('$A/proj/hello')\" = 'hello from /coda' ]"
ht_check "the program runs on B" bash -c "[ \"\$('$B/proj/hello')\" = 'hello from /coda' ]"

cat >"$A/proj/lib.c" <<'C'
int twice(int x) { return 2 * x; }
C
cat >"$A/proj/main.c" <<'C'
#include <stdio.h>
int twice(int x);
int main(void) { printf("%d\n", twice(21)); return 0; }
C
printf 'prog: main.o lib.o\n\t$(CC) -o $@ main.o lib.o\n%%.o: %%.c\n\t$(CC) -c -o $@ $<\nclean:\n\trm -f prog *.o\n' >"$A/proj/Makefile"
ht_check "make on A" ht_t make -C "$A/proj" prog
ht_check "prog prints 42 on B" bash -c "[ \"\$('$B/proj/prog')\" = 42 ]"
ht_check "a second make (on B) has nothing to do" ht_t make -C "$B/proj" -q prog
# Not a wait on a condition: touch must give lib.c an mtime in a later
# second than lib.o's, or make cannot tell them apart on a file system
# with whole-second timestamps.
sleep 1.1
touch "$A/proj/lib.c"
ht_check "after touching lib.c, B's make -q sees work to do" bash -c "! timeout 60 make -C '$B/proj' -q prog"
ht_check "make on B rebuilds" ht_t make -C "$B/proj" prog
ht_check "make clean on A" ht_t make -C "$A/proj" clean
ht_check "B sees the objects gone" test ! -e "$B/proj/main.o"
ht_done
