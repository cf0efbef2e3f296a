/*
 * cfs.h - what cfs.c shares with the commands cfs runs itself.
 */
#ifndef TOOLS_CFS_H
#define TOOLS_CFS_H

/* cfs examineclosure / replayclosure (cmd: the full name) with argc
 * words of arguments; sock is venus's control socket (replay asks it for
 * the mount point); json: one JSON object {"closures":[{"closure",
 * "members":[...],"ok"}]} instead of tar's listing.  Returns the exit
 * status: 0, or 255 (Coda's exit(-1)) on a failure or a usage error
 * (cfs_closure.c). */
int cfs_closure(const char *cmd, int argc, char **argv, const char *sock, int json);

#endif /* TOOLS_CFS_H */
