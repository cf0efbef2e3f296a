/*
 * wire.h - the hooks through which venus's lower layers report upward
 * (test/layering.sh: a layer never calls the one above it).  main.c
 * registers them; a unit test that assembles venus without main.c (the
 * core test) registers the same ones.  Layer: main.
 */
#ifndef VENUS_WIRE_H
#define VENUS_WIRE_H

struct srv;
struct cml;
struct volume;
struct reint;
struct hoard;

/* vr_init (the realms, their servers) with the registry's hooks:
 * server_up/down -> vst_srv_up/down (the volumes of that server); cb_break,
 * cb_lost (fso_cb_lost_srv), vol_moved (fso_vol_moved), fence -> fsobj.  Returns realm 0's server (V->srv
 * until every caller uses vr_*), or NULL with *err an errno (logged).
 * vr_fini undoes it. */
struct srv *wire_srv_start(int *err);
/* vst_init on cml with the volume hooks: trickle/busy -> ri's pass of
 * that volume (reint_run_vol); token_set_hook -> reint_token(ri) then
 * vst_kick of every volume.  Returns what vst_init does. */
struct volume *wire_volume(struct srv *srv, struct cml *cml, struct reint *ri);
/* c's post-commit hook -> fso_gone_settle.  Right after cml_init, before
 * anything is logged. */
void wire_cml(struct cml *c);
/* cache.c's eviction priority -> hoard_priority(h).  After cache_init. */
void wire_cache(struct hoard *h);

#endif /* VENUS_WIRE_H */
