#define G_LOG_DOMAIN "CbRecording"

/* Writing and reading a recording's manifest (see cb-manifest.h for the
 * format). Every entry is one write() of a whole line followed by
 * fdatasync(): the official record must survive a crash of the daemon or of
 * the machine, and an entry is acknowledged only once it is on disk. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "civic-bridge/cb-error.h"
#include "civic-bridge/cb-manifest.h"

#define CB_MANIFEST_HASH_LEN 64

struct _CbManifest {
	char *path;
	int fd;
	guint64 n_entries;
	char last_hash[CB_MANIFEST_HASH_LEN + 1];
	char *last_type;
	off_t length; /* bytes of whole lines */
	gsize discarded;
};

static char *
cb_manifest_sha256(const char *text, gsize length)
{
	return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, length);
}

/* --- one line ---------------------------------------------------------------- */

/* parses "<hash> <json>" and checks the hash; the entry, or NULL with @why */
static JsonObject *
cb_manifest_parse_line(const char *line, gsize length, char **hash, char **why)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *computed = NULL;
	JsonNode *root;

	if (length < CB_MANIFEST_HASH_LEN + 3 || line[CB_MANIFEST_HASH_LEN] != ' ') {
		*why = g_strdup("not a manifest entry");
		return NULL;
	}
	computed = cb_manifest_sha256(line + CB_MANIFEST_HASH_LEN + 1,
				      length - CB_MANIFEST_HASH_LEN - 1);
	if (strncmp(computed, line, CB_MANIFEST_HASH_LEN) != 0) {
		*why = g_strdup("its hash does not match its content (the entry was changed)");
		return NULL;
	}
	if (!json_parser_load_from_data(parser, line + CB_MANIFEST_HASH_LEN + 1,
					(gssize)(length - CB_MANIFEST_HASH_LEN - 1), NULL) ||
	    (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		*why = g_strdup("its content is not a JSON object");
		return NULL;
	}
	*hash = g_strndup(line, CB_MANIFEST_HASH_LEN);
	return json_object_ref(json_node_get_object(root));
}

/* checks @entry follows the entry of hash @prev and number @seq - 1 */
static gboolean
cb_manifest_check_chain(JsonObject *entry, const char *prev, guint64 seq, char **why)
{
	const char *said = json_object_get_string_member_with_default(entry, "prev", "");

	if (g_strcmp0(said, prev) != 0) {
		*why = g_strdup("its link to the previous entry is broken (an entry before it was "
				"changed, removed or inserted)");
		return FALSE;
	}
	if ((guint64)json_object_get_int_member_with_default(entry, "seq", 0) != seq) {
		*why = g_strdup_printf("its number is not %" G_GUINT64_FORMAT, seq);
		return FALSE;
	}
	return TRUE;
}

/* --- the last entry ------------------------------------------------------- */

/* an entry is a few hundred bytes: its line ends within this much of the end */
#define CB_MANIFEST_TAIL_BYTES 16384

gboolean
cb_manifest_ends_with_stop(const char *path)
{
	g_autofree char *tail = g_malloc(CB_MANIFEST_TAIL_BYTES + 1);
	g_autofree char *hash = NULL, *why = NULL;
	g_autoptr(JsonObject) entry = NULL;
	struct stat st;
	const char *line;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return FALSE;
	if (fstat(fd, &st) != 0 || st.st_size == 0) {
		close(fd);
		return FALSE;
	}
	n = pread(fd, tail, MIN((off_t)CB_MANIFEST_TAIL_BYTES, st.st_size),
		  MAX((off_t)0, st.st_size - CB_MANIFEST_TAIL_BYTES));
	close(fd);
	/* no newline at the end: the daemon stopped in the middle of an entry */
	if (n <= 0 || tail[n - 1] != '\n')
		return FALSE;
	tail[n - 1] = '\0';
	line = strrchr(tail, '\n');
	line = line != NULL ? line + 1 : tail;
	/* the last line did not fit: not a line this daemon writes */
	if (line == tail && st.st_size > CB_MANIFEST_TAIL_BYTES)
		return FALSE;
	entry = cb_manifest_parse_line(line, strlen(line), &hash, &why);
	return entry != NULL &&
	       g_strcmp0(json_object_get_string_member_with_default(entry, "type", ""), "stop") ==
		       0;
}

/* --- reading --------------------------------------------------------------- */

typedef gboolean (*CbManifestLineFunc)(guint64 number, const char *line, gsize length,
				       gpointer user_data);

/* calls @func for every whole line of @fp; returns the bytes of whole lines
 * and, in @tail, those of an unfinished last line */
static off_t
cb_manifest_each_line(FILE *fp, CbManifestLineFunc func, gpointer user_data, gsize *tail)
{
	char *line = NULL;
	size_t capacity = 0;
	ssize_t n;
	off_t whole = 0;
	guint64 number = 0;

	*tail = 0;
	while ((n = getline(&line, &capacity, fp)) > 0) {
		if (line[n - 1] != '\n') {
			*tail = (gsize)n;
			break;
		}
		whole += n;
		if (!func(++number, line, (gsize)n - 1, user_data))
			break;
	}
	free(line);
	return whole;
}

typedef struct {
	GPtrArray *entries;
	GPtrArray *problems;
	char prev[CB_MANIFEST_HASH_LEN + 1];
	guint64 seq;
	gboolean strict; /* stop at the first problem */
} CbManifestReader;

static gboolean
cb_manifest_read_line_cb(guint64 number, const char *line, gsize length, gpointer user_data)
{
	CbManifestReader *reader = user_data;
	g_autofree char *why = NULL;
	g_autofree char *hash = NULL;
	g_autoptr(JsonObject) entry = cb_manifest_parse_line(line, length, &hash, &why);

	reader->seq++;
	if (entry != NULL && !cb_manifest_check_chain(entry, reader->prev, reader->seq, &why))
		g_clear_pointer(&entry, json_object_unref);
	if (entry == NULL) {
		g_ptr_array_add(
			reader->problems,
			g_strdup_printf("manifest line %" G_GUINT64_FORMAT ": %s", number, why));
		/* the chain goes on from what this line says it is */
		if (hash == NULL && length > CB_MANIFEST_HASH_LEN)
			hash = g_strndup(line, CB_MANIFEST_HASH_LEN);
		if (hash != NULL)
			g_strlcpy(reader->prev, hash, sizeof(reader->prev));
		return !reader->strict;
	}
	g_strlcpy(reader->prev, hash, sizeof(reader->prev));
	g_ptr_array_add(reader->entries, g_steal_pointer(&entry));
	return TRUE;
}

/* the entries of @fp; @last_hash (may be NULL) gets the last entry's hash */
static GPtrArray *
cb_manifest_read_file(FILE *fp, GPtrArray *problems, gboolean strict, off_t *whole, gsize *tail,
		      char *last_hash)
{
	CbManifestReader reader = {
		.entries = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref),
		.problems = problems,
		.strict = strict,
	};

	g_strlcpy(reader.prev, CB_MANIFEST_GENESIS, sizeof(reader.prev));
	*whole = cb_manifest_each_line(fp, cb_manifest_read_line_cb, &reader, tail);
	if (last_hash != NULL)
		g_strlcpy(last_hash, reader.prev, CB_MANIFEST_HASH_LEN + 1);
	return reader.entries;
}

GPtrArray *
cb_manifest_read(const char *path, GPtrArray *problems, GError **error)
{
	FILE *fp = fopen(path, "re");
	GPtrArray *entries;
	off_t whole;
	gsize tail;

	if (fp == NULL) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot read the manifest %s: %s", path, g_strerror(saved));
		return NULL;
	}
	entries = cb_manifest_read_file(fp, problems, FALSE, &whole, &tail, NULL);
	fclose(fp);
	if (tail > 0)
		g_ptr_array_add(
			problems,
			g_strdup_printf(
				"the manifest ends in an unfinished line of %" G_GSIZE_FORMAT
				" bytes (the daemon stopped while writing it)",
				tail));
	return entries;
}

/* --- writing --------------------------------------------------------------- */

static gboolean
cb_manifest_write_all(CbManifest *manifest, const char *data, gsize length, GError **error)
{
	gsize done = 0;

	while (done < length) {
		ssize_t n = write(manifest->fd, data + done, length - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = n < 0 ? errno : ENOSPC;
			/* no half line stays behind an error */
			if (ftruncate(manifest->fd, manifest->length) != 0)
				g_warning("cannot cut a failed entry off %s", manifest->path);
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
				    "cannot write the manifest %s: %s", manifest->path,
				    g_strerror(saved));
			return FALSE;
		}
		done += (gsize)n;
	}
	if (fdatasync(manifest->fd) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot flush the manifest %s: %s", manifest->path, g_strerror(saved));
		return FALSE;
	}
	return TRUE;
}

static char *
cb_manifest_now(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();

	return g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
}

gboolean
cb_manifest_append(CbManifest *manifest, JsonObject *entry, GError **error)
{
	g_autoptr(JsonObject) line = json_object_new();
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autofree char *json = NULL;
	g_autofree char *hash = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GList) members = json_object_get_members(entry);
	g_autofree char *now = cb_manifest_now();
	gsize length;

	json_object_set_int_member(line, "seq", (gint64)manifest->n_entries + 1);
	json_object_set_string_member(line, "prev", manifest->last_hash);
	if (!json_object_has_member(entry, "time"))
		json_object_set_string_member(line, "time", now);
	for (GList *l = members; l != NULL; l = l->next)
		json_object_set_member(line, l->data,
				       json_node_copy(json_object_get_member(entry, l->data)));
	json_node_set_object(node, line);
	json_generator_set_root(generator, node);
	json = json_generator_to_data(generator, &length);
	hash = cb_manifest_sha256(json, length);
	text = g_strconcat(hash, " ", json, "\n", NULL);
	if (!cb_manifest_write_all(manifest, text, strlen(text), error))
		return FALSE;
	manifest->length += (off_t)strlen(text);
	manifest->n_entries++;
	g_strlcpy(manifest->last_hash, hash, sizeof(manifest->last_hash));
	g_free(manifest->last_type);
	manifest->last_type =
		g_strdup(json_object_get_string_member_with_default(entry, "type", ""));
	return TRUE;
}

/* --- opening ---------------------------------------------------------------- */

/* reads what is there, cuts an unfinished last line off, and refuses a
 * manifest whose chain does not hold */
static gboolean
cb_manifest_load(CbManifest *manifest, GError **error)
{
	g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) entries = NULL;
	FILE *fp = fopen(manifest->path, "re");
	off_t whole = 0;

	if (fp == NULL) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot read the manifest %s: %s", manifest->path, g_strerror(saved));
		return FALSE;
	}
	entries = cb_manifest_read_file(fp, problems, TRUE, &whole, &manifest->discarded,
					manifest->last_hash);
	fclose(fp);
	if (problems->len > 0) {
		g_set_error(error, CB_ERROR, CB_ERROR_CONFLICT,
			    "the manifest %s does not hold together, nothing is added to it: %s",
			    manifest->path, (const char *)g_ptr_array_index(problems, 0));
		return FALSE;
	}
	if (manifest->discarded > 0 && ftruncate(manifest->fd, whole) != 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot cut the unfinished line off %s: %s", manifest->path,
			    g_strerror(saved));
		return FALSE;
	}
	manifest->length = whole;
	manifest->n_entries = entries->len;
	if (entries->len > 0) {
		JsonObject *last = g_ptr_array_index(entries, entries->len - 1);
		manifest->last_type =
			g_strdup(json_object_get_string_member_with_default(last, "type", ""));
	}
	return TRUE;
}

CbManifest *
cb_manifest_open(const char *path, GError **error)
{
	g_autoptr(CbManifest) manifest = g_new0(CbManifest, 1);

	manifest->path = g_strdup(path);
	g_strlcpy(manifest->last_hash, CB_MANIFEST_GENESIS, sizeof(manifest->last_hash));
	manifest->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (manifest->fd < 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot open the manifest %s: %s", path, g_strerror(saved));
		return NULL;
	}
	if (!cb_manifest_load(manifest, error))
		return NULL;
	/* entries before, and no clean stop: the daemon stopped in the middle */
	if (manifest->n_entries > 0 && g_strcmp0(manifest->last_type, "stop") != 0) {
		g_autoptr(JsonObject) entry = json_object_new();
		json_object_set_string_member(entry, "type", "interrupted");
		json_object_set_int_member(entry, "after_seq", (gint64)manifest->n_entries);
		json_object_set_int_member(entry, "discarded_bytes", (gint64)manifest->discarded);
		if (!cb_manifest_append(manifest, entry, error))
			return NULL;
	}
	return g_steal_pointer(&manifest);
}

void
cb_manifest_close(CbManifest *manifest)
{
	if (manifest == NULL)
		return;
	if (manifest->fd >= 0)
		close(manifest->fd);
	g_free(manifest->path);
	g_free(manifest->last_type);
	g_free(manifest);
}

guint64
cb_manifest_get_n_entries(CbManifest *manifest)
{
	return manifest->n_entries;
}

const char *
cb_manifest_get_last_hash(CbManifest *manifest)
{
	return manifest->last_hash;
}

gsize
cb_manifest_get_discarded_bytes(CbManifest *manifest)
{
	return manifest->discarded;
}

/* --- entries ------------------------------------------------------------------ */

gboolean
cb_manifest_hash_file(const char *path, char **sha256, guint64 *size, GError **error)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autofree guchar *buffer = g_malloc(64 * 1024);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	guint64 total = 0;
	ssize_t n;

	if (fd < 0) {
		int saved = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
			    "cannot read %s: %s", path, g_strerror(saved));
		return FALSE;
	}
	while ((n = read(fd, buffer, 64 * 1024)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			close(fd);
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
				    "cannot read %s: %s", path, g_strerror(saved));
			return FALSE;
		}
		g_checksum_update(checksum, buffer, (gsize)n);
		total += (guint64)n;
	}
	close(fd);
	*sha256 = g_strdup(g_checksum_get_string(checksum));
	*size = total;
	return TRUE;
}

static char *
cb_manifest_format_time(gint64 us)
{
	g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	g_autoptr(GDateTime) exact = g_date_time_add(time, us % G_USEC_PER_SEC);

	return g_date_time_format(exact, "%Y-%m-%dT%H:%M:%S.%fZ");
}

gboolean
cb_manifest_add_segment(CbManifest *manifest, const char *folder, const CbManifestSegment *segment,
			GError **error)
{
	g_autofree char *path = g_build_filename(folder, segment->file, NULL);
	g_autofree char *sha256 = NULL;
	g_autofree char *start = cb_manifest_format_time(segment->start_us);
	g_autofree char *end = cb_manifest_format_time(segment->end_us);
	g_autoptr(JsonObject) entry = json_object_new();
	guint64 size = 0;

	if (!cb_manifest_hash_file(path, &sha256, &size, error))
		return FALSE;
	json_object_set_string_member(entry, "type", "segment");
	json_object_set_string_member(entry, "file", segment->file);
	json_object_set_int_member(entry, "part", segment->part);
	json_object_set_string_member(entry, "peer", segment->peer);
	json_object_set_string_member(entry, "track", segment->track);
	json_object_set_string_member(entry, "start", start);
	json_object_set_string_member(entry, "end", end);
	json_object_set_int_member(entry, "start_us", segment->start_us);
	json_object_set_int_member(entry, "end_us", segment->end_us);
	json_object_set_int_member(entry, "bytes", (gint64)size);
	json_object_set_string_member(entry, "sha256", sha256);
	return cb_manifest_append(manifest, entry, error);
}

gboolean
cb_manifest_add_event(CbManifest *manifest, const char *event, const char *subject,
		      const char *detail, GError **error)
{
	g_autoptr(JsonObject) entry = json_object_new();

	json_object_set_string_member(entry, "type", "event");
	json_object_set_string_member(entry, "event", event);
	if (subject != NULL)
		json_object_set_string_member(entry, "subject", subject);
	if (detail != NULL)
		json_object_set_string_member(entry, "detail", detail);
	return cb_manifest_append(manifest, entry, error);
}
