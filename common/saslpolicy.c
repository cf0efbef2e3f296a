/*
 * common/saslpolicy.c - the SASL set-up vice and clog share
 * (hesper/saslpolicy.h).
 */
#include <string.h>

#include "hesper/saslpolicy.h"

int hs_sasl_confpath(void *ctx, const char **path)
{
	(void)ctx;
	*path = "/nonexistent/hesper-sasl";
	return SASL_OK;
}

int hs_sasl_verify(void *ctx, const char *file, sasl_verify_type_t type)
{
	const char *base = strrchr(file, '/');

	(void)ctx;
	base = base ? base + 1 : file;
	if (type != SASL_VRFY_PLUGIN)
		return SASL_OK;
	return !strncmp(base, "libscram.", 9) || !strncmp(base, "libgssapiv2.", 12) ?
	       SASL_OK : SASL_CONTINUE;
}
