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

/* srv_start with the server hooks: up/down -> vst_srv_up/down (every
 * volume); cb_break, cb_lost, fence -> fsobj.  NULL with *err as
 * srv_start. */
struct srv *wire_srv_start(int *err);
/* volreg's vr_hooks.server_up / server_down (arg unused): the volumes
 * served by s follow it (vst_srv_up / vst_srv_down). */
void wire_server_up(void *arg, struct srv *s);
void wire_server_down(void *arg, struct srv *s);
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
