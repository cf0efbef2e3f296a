/*
 * cfs_watch.h - "cfs watch", the live view of venus (tools/cfs_watch.c,
 * doc/cfs.1), kept out of cfs.c's request/reply path.
 */
#ifndef TOOLS_CFS_WATCH_H
#define TOOLS_CFS_WATCH_H

/* Is cfs's command line (argc, argv as main got them) a "watch" command?
 * Options before the command word are skipped as cfs parses them.  1 or 0. */
int cfs_watch_wanted(int argc, char **argv);

/* Run "cfs watch" with cfs's whole command line.  Returns the exit status:
 * 0, or 1 after a message. */
int cfs_watch_main(int argc, char **argv);

#endif /* TOOLS_CFS_WATCH_H */
