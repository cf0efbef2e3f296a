/*
 * volstate.h - each volume's connection state and write-back mode (Coda's
 * strong, write-disconnected and disconnected; Kistler & Satyanarayanan
 * 1992; Mummert et al. 1995 for weak connectivity and trickle
 * reintegration).
 *
 * One struct volume per local volume number (volreg.h), made on first use
 * (vst_of) and at start for every volume with records in the CML.  Its
 * state follows its server: vr_reachable(lvol) false (a timeout, a failed
 * probe, cfs disconnect) makes it Disconnected -- everything of that
 * volume is logged, its cached objects are served -- while volumes on
 * other servers stay Connected.  The mode is set by cfs wd/adaptive/strong
 * as (age, time) in seconds, for every volume (vst_set_mode(NULL, ...),
 * also the mode of volumes made later) or one: a record is trickled once
 * it is age seconds old, at most every time seconds; strong is (0, 0):
 * mutations go to vice synchronously while the volume is reachable and
 * its log is empty.  The log is one table (cml.h); the zones are global
 * (zone.h: one cache disk, one cml_entries limit).
 */
#ifndef VENUS_VOLSTATE_H
#define VENUS_VOLSTATE_H

#include <stdint.h>

enum vst_state {
	VST_CONNECTED,        /* strong: synchronous */
	VST_WRITEDISC,        /* logged and trickled */
	VST_DISCONNECTED,     /* its server unreachable or cfs disconnect */
};

struct srv;
struct cml;

/* A volume's connection state and write-back mode; opaque.  Until start-up
 * made the registry (start-up logs what a dead run left dirty before the
 * servers are asked), vst_of gives NULL and the queries below take NULL:
 * Disconnected, everything is logged, vst_logged does nothing. */
struct volume;

/* How volstate asks for reintegration (the repair layer sits above it;
 * main.c wires these to reint.h).  arg is vst_hooks.arg. */
struct vst_hooks {
	/* Reintegrate lvol's records at least age seconds old for about
	 * budget seconds (0: until its log is empty); with retry, resend its
	 * records held for quota now (cfs reconnect; else reint.h's own
	 * pace). */
	void (*trickle)(void *arg, uint32_t lvol, unsigned age, unsigned budget, int retry);
	/* 1 while a reintegration pass of lvol runs. */
	int (*busy)(void *arg, uint32_t lvol);
	void *arg;
};

/* Start the registry: the log cml (not owned: main.c made it first, for
 * start-up), the zones, the trickle timer (once a second, every volume),
 * a volume for each volume with records in cml.  srv is unused (each
 * volume asks volreg for its server).  Returns realm 0's volume 1, the
 * root volume of a single-server realm (main.c keeps it as V->vol for
 * callers that do not ask vst_of yet); NULL when out of memory. */
struct volume *vst_init(struct srv *srv, struct cml *cml, const struct vst_hooks *hooks);
/* The state of local volume lvol, made on first use with the mode of
 * every volume.  NULL only when out of memory or before vst_init. */
struct volume *vst_of(uint32_t lvol);
/* Stop the timer and free every volume and the zones (w: any volume or
 * NULL; the registry is one). */
void vst_fini(struct volume *w);

/* w's local volume number (0 for NULL). */
uint32_t vst_lvol(const struct volume *w);
/* Call fn for every volume venus has state for, in the order made. */
void vst_foreach(void (*fn)(void *arg, struct volume *w), void *arg);

/* The state cfs listvol shows, and its name ("Connected", ...). */
enum vst_state vst_state(const struct volume *w);
const char *vst_state_name(enum vst_state s);

/* Must a mutation of w be logged rather than sent?  (Not strongly
 * connected, or older records of THIS volume are in the log, in conflict
 * or held for quota included: order must be kept.) */
int vst_logging(const struct volume *w);
/* Serve w's cached objects without revalidating them (its server is
 * unreachable). */
int vst_disconnected(const struct volume *w);
/* 1 if some volume with records in the log is reachable (the log can
 * drain: zone.c's red stalls). */
int vst_draining(void);

/* The CML (cml.h; every volume's) and its zones (zone.h); NULL before
 * vst_init. */
struct cml *vst_cml(const struct volume *w);
struct zone *vst_zone(const struct volume *w);
/* Run cont(arg) as zone_admit does when w is logging, at once when it is
 * not (a Connected volume with an empty log never waits for another
 * volume's full log). */
void vst_admit(const struct volume *w, void (*cont)(void *arg), void *arg);

/* cfs wd/adaptive/strong: ages in seconds; w NULL: every volume, and the
 * mode of volumes made later.  get with NULL gives that default. */
void vst_set_mode(struct volume *w, unsigned age, unsigned time);
void vst_get_mode(const struct volume *w, unsigned *age, unsigned *time);
/* cfs disconnect / reconnect: every server (vr_set_offline), so every
 * volume; w is unused (NULL is fine).  Reconnect resends the records held
 * for quota (the admin may have raised it). */
void vst_disconnect(struct volume *w);
void vst_reconnect(struct volume *w);

/* w's server is reachable again: trickle. */
void vst_server_up(struct volume *w);
/* Server s answered / failed (volreg's vr_hooks.server_up/down): every
 * volume served by s (or whose server is not known yet) follows.  s NULL:
 * every volume. */
void vst_srv_up(struct srv *s);
void vst_srv_down(struct srv *s);
/* Records may have become sendable (a user got a token): trickle now;
 * w NULL: every volume. */
void vst_kick(struct volume *w);
/* A record of w was logged: schedule its reintegration as the mode says. */
void vst_logged(struct volume *w);

#endif /* VENUS_VOLSTATE_H */
