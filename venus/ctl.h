/*
 * ctl.h - the control socket cfs and hoard talk to.
 *
 * A Unix stream socket (cfg.ctlsocket, mode 0666).  The peer's uid comes
 * from SO_PEERCRED; state-changing commands need uid 0 or the uid that owns
 * the cache.  Protocol: one request line, words separated by spaces, with
 * '%XX' escapes for bytes <= 0x20, '%' and 0x7f.., then the reply: any
 * number of text lines, and a last line "." followed by "status N" where N
 * is 0 or a positive errno; see doc/design.md.
 */
#ifndef VENUS_CTL_H
#define VENUS_CTL_H

/* Bind and listen on path (an old socket file is replaced).  0 or -errno. */
int ctl_start(const char *path);
void ctl_stop(void);

#endif /* VENUS_CTL_H */
