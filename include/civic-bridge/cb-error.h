/* civic-bridge: one error domain for every module */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CB_ERROR (cb_error_quark())

/**
 * CbErrorCode:
 * @CB_ERROR_INVALID: the request or input is malformed or fails validation
 * @CB_ERROR_UNAUTHENTICATED: no credentials, or credentials that are not valid
 * @CB_ERROR_FORBIDDEN: valid credentials whose role may not do this
 * @CB_ERROR_NOT_FOUND: the named object does not exist
 * @CB_ERROR_METHOD_NOT_ALLOWED: the resource exists but not with this method
 * @CB_ERROR_CONFLICT: the request conflicts with the current state
 * @CB_ERROR_LENGTH_REQUIRED: a body without a declared length
 * @CB_ERROR_TOO_LARGE: a body or value over a configured limit
 * @CB_ERROR_UNSUPPORTED_MEDIA_TYPE: a body of a content type the route does not take
 * @CB_ERROR_RATE_LIMITED: too many attempts; retry later
 * @CB_ERROR_UNAVAILABLE: the service cannot serve this now
 * @CB_ERROR_STORE: the store failed, is corrupt or belongs to something else
 * @CB_ERROR_CONFIG: the configuration is invalid
 * @CB_ERROR_INTERNAL: a fault of civic-bridge itself
 *
 * The codes are few on purpose: each maps to one HTTP status and one
 * machine-readable name in cb-error.c.
 */
typedef enum {
	CB_ERROR_INVALID,
	CB_ERROR_UNAUTHENTICATED,
	CB_ERROR_FORBIDDEN,
	CB_ERROR_NOT_FOUND,
	CB_ERROR_METHOD_NOT_ALLOWED,
	CB_ERROR_CONFLICT,
	CB_ERROR_LENGTH_REQUIRED,
	CB_ERROR_TOO_LARGE,
	CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
	CB_ERROR_RATE_LIMITED,
	CB_ERROR_UNAVAILABLE,
	CB_ERROR_STORE,
	CB_ERROR_CONFIG,
	CB_ERROR_INTERNAL,
} CbErrorCode;

GQuark cb_error_quark(void);

/* the machine-readable name of a code, as in {"error":{"code":...}} */
const char *cb_error_code_name(CbErrorCode code);

/* the HTTP status for an error; any foreign or unknown error is 500 */
guint cb_error_http_status(const GError *error);

/* the machine-readable name for an error; foreign errors are "internal" */
const char *cb_error_name(const GError *error);

G_END_DECLS
