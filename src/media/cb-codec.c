#define G_LOG_DOMAIN "CbRoom"

/*
 * Codec negotiation: what one media section of a client's offer can carry,
 * which codec and payload type the room uses for it, and the elements that
 * depayload and payload each codec. The room never decodes: H.264 is
 * depayloaded and parsed (to repeat SPS/PPS before every keyframe), never
 * decoded.
 *
 * H.264 is usable when the offer gives packetization-mode=1 (non-interleaved:
 * what rtph264pay sends and every browser takes) and a constrained baseline
 * profile (RFC 6184 table 5: profile-level-id 42 with constraint_set1, 4d
 * with constraint_set0, 58 with constraint_set0 and 1). A missing
 * profile-level-id reads as constrained baseline level 3.1, as libwebrtc
 * reads it. The level is not compared: the room forwards, and encoders in
 * browsers and bridge points stay within level 3.1 to 4.2, which every
 * receiving browser decodes.
 *
 * Header extensions: the room forwards only the client-to-mixer audio level
 * (RFC 6464), so it answers only that one; its id is the one each client
 * offered (JSEP answers keep the offerer's ids), so a publisher's and a
 * subscriber's ids differ freely and the payloader of each subscriber writes
 * the subscriber's.
 */

#include "cb-media-private.h"

#include <gst/rtp/rtp.h>
#include <string.h>

#define CB_URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

const char *
cb_codec_name(CbCodec codec)
{
	switch (codec) {
	case CB_CODEC_VP8:
		return "VP8";
	case CB_CODEC_H264:
		return "H.264";
	case CB_CODEC_OPUS:
		return "Opus";
	case CB_CODEC_NONE:
	default:
		return "none";
	}
}

/* the payload type of an rtpmap attribute naming @encoding, or -1 */
static gint
cb_codec_rtpmap_pt(const char *value, const char *encoding)
{
	const char *space = value != NULL ? strchr(value, ' ') : NULL;
	g_autofree char *num = NULL;
	guint64 pt = 0;

	if (space == NULL || g_ascii_strncasecmp(space + 1, encoding, strlen(encoding)) != 0)
		return -1;
	num = g_strndup(value, space - value);
	if (!g_ascii_string_to_unsigned(num, 10, 0, 127, &pt, NULL))
		return -1;
	return (gint)pt;
}

/* the parameters of the fmtp attribute of @pt, or NULL if it has none */
static const char *
cb_codec_fmtp(const GstSDPMedia *media, gint pt)
{
	g_autofree char *prefix = g_strdup_printf("%d ", pt);

	for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
		const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, i);

		if (g_strcmp0(attr->key, "fmtp") == 0 && attr->value != NULL &&
		    g_str_has_prefix(attr->value, prefix))
			return attr->value + strlen(prefix);
	}
	return NULL;
}

static gboolean
cb_codec_constrained_baseline(const char *plid)
{
	guint8 bytes[3];

	if (strlen(plid) != 6)
		return FALSE;
	for (guint i = 0; i < 3; i++) {
		gint hi = g_ascii_xdigit_value(plid[2 * i]);
		gint lo = g_ascii_xdigit_value(plid[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return FALSE;
		bytes[i] = (guint8)(hi << 4 | lo);
	}
	return (bytes[0] == 0x42 && (bytes[1] & 0x40)) || (bytes[0] == 0x4d && (bytes[1] & 0x80)) ||
	       (bytes[0] == 0x58 && (bytes[1] & 0xc0) == 0xc0);
}

/* NULL if the fmtp of an H.264 payload type is one the room forwards, else why not */
static const char *
cb_codec_h264_problem(const char *fmtp)
{
	g_auto(GStrv) params = NULL;
	const char *mode = NULL;
	const char *plid = NULL;

	if (fmtp == NULL)
		return "no fmtp, so packetization-mode 0";
	params = g_strsplit(fmtp, ";", 0);
	for (guint i = 0; params[i] != NULL; i++) {
		char *param = g_strstrip(params[i]);
		char *eq = strchr(param, '=');

		if (param[0] == '\0')
			continue;
		if (eq == NULL || eq == param)
			return "a malformed fmtp (parameters are key=value; RFC 6184)";
		*eq = '\0';
		if (g_ascii_strcasecmp(param, "packetization-mode") == 0)
			mode = eq + 1;
		else if (g_ascii_strcasecmp(param, "profile-level-id") == 0)
			plid = eq + 1;
	}
	if (g_strcmp0(mode, "1") != 0)
		return "packetization-mode other than 1";
	if (plid != NULL && !cb_codec_constrained_baseline(plid))
		return "a profile-level-id other than constrained baseline (such as 42e01f)";
	return NULL;
}

/* the first usable H.264 payload type; records why others are not */
static void
cb_codec_find_h264(const GstSDPMedia *media, CbCodecOffer *offer)
{
	for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
		const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, i);
		gint pt = -1;
		const char *problem;

		if (g_strcmp0(attr->key, "rtpmap") == 0)
			pt = cb_codec_rtpmap_pt(attr->value, "H264/90000");
		if (pt < 0)
			continue;
		problem = cb_codec_h264_problem(cb_codec_fmtp(media, pt));
		if (problem == NULL) {
			offer->offered[CB_CODEC_H264] = TRUE;
			offer->pt[CB_CODEC_H264] = (guint)pt;
			offer->h264_problem = NULL;
			return;
		}
		if (offer->h264_problem == NULL)
			offer->h264_problem = problem;
	}
}

static void
cb_codec_find(const GstSDPMedia *media, CbCodec codec, const char *encoding, CbCodecOffer *offer)
{
	for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
		const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, i);
		gint pt = g_strcmp0(attr->key, "rtpmap") == 0
				  ? cb_codec_rtpmap_pt(attr->value, encoding)
				  : -1;

		if (pt >= 0) {
			offer->offered[codec] = TRUE;
			offer->pt[codec] = (guint)pt;
			return;
		}
	}
}

/* RFC 8285: ids 1-14 in the one-byte form; 15-255 only where the two-byte
 * form is allowed (a=extmap-allow-mixed) */
static gboolean
cb_codec_parse_extmaps(const GstSDPMessage *msg, const GstSDPMedia *media, guint index,
		       CbTrack track, CbCodecOffer *offer, GError **error)
{
	gboolean mixed = gst_sdp_media_get_attribute_val(media, "extmap-allow-mixed") != NULL ||
			 gst_sdp_message_get_attribute_val(msg, "extmap-allow-mixed") != NULL;

	for (guint i = 0; i < gst_sdp_media_attributes_len(media); i++) {
		const GstSDPAttribute *attr = gst_sdp_media_get_attribute(media, i);
		g_auto(GStrv) fields = NULL;
		g_autofree char *num = NULL;
		guint64 id = 0;

		if (g_strcmp0(attr->key, "extmap") != 0)
			continue;
		fields = g_strsplit(attr->value != NULL ? attr->value : "", " ", 3);
		if (fields[0] != NULL)
			num = g_strndup(fields[0], strcspn(fields[0], "/"));
		if (g_strv_length(fields) < 2 ||
		    !g_ascii_string_to_unsigned(num, 10, 0, G_MAXUINT32, &id, NULL)) {
			g_set_error(error, CB_ERROR, CB_ERROR_INVALID,
				    "media section %u has a malformed extmap (RFC 8285: "
				    "'extmap:<id> <uri>')",
				    index);
			return FALSE;
		}
		if (id == 0 || id > 255 || (id >= 15 && !mixed)) {
			g_set_error(
				error, CB_ERROR, CB_ERROR_INVALID,
				"media section %u maps a header extension to id %" G_GUINT64_FORMAT
				", out of range (1-14%s; RFC 8285)",
				index, id, mixed ? ", or 15-255 with extmap-allow-mixed" : "");
			return FALSE;
		}
		/* the answer cannot allow the two-byte form (webrtcbin 1.22 does not
		 * answer extmap-allow-mixed): a level mapped above 14 is not forwarded */
		if (track == CB_TRACK_AUDIO && g_str_equal(fields[1], CB_URI_AUDIO_LEVEL) &&
		    id < 15)
			offer->audio_level_id = (guint)id;
	}
	return TRUE;
}

gboolean
cb_codec_parse_section(const GstSDPMessage *msg, const GstSDPMedia *media, guint index,
		       CbTrack track, CbCodecOffer *offer, GError **error)
{
	memset(offer, 0, sizeof(*offer));
	if (track == CB_TRACK_AUDIO) {
		cb_codec_find(media, CB_CODEC_OPUS, "opus/48000", offer);
		if (!offer->offered[CB_CODEC_OPUS]) {
			g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
				    "media section %u offers no Opus", index);
			return FALSE;
		}
	} else {
		cb_codec_find(media, CB_CODEC_VP8, "VP8/90000", offer);
		cb_codec_find_h264(media, offer);
		if (!offer->offered[CB_CODEC_VP8] && !offer->offered[CB_CODEC_H264]) {
			if (offer->h264_problem != NULL)
				g_set_error(
					error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
					"media section %u offers no VP8, and H.264 only with "
					"%s; the room forwards VP8, or H.264 with "
					"packetization-mode=1 and a constrained baseline profile",
					index, offer->h264_problem);
			else
				g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
					    "media section %u offers no VP8 and no H.264", index);
			return FALSE;
		}
	}
	return cb_codec_parse_extmaps(msg, media, index, track, offer, error);
}

CbCodec
cb_codec_choose(const CbCodecOffer *offer, CbCodec required, CbCodec preferred, const char *why,
		GError **error)
{
	if (required != CB_CODEC_NONE) {
		if (offer->offered[required])
			return required;
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
			    "%s %s, and the offer has no usable %s%s%s", why,
			    cb_codec_name(required), cb_codec_name(required),
			    required == CB_CODEC_H264 && offer->h264_problem != NULL ? ": it has "
										     : "",
			    required == CB_CODEC_H264 && offer->h264_problem != NULL
				    ? offer->h264_problem
				    : "");
		return CB_CODEC_NONE;
	}
	if (preferred != CB_CODEC_NONE && offer->offered[preferred])
		return preferred;
	return offer->offered[CB_CODEC_VP8] ? CB_CODEC_VP8 : CB_CODEC_H264;
}

/* ---- caps and elements ---- */

GstCaps *
cb_codec_section_caps(const GstSDPMedia *media, CbCodec codec, guint pt, guint audio_level_id)
{
	g_autoptr(GstCaps) offered = gst_sdp_media_get_caps_from_media(media, pt);
	GstStructure *in = offered != NULL ? gst_caps_get_structure(offered, 0) : NULL;
	gboolean audio = codec == CB_CODEC_OPUS;
	GstCaps *caps = gst_caps_new_simple(
		"application/x-rtp", "media", G_TYPE_STRING, audio ? "audio" : "video",
		"encoding-name", G_TYPE_STRING,
		audio ? "OPUS" : (codec == CB_CODEC_H264 ? "H264" : "VP8"), "clock-rate",
		G_TYPE_INT, audio ? 48000 : 90000, "payload", G_TYPE_INT, (gint)pt, NULL);
	GstStructure *out = gst_caps_get_structure(caps, 0);
	static const char *const copied[] = {
		"rtcp-fb-nack",       "rtcp-fb-nack-pli", "rtcp-fb-ccm-fir",
		"encoding-params",    "minptime",         "useinbandfec",
		"packetization-mode", "profile-level-id", "level-asymmetry-allowed",
	};

	for (guint i = 0; in != NULL && i < G_N_ELEMENTS(copied); i++) {
		const GValue *value = gst_structure_get_value(in, copied[i]);
		if (value != NULL)
			gst_structure_set_value(out, copied[i], value);
	}
	/* the only header extension the answer names: the room honours it. The
	 * form (direction, uri, attributes) is the one a payloader gives its
	 * caps, with the voice activity flag it writes */
	if (audio && audio_level_id != 0) {
		g_autofree char *field = g_strdup_printf("extmap-%u", audio_level_id);
		const char *parts[] = {"", CB_URI_AUDIO_LEVEL, "vad=on"};
		GValue array = G_VALUE_INIT;

		gst_value_array_init(&array, G_N_ELEMENTS(parts));
		for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
			GValue part = G_VALUE_INIT;

			g_value_init(&part, G_TYPE_STRING);
			g_value_set_string(&part, parts[i]);
			gst_value_array_append_and_take_value(&array, &part);
		}
		gst_structure_take_value(out, field, &array);
	}
	return caps;
}

static GstElement *
cb_codec_make(const char *factory, GError **error)
{
	GstElement *element = gst_element_factory_make(factory, NULL);

	if (element == NULL)
		g_set_error(error, CB_ERROR, CB_ERROR_INTERNAL,
			    "GStreamer element '%s' is missing (a plugin package is not installed)",
			    factory);
	return element;
}

static GstRTPHeaderExtension *
cb_codec_audio_level_extension(guint id)
{
	GstRTPHeaderExtension *ext = gst_rtp_header_extension_create_from_uri(CB_URI_AUDIO_LEVEL);

	if (ext == NULL) {
		g_warning("no RTP header extension for %s (gstreamer1.0-plugins-good >= 1.20)",
			  CB_URI_AUDIO_LEVEL);
		return NULL;
	}
	gst_rtp_header_extension_set_id(ext, id);
	return ext;
}

/* @rtp: a depayloader or payloader; the extensions it reads or writes are
 * the ones the room sets here, never ones it picks from caps */
void
cb_codec_set_extensions(GstElement *rtp, guint audio_level_id)
{
	g_signal_emit_by_name(rtp, "clear-extensions");
	if (audio_level_id != 0) {
		g_autoptr(GstRTPHeaderExtension) ext =
			cb_codec_audio_level_extension(audio_level_id);
		if (ext != NULL)
			g_signal_emit_by_name(rtp, "add-extension", ext);
	}
}

GstElement *
cb_codec_make_payloader(CbCodec codec, guint pt, guint audio_level_id, GError **error)
{
	GstElement *pay = cb_codec_make(codec == CB_CODEC_OPUS   ? "rtpopuspay"
					: codec == CB_CODEC_H264 ? "rtph264pay"
								 : "rtpvp8pay",
					error);

	if (pay == NULL)
		return NULL;
	g_object_set(pay, "pt", pt, "auto-header-extension", FALSE, NULL);
	if (codec == CB_CODEC_VP8)
		g_object_set(pay, "picture-id-mode", 2 /* 15 bits */, NULL);
	else if (codec == CB_CODEC_H264)
		/* SPS and PPS before every keyframe: a late joiner decodes from it */
		g_object_set(pay, "config-interval", -1, NULL);
	cb_codec_set_extensions(pay, audio_level_id);
	return pay;
}

/*
 * The elements that turn @codec's RTP into frames for a tee, in order, not
 * yet in a bin: a depayloader, and for H.264 a parser that puts SPS and PPS
 * before every keyframe and a capsfilter that fixes one stream format for
 * every subscriber's payloader. Returns how many (0 on error).
 */
guint
cb_codec_make_depayloader(CbCodec codec, GstElement *out[CB_MAX_DEPAY_ELEMENTS], GError **error)
{
	g_autoptr(GstCaps) caps = NULL;

	out[0] = cb_codec_make(codec == CB_CODEC_OPUS   ? "rtpopusdepay"
			       : codec == CB_CODEC_H264 ? "rtph264depay"
							: "rtpvp8depay",
			       error);
	if (out[0] == NULL)
		return 0;
	g_object_set(out[0], "auto-header-extension", FALSE, NULL);
	if (codec != CB_CODEC_H264)
		return 1;
	out[1] = cb_codec_make("h264parse", error);
	out[2] = out[1] != NULL ? cb_codec_make("capsfilter", error) : NULL;
	if (out[2] == NULL) {
		for (guint i = 0; i < 2; i++) {
			if (out[i] != NULL)
				gst_object_unref(gst_object_ref_sink(out[i]));
		}
		return 0;
	}
	caps = gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au");
	g_object_set(out[1], "config-interval", -1, NULL);
	g_object_set(out[2], "caps", caps, NULL);
	return 3;
}

/* ---- the room's rules ---- */

/* H.264 for publishers that offer both only while every peer that offered
 * video so far offered a usable H.264 too */
void
cb_codec_note_offer(CbRoom *room, const CbCodecOffer *offer)
{
	if (!offer->offered[CB_CODEC_H264])
		cb_room_veto_h264(room);
}

static CbCodec
cb_codec_preferred(CbRoom *room)
{
	return cb_room_get_h264_allowed(room) ? CB_CODEC_H264 : CB_CODEC_VP8;
}

static gboolean
cb_codec_fix_slot(CbRoom *room, CbSlot *slot, CbCodec codec, GError **error)
{
	if (slot->video_codec != CB_CODEC_NONE)
		return TRUE;
	g_debug("publisher %s: video is %s", slot->id, cb_codec_name(codec));
	return cb_slot_set_video_codec(slot, cb_room_get_pipeline(room), codec, error);
}

CbCodec
cb_codec_choose_for_publisher(CbRoom *room, CbPeer *peer, const CbCodecOffer *offer, GError **error)
{
	CbSlot *slot = peer->slot;
	CbCodec required = slot->video_codec;
	g_autofree char *why = NULL;
	CbCodec codec;

	if (required != CB_CODEC_NONE) {
		why = g_strdup_printf("publisher '%s' is received as", slot->id);
	} else if (cb_room_get_floor_holder(room) == slot &&
		   (required = cb_room_get_floor_codec(room)) != CB_CODEC_NONE) {
		why = g_strdup_printf("publisher '%s' has the floor, whose subscribers receive",
				      slot->id);
	}
	codec = cb_codec_choose(offer, required, cb_codec_preferred(room), why, error);
	if (codec == CB_CODEC_NONE || !cb_codec_fix_slot(room, slot, codec, error))
		return CB_CODEC_NONE;
	return codec;
}

CbCodec
cb_codec_choose_for_subscriber(CbRoom *room, CbPeer *peer, const CbCodecOffer *offer,
			       GError **error)
{
	CbCodec required = CB_CODEC_NONE;
	g_autofree char *why = NULL;
	CbSlot *slot;
	CbCodec codec;

	if (g_str_equal(peer->slot_id, CB_ROOM_SLOT_FLOOR)) {
		slot = cb_room_get_floor_holder(room);
		required = cb_room_get_floor_codec(room);
		if (required != CB_CODEC_NONE) {
			why = g_strdup("the floor's subscribers receive");
		} else if (slot != NULL && slot->video_codec != CB_CODEC_NONE) {
			required = slot->video_codec;
			why = g_strdup_printf("publisher '%s' has the floor and sends", slot->id);
		}
	} else {
		slot = cb_room_lookup_slot(room, peer->slot_id);
		required = slot->video_codec;
		why = g_strdup_printf("publisher '%s' sends", slot->id);
	}
	codec = cb_codec_choose(offer, required, cb_codec_preferred(room), why, error);
	if (codec == CB_CODEC_NONE ||
	    (slot != NULL && !cb_codec_fix_slot(room, slot, codec, error)))
		return CB_CODEC_NONE;
	return codec;
}

/* the floor carries one video codec while it has video subscribers: a
 * publisher of another one would leave them black */
gboolean
cb_codec_check_floor(CbRoom *room, CbSlot *slot, GError **error)
{
	CbCodec floor = cb_room_get_floor_codec(room);

	if (slot == NULL || floor == CB_CODEC_NONE)
		return TRUE;
	if (slot->video_codec == CB_CODEC_NONE)
		return cb_codec_fix_slot(room, slot, floor, error);
	if (slot->video_codec != floor) {
		g_set_error(error, CB_ERROR, CB_ERROR_UNSUPPORTED_MEDIA_TYPE,
			    "publisher '%s' sends %s, and the floor's subscribers receive %s; give "
			    "the floor to a %s publisher, or let them rejoin offering %s",
			    slot->id, cb_codec_name(slot->video_codec), cb_codec_name(floor),
			    cb_codec_name(floor), cb_codec_name(slot->video_codec));
		return FALSE;
	}
	return TRUE;
}

/* ---- a payloader sees only its own codec ---- */

typedef struct {
	CbCodec codec;
	gint matched; /* atomic: the last caps were of @codec */
} CbCodecGuard;

static gboolean
cb_codec_caps_match(GstCaps *caps, CbCodec codec)
{
	const GstStructure *s = gst_caps_get_structure(caps, 0);

	switch (codec) {
	case CB_CODEC_VP8:
		return gst_structure_has_name(s, "video/x-vp8");
	case CB_CODEC_H264:
		return gst_structure_has_name(s, "video/x-h264");
	case CB_CODEC_OPUS:
		return gst_structure_has_name(s, "audio/x-opus");
	case CB_CODEC_NONE:
	default:
		return FALSE;
	}
}

/* streaming thread */
static GstPadProbeReturn
cb_codec_guard_cb(GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
	CbCodecGuard *guard = user_data;

	if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
		GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
		GstCaps *caps = NULL;

		if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
			gst_event_parse_caps(event, &caps);
			g_atomic_int_set(&guard->matched, cb_codec_caps_match(caps, guard->codec));
		} else if (GST_EVENT_TYPE(event) != GST_EVENT_SEGMENT) {
			return GST_PAD_PROBE_OK;
		}
	}
	return g_atomic_int_get(&guard->matched) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

/*
 * The floor's tee keeps the caps of what it carried last. A subscriber
 * that joins the floor just after it moved from a publisher of another codec
 * (allowed while nobody received it) would hand its payloader those stale
 * caps before the new ones: until caps of its own codec come, the payloader
 * gets neither caps nor segment nor buffers.
 */
void
cb_codec_guard_payloader(GstElement *pay, CbCodec codec)
{
	g_autoptr(GstPad) sink = gst_element_get_static_pad(pay, "sink");
	CbCodecGuard *guard = g_new0(CbCodecGuard, 1);

	guard->codec = codec;
	gst_pad_add_probe(sink,
			  GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_BUFFER |
				  GST_PAD_PROBE_TYPE_BUFFER_LIST,
			  cb_codec_guard_cb, guard, g_free);
}
