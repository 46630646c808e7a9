#define G_LOG_DOMAIN "CbToken"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-token.h"

static const char cb_base64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* base64url without padding, RFC 4648 section 5 */
static void
cb_token_encode(const guint8 *in, gsize len, GString *out)
{
	guint32 acc = 0;
	int bits = 0;

	for (gsize i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			g_string_append_c(out, cb_base64url[(acc >> bits) & 0x3f]);
		}
	}
	if (bits > 0)
		g_string_append_c(out, cb_base64url[(acc << (6 - bits)) & 0x3f]);
}

char *
cb_token_generate(GError **error)
{
	guint8 bytes[CB_TOKEN_RANDOM_BYTES];
	gsize got = 0;
	GString *out;

	while (got < sizeof(bytes)) {
		ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL,
				    "cannot read the kernel's random source: %s",
				    g_strerror(errno));
			return NULL;
		}
		got += (gsize)n;
	}
	out = g_string_new(CB_TOKEN_PREFIX);
	cb_token_encode(bytes, sizeof(bytes), out);
	explicit_bzero(bytes, sizeof(bytes));
	return g_string_free(out, FALSE);
}

gboolean
cb_token_is_well_formed(const char *text)
{
	if (text == NULL || strlen(text) != CB_TOKEN_LENGTH)
		return FALSE;
	if (!g_str_has_prefix(text, CB_TOKEN_PREFIX))
		return FALSE;
	for (const char *p = text + strlen(CB_TOKEN_PREFIX); *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
			return FALSE;
	}
	return TRUE;
}

char *
cb_token_hash(const char *token)
{
	return g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
}

gboolean
cb_token_hash_equal(const char *a, const char *b)
{
	gsize len_a = strlen(a);
	gsize len_b = strlen(b);
	guint8 diff = 0;

	if (len_a != len_b)
		return FALSE;
	/* every byte is looked at whatever the first difference is */
	for (gsize i = 0; i < len_a; i++)
		diff |= (guint8)a[i] ^ (guint8)b[i];
	return diff == 0;
}
