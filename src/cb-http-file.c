#define G_LOG_DOMAIN "CbHttp"

/* Streaming a file as a response body. libsoup writes what the body holds
 * and pauses the message when it runs dry; a chunk is read (asynchronously:
 * the main loop never waits on the disk) when the one before has been
 * written, appended, and the message unpaused. The message finishing early
 * (the client went away) cancels the read and closes the file. */

#include "config.h"

#include "civic-bridge/cb-error.h"

#include "cb-http-file.h"

#define CB_HTTP_FILE_CHUNK (64 * 1024)

typedef struct {
	SoupServerMessage *msg; /* a reference */
	GInputStream *input;
	GCancellable *cancellable;
	guint64 left;
	gboolean reading;
	gboolean finished; /* the message is done with, one way or another */
} CbHttpFileStream;

static void
cb_http_file_stream_free(CbHttpFileStream *stream)
{
	g_signal_handlers_disconnect_by_data(stream->msg, stream);
	g_input_stream_close(stream->input, NULL, NULL);
	g_object_unref(stream->input);
	g_object_unref(stream->cancellable);
	g_object_unref(stream->msg);
	g_free(stream);
}

static void cb_http_file_read_next(CbHttpFileStream *stream);

static void
cb_http_file_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	CbHttpFileStream *stream = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes =
		g_input_stream_read_bytes_finish(G_INPUT_STREAM(source), result, &error);
	SoupMessageBody *body = soup_server_message_get_response_body(stream->msg);
	gsize size = bytes != NULL ? g_bytes_get_size(bytes) : 0;

	stream->reading = FALSE;
	if (stream->finished) {
		cb_http_file_stream_free(stream);
		return;
	}
	if (bytes == NULL || (size == 0 && stream->left > 0)) {
		/* the headers are out: all that is left is to end short, which
		 * the client sees as a broken transfer */
		g_warning("reading a file for a response failed: %s",
			  error != NULL ? error->message : "it became shorter");
		soup_message_body_complete(body);
		soup_server_message_unpause(stream->msg);
		return;
	}
	if (size > stream->left) {
		bytes = g_bytes_new_from_bytes(bytes, 0, (gsize)stream->left);
		size = (gsize)stream->left;
	}
	stream->left -= size;
	soup_message_body_append_bytes(body, bytes);
	if (stream->left == 0)
		soup_message_body_complete(body);
	soup_server_message_unpause(stream->msg);
}

static void
cb_http_file_read_next(CbHttpFileStream *stream)
{
	if (stream->reading || stream->finished || stream->left == 0)
		return;
	stream->reading = TRUE;
	g_input_stream_read_bytes_async(stream->input, MIN(stream->left, CB_HTTP_FILE_CHUNK),
					G_PRIORITY_DEFAULT, stream->cancellable,
					cb_http_file_read_cb, stream);
}

static void
cb_http_file_wrote_chunk_cb(SoupServerMessage *msg, gpointer user_data)
{
	cb_http_file_read_next(user_data);
}

static void
cb_http_file_finished_cb(SoupServerMessage *msg, gpointer user_data)
{
	CbHttpFileStream *stream = user_data;

	stream->finished = TRUE;
	if (stream->reading) {
		g_cancellable_cancel(stream->cancellable);
		return; /* the read's callback frees it */
	}
	cb_http_file_stream_free(stream);
}

gboolean
cb_http_reply_file(CbHttpRequest *request, const char *path, const char *content_type,
		   GError **error)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileInputStream) input = NULL;
	g_autoptr(GFileInfo) info = NULL;
	SoupMessageHeaders *headers = soup_server_message_get_response_headers(request->msg);
	SoupMessageBody *body = soup_server_message_get_response_body(request->msg);
	CbHttpFileStream *stream;

	input = g_file_read(file, NULL, NULL);
	if (input != NULL)
		info = g_file_input_stream_query_info(input, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL,
						      NULL);
	if (info == NULL) {
		g_set_error_literal(error, CB_ERROR, CB_ERROR_NOT_FOUND, "the file cannot be read");
		return FALSE;
	}
	stream = g_new0(CbHttpFileStream, 1);
	stream->msg = g_object_ref(request->msg);
	stream->input = G_INPUT_STREAM(g_steal_pointer(&input));
	stream->cancellable = g_cancellable_new();
	stream->left = (guint64)g_file_info_get_size(info);
	soup_server_message_set_status(request->msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_replace(headers, "Cache-Control", "no-store");
	soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
	soup_message_headers_set_content_type(headers, content_type, NULL);
	soup_message_headers_set_content_length(headers, (goffset)stream->left);
	/* written chunks are dropped, not kept for the whole body */
	soup_message_body_set_accumulate(body, FALSE);
	g_signal_connect(request->msg, "wrote-chunk", G_CALLBACK(cb_http_file_wrote_chunk_cb),
			 stream);
	g_signal_connect(request->msg, "finished", G_CALLBACK(cb_http_file_finished_cb), stream);
	if (stream->left == 0) {
		soup_message_body_complete(body);
		return TRUE;
	}
	/* nothing goes out until the first chunk is there */
	soup_server_message_pause(request->msg);
	cb_http_file_read_next(stream);
	return TRUE;
}
