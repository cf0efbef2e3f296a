/*
 * front.h - the upcall channels venus serves /coda through.
 *
 * Each front end registers its device fd with V->base, turns upcalls into
 * fsobj operations (fsobj.h) and answers when they complete; it registers
 * its invalidation hooks with fso_set_front().
 */
#ifndef VENUS_FRONT_H
#define VENUS_FRONT_H

/* FUSE (libfuse3 low-level API, fuse.c): mount at mountpoint and serve.
 * 0 or -errno with a message already logged. */
int front_fuse_start(const char *mountpoint);
/* Unmount and release the session; safe to call twice. */
void front_fuse_stop(void);

/* Kernel channel (coda.c): Hesper's module (hesper=1: /dev/hcfs0, fs type
 * "hesper", with the written flag) or the stock coda.ko (hesper=0:
 * /dev/cfs0, fs type "coda").  0 or -errno. */
int front_coda_start(const char *mountpoint, int hesper);
void front_coda_stop(void);

#endif /* VENUS_FRONT_H */
