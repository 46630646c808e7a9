/* civic-bridge: log lines with fields a journal search can use */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* `journalctl CB_SESSION_ID=12` finds every line about session 12; the text
 * says the same for a terminal. Ids only: never a name or a token. The
 * fields other than MESSAGE are plain strings to g_log_structured(). */
#define cb_log_session(level, session_id, ...)                                                     \
	G_STMT_START                                                                               \
	{                                                                                          \
		char cb_log_session_id_[24];                                                       \
		g_snprintf(cb_log_session_id_, sizeof(cb_log_session_id_), "%" G_GINT64_FORMAT,    \
			   (gint64)(session_id));                                                  \
		g_log_structured(G_LOG_DOMAIN, (level), "CB_SESSION_ID", cb_log_session_id_,       \
				 "MESSAGE", __VA_ARGS__);                                          \
	}                                                                                          \
	G_STMT_END

G_END_DECLS
