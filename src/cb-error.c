#define G_LOG_DOMAIN "CbError"

#include "civic-bridge/cb-error.h"

GQuark
cb_error_quark(void)
{
	return g_quark_from_static_string("cb-error-quark");
}

typedef struct {
	CbErrorCode code;
	const char *name;
	guint http_status;
} CbErrorInfo;

/* the single table from error codes to names and HTTP statuses */
static const CbErrorInfo cb_error_table[] = {
	{CB_ERROR_INVALID, "invalid_request", 400},
	{CB_ERROR_UNAUTHENTICATED, "unauthenticated", 401},
	{CB_ERROR_FORBIDDEN, "forbidden", 403},
	{CB_ERROR_NOT_FOUND, "not_found", 404},
	{CB_ERROR_METHOD_NOT_ALLOWED, "method_not_allowed", 405},
	{CB_ERROR_CONFLICT, "conflict", 409},
	{CB_ERROR_LENGTH_REQUIRED, "length_required", 411},
	{CB_ERROR_TOO_LARGE, "too_large", 413},
	{CB_ERROR_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415},
	{CB_ERROR_RATE_LIMITED, "rate_limited", 429},
	{CB_ERROR_UNAVAILABLE, "unavailable", 503},
	{CB_ERROR_STORE, "store_error", 500},
	{CB_ERROR_CONFIG, "config_error", 500},
	{CB_ERROR_INTERNAL, "internal", 500},
};

static const CbErrorInfo *
cb_error_lookup(CbErrorCode code)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cb_error_table); i++) {
		if (cb_error_table[i].code == code)
			return &cb_error_table[i];
	}
	return NULL;
}

const char *
cb_error_code_name(CbErrorCode code)
{
	const CbErrorInfo *info = cb_error_lookup(code);
	return info != NULL ? info->name : "internal";
}

guint
cb_error_http_status(const GError *error)
{
	const CbErrorInfo *info;

	if (error == NULL || error->domain != CB_ERROR)
		return 500;
	info = cb_error_lookup(error->code);
	return info != NULL ? info->http_status : 500;
}

const char *
cb_error_name(const GError *error)
{
	if (error == NULL || error->domain != CB_ERROR)
		return "internal";
	return cb_error_code_name(error->code);
}
