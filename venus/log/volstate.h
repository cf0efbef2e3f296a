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

#include <stdint.h>

enum vst_state {
	VST_CONNECTED,        /* strong: synchronous */
	VST_WRITEDISC,        /* logged and trickled */
	VST_DISCONNECTED,     /* vice unreachable or cfs disconnect */
};

struct srv;
struct cml;

/* A volume's connection state and write-back mode; opaque.  main.c makes
 * the one instance (V->vol).  Until it exists (start-up logs what a dead
 * run left dirty before the server is started), the queries below take
 * NULL: Disconnected, everything is logged, vst_logged does nothing. */
struct volume;

/* How volstate asks for reintegration (the repair layer sits above it;
 * main.c wires these to reint.h).  arg is vst_hooks.arg. */
struct vst_hooks {
	/* Reintegrate records at least age seconds old for about budget
	 * seconds (0: until the log is empty). */
	void (*trickle)(void *arg, unsigned age, unsigned budget);
	/* 1 while a reintegration pass runs. */
	int (*busy)(void *arg);
	void *arg;
};

/* Make the volume on srv whose log is cml (not owned: main.c made it
 * first, for start-up) and start its trickle timer (after cml_init and
 * srv_start).  NULL when out of memory. */
struct volume *vst_init(struct srv *srv, struct cml *cml, const struct vst_hooks *hooks);
/* The state of local volume lvol (volreg.h), made on first use from its
 * server's state.  NULL only when out of memory or before start-up made
 * the volumes (then: Disconnected, as above). */
struct volume *vst_of(uint32_t lvol);
/* Stop the timer and free w; NULL is fine. */
void vst_fini(struct volume *w);

/* The state cfs listvol shows, and its name ("Connected", ...). */
enum vst_state vst_state(const struct volume *w);
const char *vst_state_name(enum vst_state s);

/* Must a mutation be logged rather than sent?  (Not strongly connected,
 * or older records are still in the log: order must be kept.) */
int vst_logging(const struct volume *w);
/* Serve cached objects without revalidating them (vice unreachable). */
int vst_disconnected(const struct volume *w);

/* w's CML (cml.h); NULL for a NULL w. */
struct cml *vst_cml(const struct volume *w);
/* The zones of w's log (zone.h); NULL for a NULL w. */
struct zone *vst_zone(const struct volume *w);

/* cfs wd/adaptive/strong: ages in seconds. */
void vst_set_mode(struct volume *w, unsigned age, unsigned time);
void vst_get_mode(const struct volume *w, unsigned *age, unsigned *time);
/* cfs disconnect / reconnect. */
void vst_disconnect(struct volume *w);
void vst_reconnect(struct volume *w);

/* vice is reachable again (main.c's srv_hooks.up): trickle. */
void vst_server_up(struct volume *w);
/* Records may have become sendable (a user got a token): trickle now. */
void vst_kick(struct volume *w);
/* A record was logged: schedule its reintegration as the mode says. */
void vst_logged(struct volume *w);

#endif /* VENUS_VOLSTATE_H */
