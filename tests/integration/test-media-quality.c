#define G_LOG_DOMAIN "CbTestMediaQuality"

/*
 * Connection quality and /metrics against the real daemon: GStreamer test
 * peers (tests/cb-test-peer.c) publish and subscribe over /api/v1/ws; staff
 * subscribed to the session get `quality` events, an operator does not; a
 * scrape of /metrics with a staff token holds to the Prometheus text format
 * (tests/cb-test-metrics.c, and promtool when installed) and shows the
 * connected peers, by room id only. Run inside `unshare -n` with loopback up.
 */

#include <math.h>
#include <string.h>

#include "cb-test-metrics.h"
#include "media-fixture.h"

#define CITIZEN_NAME "Lê Thị Riêng Tư"
#define BP_NAME      "Phường 0" /* media-fixture's first bridge point */

/* quality events every second */
#define STATS "stats-interval-seconds=1"

/* the hall and the bridge point publish; each receives the other */
static void
start_media(MediaFixture *f, CbTestSig *staff, CbTestSig *op)
{
	CbTestPeer *see_bp, *see_hall;

	cb_test_sig_publish(staff, f->session, "hall-cam", 160);
	cb_test_sig_publish(op, f->session, "cam", 176);
	see_bp = cb_test_sig_subscribe(staff, f->session, f->bp_id[0], "see-bp");
	see_hall = cb_test_sig_subscribe(op, f->session, "hall", "see-hall");
	CB_TEST_WAIT_UNTIL(cb_test_peer_frames(see_bp) > 5 && cb_test_peer_frames(see_hall) > 5);
}

/* a quality event whose @member is @value and whose bitrate is above 0, taken */
static JsonObject *
take_flowing(CbTestSig *sig, const char *member, const char *value)
{
	JsonObject *event;

	while ((event = cb_test_sig_take(sig, "quality", member, value)) != NULL) {
		if (json_object_get_double_member(event, "bitrate_kbps") > 0)
			return event;
		json_object_unref(event);
	}
	return NULL;
}

static JsonObject *
wait_flowing(CbTestSig *sig, const char *member, const char *value)
{
	JsonObject *event = NULL;

	/* the first sample is a baseline: two intervals at least */
	CB_TEST_WAIT_UNTIL((event = take_flowing(sig, member, value)) != NULL);
	return event;
}

/* a measure is null (unknown) or a number in [min, max] */
static void
assert_measure(JsonObject *event, const char *name, double min, double max)
{
	JsonNode *node = json_object_get_member(event, name);
	double value;

	g_assert_nonnull(node);
	if (JSON_NODE_HOLDS_NULL(node))
		return;
	value = json_node_get_double(node);
	g_assert_true(isfinite(value));
	g_assert_cmpfloat(value, >=, min);
	g_assert_cmpfloat(value, <=, max);
}

static void
assert_quality_event(MediaFixture *f, JsonObject *event, const char *kind, const char *role)
{
	static const char *const allowed[] = {"type",         "session_id", "id",   "kind",
					      "role",         "rtt_ms",     "loss", "jitter_ms",
					      "bitrate_kbps", NULL};
	g_autoptr(GList) members = json_object_get_members(event);
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), event);
	g_autofree char *text = json_to_string(node, FALSE);

	g_test_message("%s", text);
	for (GList *l = members; l != NULL; l = l->next)
		g_assert_true(g_strv_contains(allowed, l->data));
	g_assert_cmpint(json_object_get_int_member(event, "session_id"), ==, f->session);
	g_assert_cmpstr(json_object_get_string_member(event, "kind"), ==, kind);
	g_assert_cmpstr(json_object_get_string_member(event, "role"), ==, role);
	assert_measure(event, "rtt_ms", 0, 10000);
	assert_measure(event, "loss", 0, 1);
	assert_measure(event, "jitter_ms", 0, 10000);
	assert_measure(event, "bitrate_kbps", 0, 100000);
	/* room ids only: no name, no token */
	g_assert_null(strstr(text, "cbt_"));
	g_assert_null(strstr(text, BP_NAME));
	g_assert_null(strstr(text, f->staff));
	g_assert_null(strstr(text, f->op[0]));
}

/* staff subscribed to the session see the quality of the hall, the bridge
 * point and the subscribers; an operator subscribed to it sees none */
static void
test_quality_events(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op = cb_test_sig_connect(f->d, f->op[0]);
	g_autoptr(JsonObject) hall = NULL;
	g_autoptr(JsonObject) bp = NULL;
	g_autoptr(JsonObject) sub = NULL;
	g_autoptr(JsonObject) pong = NULL;
	JsonObject *leftover;

	media_subscribe_events(f, staff);
	media_subscribe_events(f, op);
	start_media(f, staff, op);
	hall = wait_flowing(staff, "id", "hall");
	bp = wait_flowing(staff, "id", f->bp_id[0]);
	sub = wait_flowing(staff, "role", "subscriber");
	assert_quality_event(f, hall, "hall", "publisher");
	/* a publisher's client sends no receiver reports: no round trip */
	g_assert_true(json_node_is_null(json_object_get_member(hall, "rtt_ms")));
	g_assert_false(json_node_is_null(json_object_get_member(hall, "loss")));
	assert_quality_event(f, bp, "bridge_point", "publisher");
	assert_quality_event(f, sub, json_object_get_string_member(sub, "kind"), "subscriber");
	g_assert_true(g_str_has_prefix(json_object_get_string_member(sub, "id"), "s"));

	/* the operator's connection is answered in order: what the staff got
	 * before, it would have got before its pong */
	cb_test_sig_send(op, "{\"type\":\"ping\"}");
	pong = cb_test_sig_wait(op, "pong", NULL, NULL);
	leftover = cb_test_sig_take(op, "quality", NULL, NULL);
	if (leftover != NULL)
		g_error("an operator was sent a quality event");
}

/* ---- /metrics ---- */

static guint
scrape(MediaFixture *f, const char *method, const char *token, char **text, char **content_type)
{
	g_auto(CbTestReply) r = cb_test_request(f->d, method, "/metrics", token, NULL, NULL);

	if (text != NULL)
		*text = g_strdup(r.body);
	if (content_type != NULL)
		*content_type = g_strdup(soup_message_headers_get_one(r.headers, "Content-Type"));
	return r.status;
}

static double
value_of(CbTestMetrics *m, const char *name, const char *label, const char *value)
{
	const CbTestSample *s = cb_test_metrics_find(m, name, label, value, NULL);

	if (s == NULL)
		g_error("no sample %s{%s=\"%s\"}", name, label ? label : "", value ? value : "");
	return s->value;
}

static double
peers_of(CbTestMetrics *m, const char *kind, const char *role)
{
	const CbTestSample *s = cb_test_metrics_find(m, "civic_bridge_media_peers", "kind", kind,
						     "role", role, NULL);

	g_assert_nonnull(s);
	return s->value;
}

/* every family /metrics promises, with its type */
static void
assert_families(CbTestMetrics *m)
{
	static const char *const families[][2] = {
		{"civic_bridge_build_info", "gauge"},
		{"process_start_time_seconds", "gauge"},
		{"civic_bridge_uptime_seconds", "gauge"},
		{"process_cpu_seconds_total", "counter"},
		{"process_resident_memory_bytes", "gauge"},
		{"process_open_fds", "gauge"},
		{"process_max_fds", "gauge"},
		{"civic_bridge_http_requests_total", "counter"},
		{"civic_bridge_http_connections", "gauge"},
		{"civic_bridge_websocket_clients", "gauge"},
		{"civic_bridge_sessions", "gauge"},
		{"civic_bridge_queue_tickets", "gauge"},
		{"civic_bridge_media_rooms", "gauge"},
		{"civic_bridge_media_peers", "gauge"},
		{"civic_bridge_peer_rtt_seconds", "gauge"},
		{"civic_bridge_peer_packet_loss_ratio", "gauge"},
		{"civic_bridge_peer_jitter_seconds", "gauge"},
		{"civic_bridge_peer_media_bytes_per_second", "gauge"},
		{"civic_bridge_keyframe_requests_total", "counter"},
		{"civic_bridge_media_lane_overruns_total", "counter"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(families); i++) {
		g_assert_cmpstr(g_hash_table_lookup(m->types, families[i][0]), ==, families[i][1]);
		g_assert_nonnull(g_hash_table_lookup(m->helps, families[i][0]));
	}
}

/* per-peer samples carry exactly session_id, peer (a room id) and kind */
static void
assert_peer_labels(MediaFixture *f, CbTestMetrics *m)
{
	g_autofree char *session = g_strdup_printf("%" G_GINT64_FORMAT, f->session);
	g_autoptr(GRegex) room_id = g_regex_new("^(hall|citizen|bp-[0-9]+|s[0-9]+)$", 0, 0, NULL);

	for (guint i = 0; i < m->samples->len; i++) {
		const CbTestSample *s = g_ptr_array_index(m->samples, i);

		if (!g_str_has_prefix(s->name, "civic_bridge_peer_") &&
		    !g_str_equal(s->name, "civic_bridge_keyframe_requests_total"))
			continue;
		g_assert_cmpuint(g_hash_table_size(s->labels), ==, 3);
		g_assert_cmpstr(g_hash_table_lookup(s->labels, "session_id"), ==, session);
		g_assert_true(
			g_regex_match(room_id, g_hash_table_lookup(s->labels, "peer"), 0, NULL));
		g_assert_nonnull(g_hash_table_lookup(s->labels, "kind"));
	}
}

static void
assert_peer_quality(CbTestMetrics *m, const char *peer)
{
	const CbTestSample *bitrate = cb_test_metrics_find(
		m, "civic_bridge_peer_media_bytes_per_second", "peer", peer, NULL);
	const CbTestSample *loss =
		cb_test_metrics_find(m, "civic_bridge_peer_packet_loss_ratio", "peer", peer, NULL);
	const CbTestSample *jitter =
		cb_test_metrics_find(m, "civic_bridge_peer_jitter_seconds", "peer", peer, NULL);
	const CbTestSample *rtt =
		cb_test_metrics_find(m, "civic_bridge_peer_rtt_seconds", "peer", peer, NULL);

	g_assert_nonnull(bitrate);
	g_assert_cmpfloat(bitrate->value, >, 0);
	if (loss != NULL)
		g_assert_true(loss->value >= 0 && loss->value <= 1);
	if (jitter != NULL)
		g_assert_true(jitter->value >= 0 && jitter->value < 10);
	if (rtt != NULL)
		g_assert_true(rtt->value >= 0 && rtt->value < 10);
}

static void
assert_no_secret(MediaFixture *f, const char *text)
{
	g_assert_null(strstr(text, "cbt_"));
	g_assert_null(strstr(text, f->staff));
	g_assert_null(strstr(text, f->op[0]));
	g_assert_null(strstr(text, f->d->admin_token));
	g_assert_null(strstr(text, CITIZEN_NAME));
	g_assert_null(strstr(text, BP_NAME));
}

/* who may scrape: staff and admins; not operators, not without a token */
static void
test_metrics_access(MediaFixture *f, gconstpointer data)
{
	g_autofree char *refused = NULL;
	g_autofree char *type = NULL;
	g_autofree char *text = NULL;

	g_assert_cmpuint(scrape(f, "GET", NULL, &refused, NULL), ==, 401);
	g_assert_nonnull(strstr(refused, "\"unauthenticated\""));
	g_assert_cmpuint(scrape(f, "GET", f->op[0], NULL, NULL), ==, 403);
	g_assert_cmpuint(scrape(f, "GET", "cbt_not-a-real-token", NULL, NULL), ==, 401);
	g_assert_cmpuint(scrape(f, "POST", f->staff, NULL, NULL), ==, 405);
	g_assert_cmpuint(scrape(f, "GET", f->d->admin_token, &text, &type), ==, 200);
	g_assert_cmpstr(type, ==, "text/plain; version=0.0.4; charset=utf-8");
	assert_no_secret(f, text);
}

/* a scrape while the hall and a bridge point are connected */
static void
test_metrics(MediaFixture *f, gconstpointer data)
{
	g_autoptr(CbTestSig) staff = cb_test_sig_connect(f->d, f->staff);
	g_autoptr(CbTestSig) op = cb_test_sig_connect(f->d, f->op[0]);
	g_autofree char *ticket = g_strdup_printf("{\"category\":\"complaint\",\"summary\":\"Đất "
						  "đai\",\"session_id\":%" G_GINT64_FORMAT
						  ",\"citizen_name\":\"" CITIZEN_NAME "\"}",
						  f->session);
	g_autoptr(JsonNode) registered =
		media_call(f, "POST", "/api/v1/tickets", f->staff, ticket, 201);
	g_autoptr(JsonObject) s1 = NULL;
	g_autoptr(JsonObject) s2 = NULL;
	g_autoptr(CbTestMetrics) m = NULL;
	const CbTestSample *lane;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	const char *first_sub;

	media_subscribe_events(f, staff);
	start_media(f, staff, op);
	json_object_unref(wait_flowing(staff, "id", "hall"));
	json_object_unref(wait_flowing(staff, "id", f->bp_id[0]));
	s1 = wait_flowing(staff, "role", "subscriber");
	first_sub = json_object_get_string_member(s1, "id");
	do {
		g_clear_pointer(&s2, json_object_unref);
		s2 = wait_flowing(staff, "role", "subscriber");
	} while (g_str_equal(json_object_get_string_member(s2, "id"), first_sub));

	g_assert_cmpuint(scrape(f, "GET", f->staff, &text, NULL), ==, 200);
	g_test_message("%s", text);
	m = cb_test_metrics_parse(text, &error);
	g_assert_no_error(error);
	if (!cb_test_metrics_promtool(text))
		g_test_message("promtool is not installed: its check is left out");
	assert_families(m);
	assert_no_secret(f, text);
	g_assert_cmpfloat(value_of(m, "civic_bridge_build_info", NULL, NULL), ==, 1);
	g_assert_cmpfloat(value_of(m, "process_start_time_seconds", NULL, NULL), >, 1e9);
	g_assert_cmpfloat(value_of(m, "process_open_fds", NULL, NULL), >, 3);
	g_assert_cmpfloat(value_of(m, "process_resident_memory_bytes", NULL, NULL), >, 1e6);
	g_assert_cmpfloat(value_of(m, "civic_bridge_http_requests_total", "class", "2xx"), >=, 4);
	g_assert_cmpfloat(value_of(m, "civic_bridge_websocket_clients", NULL, NULL), ==, 2);
	/* at least the connection asking */
	g_assert_cmpfloat(value_of(m, "civic_bridge_http_connections", NULL, NULL), >=, 1);
	g_assert_cmpfloat(value_of(m, "civic_bridge_sessions", "state", "live"), ==, 1);
	g_assert_cmpfloat(value_of(m, "civic_bridge_queue_tickets", "state", "waiting"), ==, 1);
	g_assert_cmpfloat(value_of(m, "civic_bridge_media_rooms", NULL, NULL), ==, 1);
	g_assert_cmpfloat(peers_of(m, "hall", "publisher"), ==, 1);
	g_assert_cmpfloat(peers_of(m, "bridge_point", "publisher"), ==, 1);
	g_assert_cmpfloat(peers_of(m, "citizen", "publisher"), ==, 0);
	/* the staff's subscription (hall or viewer) and the bridge point's */
	g_assert_cmpfloat(peers_of(m, "hall", "subscriber") + peers_of(m, "viewer", "subscriber"),
			  ==, 1);
	g_assert_cmpfloat(peers_of(m, "bridge_point", "subscriber"), ==, 1);
	assert_peer_labels(f, m);
	assert_peer_quality(m, "hall");
	assert_peer_quality(m, f->bp_id[0]);
	assert_peer_quality(m, first_sub);
	assert_peer_quality(m, json_object_get_string_member(s2, "id"));
	/* the hall's subscription asked the bridge point for a keyframe */
	g_assert_cmpfloat(value_of(m, "civic_bridge_keyframe_requests_total", "peer", f->bp_id[0]),
			  >=, 1);
	g_assert_nonnull(cb_test_metrics_find(m, "civic_bridge_keyframe_requests_total", "peer",
					      "hall", NULL));
	/* one process-wide count without labels (tests/test-room.c makes it move) */
	lane = cb_test_metrics_find(m, "civic_bridge_media_lane_overruns_total", NULL, NULL);
	g_assert_nonnull(lane);
	g_assert_cmpuint(g_hash_table_size(lane->labels), ==, 0);
	g_assert_cmpfloat(lane->value, >=, 0);
	/* a publisher's client sends no receiver reports: no round trip */
	g_assert_null(
		cb_test_metrics_find(m, "civic_bridge_peer_rtt_seconds", "peer", "hall", NULL));
}

int
main(int argc, char **argv)
{
	gst_init(&argc, &argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/civic-bridge/media-quality/staff-events", MediaFixture, STATS,
		   media_fixture_setup, test_quality_events, media_fixture_teardown);
	g_test_add("/civic-bridge/media-quality/metrics-access", MediaFixture, STATS,
		   media_fixture_setup, test_metrics_access, media_fixture_teardown);
	g_test_add("/civic-bridge/media-quality/metrics", MediaFixture, STATS, media_fixture_setup,
		   test_metrics, media_fixture_teardown);
	return g_test_run();
}
