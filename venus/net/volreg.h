/*
 * volreg.h - realms, their servers and the volumes venus knows (Coda's
 * realmdb, vsgdb and volent tables).
 *
 * Inside venus a fid's volume is a *local volume number*:
 *     lvol = (realm index << VR_REALM_SHIFT) | volume id
 * Volume ids are unique within a realm and below 2^24 (HS_VOLID_MAX), so
 * realm index 0 -- the realm venus.conf names -- keeps fids exactly as
 * vice sends them (caches made before realms need no migration).  Other
 * realms get indexes 1..VR_MAX_REALMS, kept in venus.db so that cached
 * fids stay valid across restarts.  VR_LOCAL_REALM names venus's own
 * objects (the /coda directory that lists the realms).  vr_call_as turns
 * local fids into vice's in a call's arguments, and vice's into local ones
 * in its result and in callback breaks, so nothing above this layer ever
 * sees a wire fid.
 *
 * A realm's servers come from venus.conf (server, port: realm 0), from
 * /etc/hesper/realms (Coda's realms file: "realm server[:port] ..."; key
 * realmtab), or from DNS SRV records _hesper._tcp.<realm> (looked up off
 * the event loop).  A volume's server comes from the realm's VLDB
 * (HS_VLDB_LOOKUP, asked of any reachable server of the realm) and is
 * cached; HS_EMOVED from a server makes venus ask the VLDB again and send
 * the call to the new server, HS_EVBUSY makes it send the call again after
 * a pause, both within the call's timeout.  Each server has one connection
 * (struct srv), made on first use.
 *
 * Layer: net.  Single-threaded except where a function says otherwise.
 */
#ifndef VENUS_VOLREG_H
#define VENUS_VOLREG_H

#include <stdint.h>
#include <sys/types.h>
#include <hesper/rpc.h>
#include "hesper.h"

struct srv;

#define VR_REALM_SHIFT 24
#define VR_VOLID_MASK  0x00ffffffu
/* Realms one venus knows at once (indexes 0..VR_MAX_REALMS-1). */
#define VR_MAX_REALMS  254
/* The realm index of venus's own objects (the /coda directory). */
#define VR_LOCAL_REALM 255u
/* The local volume of venus's own objects. */
#define VR_LOCAL_VOL   (VR_LOCAL_REALM << VR_REALM_SHIFT)

/* A local volume number's realm index and volume id. */
static inline unsigned vr_realm_of(uint32_t lvol) { return lvol >> VR_REALM_SHIFT; }
static inline uint32_t vr_volid_of(uint32_t lvol) { return lvol & VR_VOLID_MASK; }

/* How the registry reports upward (main.c wires these through wire.c to
 * fsobj and volstate).  All run on the event loop; arg is vr_hooks.arg. */
struct vr_hooks {
	/* Server s answered HS_CONNECT: its volumes are reachable again. */
	void (*server_up)(void *arg, struct srv *s);
	/* s failed or dropped; may be NULL. */
	void (*server_down)(void *arg, struct srv *s);
	/* A callback break on fid (already a local fid). */
	void (*cb_break)(void *arg, const hs_fid *fid);
	/* The connection to s that held promises is gone: promises on every
	 * object whose volume is served by s are void (vr_srv_of). */
	void (*cb_lost)(void *arg, struct srv *s);
	/* Volume lvol moved to another server: its promises are void. */
	void (*vol_moved)(void *arg, uint32_t lvol);
	/* Run done(done_arg) once the front end applied the invalidations
	 * cb_break caused (the break is answered then). */
	void (*fence)(void *arg, void (*done)(void *done_arg), void *done_arg);
	void *arg;
};

/* Read the realms (venus.conf, the realms file) and the realm indexes
 * kept in venus.db, and start connecting to realm 0's server.  After
 * db_open.  0, or an errno (logged: a bad realms file, out of memory). */
int vr_init(const struct vr_hooks *hooks);
/* Close every connection and free everything. */
void vr_fini(void);

/* ---- realms ---- */

/* Realm 0's name (venus.conf realm, else its server's host name). */
const char *vr_realm0(void);
/* Name of realm idx, or NULL if idx names no realm. */
const char *vr_realm_name(unsigned idx);
/* Index of realm name, or -1 if venus knows no realm of that name yet. */
int vr_realm_index(const char *name);
/* Call fn for every realm known (realm 0, the realms file, realms
 * mounted since start), in index order. */
void vr_realm_foreach(void (*fn)(void *arg, unsigned idx, const char *name),
		      void *arg);

/* The local fid of a root directory, or an error (ENOENT: no such realm
 * or volume; ETIMEDOUT: none of its servers answered; EIO). */
typedef void (*vr_root_cb)(void *arg, int err, const hs_fid *root);
/* Realm name's root volume's root directory: finds the realm's servers
 * (known, realms file, DNS SRV), gives it an index on first use, and asks
 * for its volume "root".  Never waits on another realm's servers. */
void vr_realm_root(const char *name, uid_t uid, vr_root_cb cb, void *arg);
/* Realm name's index once venus reached it (clog user@realm): mounts the
 * realm as vr_realm_root does, so its servers are resolved (realms file,
 * DNS SRV) and their certificates pinned.  cb's err: 0 (idx valid) or
 * vr_realm_root's. */
typedef void (*vr_realm_cb)(void *arg, int err, unsigned idx);
void vr_realm_find(const char *name, uid_t uid, vr_realm_cb cb, void *arg);
/* Server i (0..) of realm idx as venus knows it now: host into host (n
 * bytes) and its port.  0, or ENOENT past the last. */
int vr_realm_server(unsigned idx, int i, char *host, size_t n, int *port);
/* Volume volname (a name, or a number "%u" / "0x%x") of realm idx: its
 * root directory (VLDB, then HS_GETROOT on its server).  Mount points are
 * crossed with this. */
void vr_volume_root(unsigned idx, const char *volname, uid_t uid,
		    vr_root_cb cb, void *arg);

/* ---- volumes ---- */

/* Name of local volume lvol if venus learnt it, else NULL. */
const char *vr_volume_name(uint32_t lvol);
/* The server that serves lvol, or NULL while its location is unknown
 * (never asked, or moved and not asked again). */
struct srv *vr_srv_of(uint32_t lvol);
/* 1 unless lvol's server (or, location unknown, every server of its
 * realm) is known to be unreachable or cfs disconnect holds. */
int vr_reachable(uint32_t lvol);
/* 1 while lvol's server connection is up (HS_CONNECT succeeded). */
int vr_is_up(uint32_t lvol);
/* "host:port" of lvol's server, else its realm's name, for messages. */
const char *vr_server_name(uint32_t lvol);
/* Forget where lvol is (cfs checkvolumes, flushvolume): the next call asks
 * the VLDB again. */
void vr_forget_location(uint32_t lvol);
/* Call fn for every volume venus has an entry for (learnt from a VLDB
 * answer, a root lookup or a call): its local volume number, its name
 * (NULL if not learnt) and its server (NULL while its location is
 * unknown).  fn must not call vr_call_as. */
void vr_vol_foreach(void (*fn)(void *arg, uint32_t lvol, const char *name, struct srv *s),
		    void *arg);

/* Call an HS_VICE_PROG procedure on the server of the volume lvol, as
 * local user uid (SRV_SELF: venus itself), as srv_call_as does (server.h:
 * timeouts, error mapping, done runs exactly once).  Local fids in args
 * are sent as vice's; fids in the result are handed to done as local
 * ones.  HS_EMOVED and HS_EVBUSY are handled here (see above) and never
 * reach done unless the call's time ran out (then ETIMEDOUT).  Volume ids
 * in arguments (HS_GETVOLSTAT, HS_SETQUOTA, HS_VLDB_LOOKUP...) may be lvol
 * or vice's id; volume ids in results (hs_volinfo.id, hs_volstat.id,
 * hs_vldb_entry.id) stay vice's (lvol = realm << VR_REALM_SHIFT | id),
 * only fids are made local.  Other errors: ESTALE (lvol's realm is not
 * known, or the VLDB no longer knows the volume), EINVAL (VR_LOCAL_VOL),
 * EXDEV (a fid of another realm in args). */
void vr_call_as(uint32_t lvol, uid_t uid, uint32_t proc, xdrproc_t argproc,
		const void *args, xdrproc_t resproc, size_t ressize,
		hrpc_done_fn done, void *cbarg);
/* HS_NULL to lvol's server (hoard walks probe before they start). */
void vr_ping(uint32_t lvol, void (*done)(void *arg, int err), void *arg);

/* cfs disconnect / reconnect for every server (srv_set_offline). */
void vr_set_offline(int off);
/* Probe every server that is down now. */
void vr_probe_now(void);
/* Call fn for every server venus has a connection object for. */
void vr_srv_foreach(void (*fn)(void *arg, struct srv *s), void *arg);
/* Realm 0's first server (venus.conf's server and port), connecting since
 * vr_init.  main.c keeps it in V->srv until every caller uses vr_*. */
struct srv *vr_srv0(void);

#endif /* VENUS_VOLREG_H */
