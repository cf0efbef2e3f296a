/*
 * rpc/xdr_inplace.h - decoders of the two bulk messages that leave the
 * data opaque pointing into the received record instead of copying it.
 *
 * A store chunk or a fetch reply carries up to HS_CHUNK_MAX (4 MiB) of
 * data; the generated xdr_bytes decode mallocs and copies it, one more
 * pass over every byte of a transfer (doc/design.md, Bulk data).  These
 * decode the same wire format (rpc/hesper.x) but set data.data_val to the
 * bytes inside the XDR buffer, and in XDR_FREE mode leave that pointer
 * alone (everything else is freed as usual).  So the decoded struct is
 * valid only while the record is: rpc/ keeps it until the call is
 * answered (server side: hrpc_reply) or until the done callback returns
 * (client side).  Encoding is the generated code's.
 *
 * The *_inplace typedefs let tables keyed by type (vice/dispatch.c,
 * venus/net/fidmap.c) name them like the generated ones.
 */
#ifndef HESPER_RPC_XDR_INPLACE_H
#define HESPER_RPC_XDR_INPLACE_H

#include "hesper.h"

typedef hs_store_chunk_args hs_store_chunk_args_inplace;
typedef hs_fetch_res hs_fetch_res_inplace;

/* xdr_hs_store_chunk_args, data in place.  FALSE: malformed or short. */
bool_t xdr_hs_store_chunk_args_inplace(XDR *x, hs_store_chunk_args *a);

/* xdr_hs_fetch_res, data in place.  FALSE: malformed or short. */
bool_t xdr_hs_fetch_res_inplace(XDR *x, hs_fetch_res *r);

#endif
