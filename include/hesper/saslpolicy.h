/*
 * hesper/saslpolicy.h - how vice and clog set up Cyrus SASL (RFC 4422),
 * so that both sides load the same plugins and read no system file.
 */
#ifndef HESPER_SASLPOLICY_H
#define HESPER_SASLPOLICY_H

#include <sasl/sasl.h>

/* SASL_CB_GETCONFPATH: a directory that does not exist, so no system
 * configuration (/etc/sasl2) changes what Hesper offers. */
int hs_sasl_confpath(void *ctx, const char **path);
/* SASL_CB_VERIFYFILE: load only the SCRAM and GSSAPI plugins (fewer
 * surprises from whatever else is installed, and no GS2, whose set-up
 * leaks). */
int hs_sasl_verify(void *ctx, const char *file, sasl_verify_type_t type);

/* A callback function as sasl_callback_t.proc wants it; through
 * void (*)(void), which -Wcast-function-type lets pass. */
typedef int (*hs_sasl_cb_fn)(void);
#define HS_SASL_CB(f) ((hs_sasl_cb_fn)(void (*)(void))(f))

#endif /* HESPER_SASLPOLICY_H */
