#!/bin/bash
# Real programs: git init/add/commit in /coda on A; B sees a consistent
# repository (git log, git fsck) and can commit on top.
source "$(dirname "$0")/lib.sh"
command -v git >/dev/null || ht_skip "git missing"

ht_vice_start
ht_venus_start A
ht_venus_start B
A=$(ht_mnt A)
B=$(ht_mnt B)
export GIT_AUTHOR_NAME=Hesper GIT_AUTHOR_EMAIL=hesper@invalid
export GIT_COMMITTER_NAME=Hesper GIT_COMMITTER_EMAIL=hesper@invalid
export GIT_CONFIG_NOSYSTEM=1 HOME=$HT_TMP
git config --global safe.directory '*'
git config --global init.defaultBranch main

mkdir "$A/repo"
ht_check "git init" ht_t git -C "$A/repo" init -q
for i in 1 2 3; do
	printf 'line %s\n' "$i" >"$A/repo/file$i"
done
mkdir "$A/repo/sub"
cp "$top_srcdir/rpc/hesper.x" "$A/repo/sub/"
ht_check "git add" ht_t git -C "$A/repo" add -A
ht_check "git commit" ht_t git -C "$A/repo" commit -q -m "first"
echo "line 4" >>"$A/repo/file1"
ht_check "git commit -a" ht_t git -C "$A/repo" commit -q -a -m "second"
ht_check "git fsck on B" ht_t git -C "$B/repo" fsck --strict
ht_check "B's log has both commits" bash -c "[ \"\$(timeout 60 git -C '$B/repo' log --format=%s | tr '\n' ' ')\" = 'second first ' ]"
ht_check "B's work tree is clean" bash -c "[ -z \"\$(timeout 60 git -C '$B/repo' status --porcelain)\" ]"
echo "from B" >"$B/repo/fromB"
ht_check "git commit on B" ht_t bash -c "git -C '$B/repo' add fromB && git -C '$B/repo' commit -q -m third"
ht_check "A's log has B's commit" bash -c "[ \"\$(timeout 60 git -C '$A/repo' log -1 --format=%s)\" = third ]"
ht_check "git gc on A" ht_t git -C "$A/repo" gc -q
ht_check "git fsck on B after gc" ht_t git -C "$B/repo" fsck --strict
mkdir "$HT_TMP/clone"
ht_check "git clone out of B" ht_t git clone -q "$B/repo" "$HT_TMP/clone/repo"
ht_check "the clone matches" diff -r -x .git "$A/repo" "$HT_TMP/clone/repo"
ht_done
