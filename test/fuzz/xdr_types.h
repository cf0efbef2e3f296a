/*
 * test/fuzz/xdr_types.h - every type rpc/hesper.x puts on the wire, for
 * fuzz_xdr and the seed generator: the args and results of every
 * HS_VICE_PROG and HS_CB_PROG procedure, and the types inside them that
 * are decoded on their own (hs_cml_rec in venus's CML, hs_acl).
 *
 * The index in xdr_types[] is what byte 0 of a fuzz_xdr input picks, so
 * append new types at the end: the seed corpus names types by index.
 */
#ifndef TEST_FUZZ_XDR_TYPES_H
#define TEST_FUZZ_XDR_TYPES_H

#include <stddef.h>
#include <rpc/rpc.h>
#include "hesper.h"

struct xdr_type {
	const char *name;
	xdrproc_t proc;
	size_t size;    /* bytes of the decoded C value */
};

#define XT(t) { #t, (xdrproc_t)xdr_##t, sizeof(t) }

static const struct xdr_type xdr_types[] = {
	XT(hs_connect_args), XT(hs_connect_res),
	XT(hs_name), XT(hs_getroot_res),
	XT(hs_listvol_res),
	XT(hs_fid), XT(hs_attr_res),
	XT(hs_lookup_args), XT(hs_lookup_res),
	XT(hs_readdir_args), XT(hs_readdir_res),
	XT(hs_fetch_args), XT(hs_fetch_res),
	XT(hs_store_chunk_args), XT(hs_status_res),
	XT(hs_store_commit_args),
	XT(hs_setattr_args),
	XT(hs_create_args), XT(hs_create_res),
	XT(hs_symlink_args), XT(hs_link_args),
	XT(hs_remove_args), XT(hs_remove_res),
	XT(hs_rename_args), XT(hs_rename_res),
	XT(hs_readlink_res),
	XT(hs_stats_res),
	XT(hs_reint_args), XT(hs_reint_res),
	XT(hs_staged_args), XT(hs_staged_res),
	XT(hs_mknod_args),
	XT(hs_auth_args), XT(hs_auth_res),
	XT(hs_acl_res), XT(hs_setacl_args),
	XT(hs_fidlist),
	XT(hs_cml_rec), XT(hs_acl), XT(hs_path), XT(hs_attr),
	XT(hs_volstamps), XT(hs_volstamps_res),
};

#define NXDR_TYPES (sizeof xdr_types / sizeof xdr_types[0])

#endif /* TEST_FUZZ_XDR_TYPES_H */
