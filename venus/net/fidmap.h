/*
 * fidmap.h - local fids <-> vice's fids in call arguments and results
 * (volreg.h: lvol = realm index << VR_REALM_SHIFT | volume id).
 *
 * vice's fids carry a bare volume id (1..HS_VOLID_MAX); venus's carry the
 * realm index in the top byte.  Volume 0 names no volume and is left as
 * it is (unused fids, as hs_remove_ok.obj when obj_gone).  Realm 0 maps
 * to itself.  Layer: net.
 */
#ifndef VENUS_FIDMAP_H
#define VENUS_FIDMAP_H

#include <stddef.h>
#include <stdint.h>
#include <hesper/rpc.h>
#include "hesper.h"

/* vice's fid -> local: 0, or EIO if its volume is above HS_VOLID_MAX
 * (f untouched). */
int vr_fid_to_local(unsigned realm, hs_fid *f);
/* local fid -> vice's: 0, or EXDEV if f belongs to another realm (f
 * untouched).  A fid without realm bits is taken as vice's already. */
int vr_fid_to_wire(unsigned realm, hs_fid *f);

/* Direction of vr_map. */
enum vr_dir { VR_TO_WIRE, VR_TO_LOCAL };

/* Translate every fid (and, in arguments, every volume id) in obj, an
 * object of XDR type proc (any argument or result type of rpc/hesper.x),
 * in place.  Results are translated only when their status is 0; the
 * volume ids results carry (hs_volinfo.id, hs_volstat.id,
 * hs_vldb_entry.id) stay vice's.  0, EXDEV/EIO as above, or ENOSYS for a
 * type this table does not know (a new procedure: add it here). */
int vr_map(enum vr_dir dir, unsigned realm, xdrproc_t proc, void *obj);
/* Bytes of the C object of XDR type proc, or 0 if the table does not
 * know it (vr_map then fails too). */
size_t vr_map_size(xdrproc_t proc);
/* Call fn on every fid vr_map would translate in obj; the count of calls,
 * or -1 for an unknown type.  For tests. */
int vr_map_walk(xdrproc_t proc, void *obj, void (*fn)(void *ctx, hs_fid *f), void *ctx);

#endif /* VENUS_FIDMAP_H */
