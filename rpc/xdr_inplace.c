/*
 * rpc/xdr_inplace.c - in-place decoders of bulk data (xdr_inplace.h).
 */
#include <config.h>

#include "rpc/xdr_inplace.h"

/* The opaque<HS_CHUNK_MAX> at the stream's position: length, then the
 * bytes and their padding, which stay where they are. */
static bool_t data_inplace(XDR *x, char **val, u_int *len)
{
	u_int n;

	if (x->x_op == XDR_FREE) {
		*val = NULL;   /* the record's, not ours */
		*len = 0;
		return TRUE;
	}
	if (!xdr_u_int(x, &n) || n > HS_CHUNK_MAX)
		return FALSE;
	*len = n;
	*val = NULL;
	if (!n)
		return TRUE;
	/* xdr_inline checks that n bytes and their padding remain. */
	*val = (char *)xdr_inline(x, (int)((n + 3) & ~3u));
	return *val != NULL;
}

bool_t xdr_hs_store_chunk_args_inplace(XDR *x, hs_store_chunk_args *a)
{
	if (x->x_op == XDR_ENCODE)
		return xdr_hs_store_chunk_args(x, a);
	return xdr_hs_fid(x, &a->fid) && xdr_hs_storeid(x, &a->sid) &&
	       xdr_u_quad_t(x, &a->offset) &&
	       data_inplace(x, &a->data.data_val, &a->data.data_len);
}

static bool_t fetch_ok_inplace(XDR *x, hs_fetch_ok *ok)
{
	return xdr_hs_attr(x, &ok->attr) &&
	       xdr_array(x, (char **)&ok->ext.ext_val, &ok->ext.ext_len,
			 HS_EXTENTS_MAX, sizeof(hs_extent),
			 (xdrproc_t)xdr_hs_extent) &&
	       data_inplace(x, &ok->data.data_val, &ok->data.data_len) &&
	       xdr_u_quad_t(x, &ok->next_data);
}

bool_t xdr_hs_fetch_res_inplace(XDR *x, hs_fetch_res *r)
{
	if (x->x_op == XDR_ENCODE)
		return xdr_hs_fetch_res(x, r);
	if (!xdr_int(x, &r->status))
		return FALSE;
	return r->status != 0 || fetch_ok_inplace(x, &r->hs_fetch_res_u.ok);
}
