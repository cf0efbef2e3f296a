/*
 * volstate.h - connection state and write-back mode (Coda's strong,
 * write-disconnected and disconnected; Kistler & Satyanarayanan 1992;
 * Mummert et al. 1995 for weak connectivity and trickle reintegration).
 *
 * One state for every volume: Hesper serves one vice.  The mode is set by
 * cfs wd/adaptive/strong as (age, time) in seconds: a record is trickled
 * once it is age seconds old, at most every time seconds; strong is (0, 0):
 * mutations go to vice synchronously while it is reachable and the CML is
 * empty.  vice unreachable (a timeout, a failed probe) or cfs disconnect:
 * Disconnected, everything is logged, reads are served from the cache.
 */
#ifndef VENUS_VOLSTATE_H
#define VENUS_VOLSTATE_H

enum vst_state {
	VST_CONNECTED,        /* strong: synchronous */
	VST_WRITEDISC,        /* logged and trickled */
	VST_DISCONNECTED,     /* vice unreachable or cfs disconnect */
};

/* Start the trickle timer (after cml_init and srv_start). */
void vst_init(void);
void vst_fini(void);

/* The state cfs listvol shows, and its name ("Connected", ...). */
enum vst_state vst_state(void);
const char *vst_state_name(enum vst_state s);

/* Must a mutation be logged rather than sent?  (Not strongly connected,
 * or older records are still in the log: order must be kept.) */
int vst_logging(void);
/* Serve cached objects without revalidating them (vice unreachable). */
int vst_disconnected(void);

/* cfs wd/adaptive/strong: ages in seconds. */
void vst_set_mode(unsigned age, unsigned time);
void vst_get_mode(unsigned *age, unsigned *time);
/* cfs disconnect / reconnect. */
void vst_disconnect(void);
void vst_reconnect(void);

/* From server.c: HS_CONNECT succeeded / the connection is gone. */
void vst_server_up(void);
void vst_server_down(void);
/* A record was logged: schedule its reintegration as the mode says. */
void vst_logged(void);

#endif /* VENUS_VOLSTATE_H */
