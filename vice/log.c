/*
 * vice/log.c - logging: stderr until daemonised, then syslog.
 */
#include <stdarg.h>
#include <stdio.h>
#include "vice.h"

static int log_debug;
static int log_to_syslog;
static int log_journal;   /* stderr is the journal: "<N>" prefixes */

void vlog_init(int debug)
{
	log_debug = debug;
}

void vlog_journal(int on)
{
	log_journal = on;
}

void vlog_syslog(void)
{
	openlog("vice", LOG_PID, LOG_DAEMON);
	log_to_syslog = 1;
}

void vlog(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !log_debug)
		return;
	va_start(ap, fmt);
	if (log_to_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		if (log_journal)
			fprintf(stderr, "<%d>", prio);
		fputs("vice: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
