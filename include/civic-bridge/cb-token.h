/* civic-bridge: bearer token secrets: generation, hashing, comparison */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "cbt_" and 43 base64url characters: 256 random bits */
#define CB_TOKEN_PREFIX       "cbt_"
#define CB_TOKEN_RANDOM_BYTES 32
#define CB_TOKEN_LENGTH       (4 + 43)

/* a new secret from the kernel's random source; NULL and @error if it fails */
char *cb_token_generate(GError **error);

/* whether @text has the shape of a token, checked before any lookup */
gboolean cb_token_is_well_formed(const char *text);

/* the lower-case hex SHA-256 of the token text: what the store keeps */
char *cb_token_hash(const char *token);

/* compares two strings in time that depends only on their lengths */
gboolean cb_token_hash_equal(const char *a, const char *b);

G_END_DECLS
