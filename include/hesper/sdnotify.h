/*
 * hesper/sdnotify.h - what vice and venus tell systemd, and their pid
 * files.  Built on libsystemd's sd_notify(3) and sd_watchdog_enabled(3)
 * when configure found libsystemd (HAVE_LIBSYSTEMD); without it, or when
 * not started by systemd (no $NOTIFY_SOCKET), every call does nothing.
 */
#ifndef HESPER_SDNOTIFY_H
#define HESPER_SDNOTIFY_H

struct event_base;

/* READY=1 plus STATUS=status (may be NULL): sent once the daemon serves
 * (vice: listening; venus: mounted).  Type=notify units wait for it. */
void hs_sd_ready(const char *status);

/* STOPPING=1: shutdown has begun. */
void hs_sd_stopping(void);

/* If the unit sets WatchdogSec=, ping WATCHDOG=1 from a timer on base at
 * half the interval, so that a stuck event loop stops the pings and
 * systemd restarts the daemon.  0, or -1 if the timer could not be made
 * (logged by the caller).  hs_sd_watchdog_stop frees the timer. */
int hs_sd_watchdog_start(struct event_base *base);
void hs_sd_watchdog_stop(void);

/* 1 if stderr is systemd's journal stream ($JOURNAL_STREAM names it,
 * systemd.exec(5)): log lines then carry a "<N>" priority prefix
 * (sd-daemon(3)) instead of going to syslog. */
int hs_sd_journal_stderr(void);

/* Write getpid() and a newline to path (0644, replaced atomically);
 * hs_pidfile_remove unlinks it if it still holds our pid.  0 or -errno. */
int hs_pidfile_write(const char *path);
void hs_pidfile_remove(const char *path);

#endif
