/*
 * rpc/sendref.c - records whose bulk bytes are queued by reference
 * (hrpc_buf, rpc.h).
 *
 * A store chunk or a fetch reply carries up to 4 MiB of data that the
 * caller already holds in memory.  conn_send_msg's plain path encodes the
 * whole record into a fresh buffer, i.e. copies those bytes once more
 * before OpenSSL reads them to encrypt.  Here an XDR encoding stream
 * appends small items to a private evbuffer and, for a run of at least
 * HRPC_REF_MIN bytes lying inside the caller's hrpc_buf, adds a reference
 * to the caller's memory instead (evbuffer_add_reference), holding a
 * count on the hrpc_buf until libevent drops the chain: the caller may
 * give up its own count at once (a call that timed out, say) while the
 * bytes still wait in the output buffer.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "rpc/conn_int.h"
#include "rpc/record.h"

struct hrpc_buf {
	unsigned refs;
	size_t len;
	unsigned char *data;  /* free()d with the last count */
};

struct hrpc_buf *hrpc_buf_adopt(void *data, size_t len)
{
	struct hrpc_buf *b = malloc(sizeof *b);

	if (!b)
		return NULL;
	b->refs = 1;
	b->len = len;
	b->data = data;
	return b;
}

void hrpc_buf_ref(struct hrpc_buf *b)
{
	b->refs++;
}

void hrpc_buf_unref(struct hrpc_buf *b)
{
	if (b && --b->refs == 0) {
		free(b->data);
		free(b);
	}
}

static void unref_cb(const void *data, size_t len, void *arg)
{
	hrpc_buf_unref(arg);
}

/* ---- the encoding stream: x_private is a struct refenc ---- */

struct refenc {
	struct evbuffer *ev;
	struct hrpc_buf *hold;
	u_int pos;
};

static bool_t re_putlong(XDR *x, const long *lp)
{
	struct refenc *r = (struct refenc *)x->x_private;
	uint32_t be = htonl((uint32_t)*lp);

	if (evbuffer_add(r->ev, &be, 4) < 0)
		return FALSE;
	r->pos += 4;
	return TRUE;
}

static int held(const struct hrpc_buf *b, const char *p, u_int n)
{
	const char *d = (const char *)b->data;

	return n >= HRPC_REF_MIN && p >= d && n <= b->len &&
	       (size_t)(p - d) <= b->len - n;
}

static bool_t re_putbytes(XDR *x, const char *p, u_int n)
{
	struct refenc *r = (struct refenc *)x->x_private;

	if (r->hold && held(r->hold, p, n)) {
		hrpc_buf_ref(r->hold);
		if (evbuffer_add_reference(r->ev, p, n, unref_cb, r->hold) < 0) {
			hrpc_buf_unref(r->hold);
			return FALSE;
		}
	} else if (n && evbuffer_add(r->ev, p, n) < 0) {
		return FALSE;
	}
	r->pos += n;
	return TRUE;
}

static u_int re_getpostn(XDR *x)
{
	return ((struct refenc *)x->x_private)->pos;
}

static bool_t re_no_get(XDR *x, long *lp)
{
	return FALSE;
}

static bool_t re_no_getbytes(XDR *x, char *p, u_int n)
{
	return FALSE;
}

static bool_t re_no_setpos(XDR *x, u_int pos)
{
	return FALSE;
}

/* No contiguous room to hand out: callers fall back to item by item. */
static int32_t *re_no_inline(XDR *x, u_int n)
{
	return NULL;
}

static void re_destroy(XDR *x)
{
}

static bool_t re_no_control(XDR *x, int req, void *info)
{
	return FALSE;
}

static const struct xdr_ops refenc_ops = {
	.x_getlong = re_no_get,
	.x_putlong = re_putlong,
	.x_getbytes = re_no_getbytes,
	.x_putbytes = re_putbytes,
	.x_getpostn = re_getpostn,
	.x_setpostn = re_no_setpos,
	.x_inline = re_no_inline,
	.x_destroy = re_destroy,
	.x_control = re_no_control,
};

/* conn_send_msg's path when the caller holds its bulk bytes in hold:
 * the record (size bytes after its mark) is built in a private evbuffer
 * and moved to out whole, so a failure leaves out as it was. */
int conn_send_held(struct evbuffer *out, unsigned long size,
		   xdrproc_t hdrproc, void *hdr, xdrproc_t bodyproc,
		   const void *body, struct hrpc_buf *hold)
{
	struct refenc r = { evbuffer_new(), hold, 0 };
	unsigned char mark[4];
	XDR x = { 0 };
	int ok;

	if (!r.ev)
		return -ENOMEM;
	hrec_put_header(mark, size);
	x.x_op = XDR_ENCODE;
	x.x_ops = (struct xdr_ops *)&refenc_ops;
	x.x_private = (char *)&r;
	ok = evbuffer_add(r.ev, mark, 4) == 0 && hdrproc(&x, hdr) &&
	     (!bodyproc || bodyproc(&x, (void *)body)) && r.pos == size;
	if (ok)
		ok = evbuffer_add_buffer(out, r.ev) == 0;
	evbuffer_free(r.ev);   /* drops the counts of a failed record */
	return ok ? 0 : -EINVAL;
}
