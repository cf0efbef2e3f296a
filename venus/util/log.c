/*
 * log.c - venus's log: stderr in the foreground, syslog as a daemon.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "venus/util/venus.h"

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: return "crit";
	case LOG_ERR:     return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE:  return "notice";
	case LOG_INFO:    return "info";
	default:          return "debug";
	}
}

static int also_stderr;
static int journal;

void vlog_journal(int on)
{
	journal = on;
}

void vlog_stderr(int on)
{
	also_stderr = on;
}

void vlog(int level, const char *fmt, ...)
{
	va_list ap;
	int fg = !V || V->cfg.foreground || also_stderr;

	/* Debug lines only with -d; everything else always. */
	if (level >= LOG_DEBUG && !(V && V->cfg.debug))
		return;
	va_start(ap, fmt);
	if (fg) {
		if (journal)
			fprintf(stderr, "<%d>", level);
		fprintf(stderr, "venus: %s: ", level_name(level));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
	if (V && !V->cfg.foreground) {
		va_start(ap, fmt);
		vsyslog(level, fmt, ap);
		va_end(ap);
	}
}
