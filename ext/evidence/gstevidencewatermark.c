/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-evidencewatermark
 * @title: evidencewatermark
 *
 * Burns the camera id, the location and the capture time visibly into raw
 * video, for pipelines that decode and re-encode anyway (a transcoded clip
 * loses the Media Signing proof; the burnt-in text at least says where and
 * when the picture comes from). Place it before the encoder.
 *
 * The time is the capture time carried on each buffer
 * (GstReferenceTimestampMeta `timestamp/x-unix`, set by ipcamsrc), else the
 * wall clock when the buffer passes. It is shown in
 * #GstEvidenceWatermark:time-zone (default: the local time zone) with its
 * UTC offset, so that a reader need not guess.
 *
 * The bin wraps one textoverlay (pango) whose text it updates per buffer.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=100 !
 *   evidencewatermark camera-id=cam-07 location-text="Cong chao, Phuong 1"
 *   latitude=10.7769 longitude=106.7009 ! videoconvert ! x264enc !
 *   mp4mux ! filesink location=watermarked.mp4
 * ]|
 *
 * The element posts no bus messages.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <anninh/capture-time.h>
#include "gstevidencewatermark.h"

GST_DEBUG_CATEGORY_STATIC (gst_evidence_watermark_debug);
#define GST_CAT_DEFAULT gst_evidence_watermark_debug

#define DEFAULT_CAMERA_ID NULL
#define DEFAULT_LOCATION_TEXT NULL
#define DEFAULT_LATITUDE 0.0
#define DEFAULT_LONGITUDE 0.0
#define DEFAULT_FONT_SIZE 0
#define DEFAULT_POSITION GST_EVIDENCE_WATERMARK_TOP_LEFT
#define DEFAULT_TIME_ZONE NULL

enum
{
  PROP_0,
  PROP_CAMERA_ID,
  PROP_LOCATION_TEXT,
  PROP_LATITUDE,
  PROP_LONGITUDE,
  PROP_FONT_SIZE,
  PROP_POSITION,
  PROP_TIME_ZONE,
};

struct _GstEvidenceWatermark
{
  GstBin parent;

  GstElement *overlay;          /* owned by the bin */

  /* GST_OBJECT_LOCK */
  gchar *camera_id;
  gchar *location_text;
  gdouble latitude, longitude;
  gint font_size;
  GstEvidenceWatermarkPosition position;
  gchar *time_zone;
  GTimeZone *tz;                /* from time_zone */
  gint last_height;             /* for automatic font size */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw"));

#define gst_evidence_watermark_parent_class parent_class
G_DEFINE_TYPE (GstEvidenceWatermark, gst_evidence_watermark, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (evidencewatermark, "evidencewatermark",
    GST_RANK_NONE, GST_TYPE_EVIDENCE_WATERMARK,
    GST_DEBUG_CATEGORY_INIT (gst_evidence_watermark_debug,
        "evidencewatermark", 0, "camera/place/time burn-in"));

GType
gst_evidence_watermark_position_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_EVIDENCE_WATERMARK_TOP_LEFT, "Top left corner", "top-left"},
    {GST_EVIDENCE_WATERMARK_TOP_RIGHT, "Top right corner", "top-right"},
    {GST_EVIDENCE_WATERMARK_BOTTOM_LEFT, "Bottom left corner", "bottom-left"},
    {GST_EVIDENCE_WATERMARK_BOTTOM_RIGHT, "Bottom right corner",
        "bottom-right"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstEvidenceWatermarkPosition", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* Applies position and font to the overlay; call WITHOUT the object lock:
 * setting a child's property notifies up to the bin, which takes our lock. */
static void
apply_layout (GstEvidenceWatermark * self)
{
  gint size, halign, valign;
  gchar *font;
  GstEvidenceWatermarkPosition pos;

  if (self->overlay == NULL)
    return;
  GST_OBJECT_LOCK (self);
  size = self->font_size;
  if (size <= 0) {
    /* About 1/30 of the picture height, readable on a 360p preview. */
    size = self->last_height > 0 ? MAX (8, self->last_height / 30 * 72 / 96)
        : 14;
  }
  pos = self->position;
  GST_OBJECT_UNLOCK (self);

  font = g_strdup_printf ("Sans Bold %d", size);
  /* textoverlay: halign 0 left 2 right; valign 1 bottom 2 top */
  halign = (pos == GST_EVIDENCE_WATERMARK_TOP_RIGHT
      || pos == GST_EVIDENCE_WATERMARK_BOTTOM_RIGHT) ? 2 : 0;
  valign = (pos == GST_EVIDENCE_WATERMARK_BOTTOM_LEFT
      || pos == GST_EVIDENCE_WATERMARK_BOTTOM_RIGHT) ? 1 : 2;
  g_object_set (self->overlay, "font-desc", font, "halignment", halign,
      "valignment", valign, NULL);
  g_free (font);
}

static gchar *
make_text (GstEvidenceWatermark * self, guint64 utc_ns)
{
  GString *s = g_string_new (NULL);
  GDateTime *dt;
  gchar *when;

  dt = g_date_time_new_from_unix_utc ((gint64) (utc_ns / GST_SECOND));
  if (dt) {
    GDateTime *local = g_date_time_to_timezone (dt, self->tz);

    when = g_date_time_format (local, "%Y-%m-%d %H:%M:%S UTC%:z");
    g_date_time_unref (local);
    g_date_time_unref (dt);
  } else {
    when = g_strdup ("time unknown");
  }

  if (self->camera_id && *self->camera_id)
    g_string_append_printf (s, "%s\n", self->camera_id);
  if (self->location_text && *self->location_text)
    g_string_append_printf (s, "%s\n", self->location_text);
  /* 0,0 (Gulf of Guinea) means "not set". */
  if (self->latitude != 0.0 || self->longitude != 0.0)
    g_string_append_printf (s, "%.5f%s %.5f%s\n", fabs (self->latitude),
        self->latitude >= 0 ? "N" : "S", fabs (self->longitude),
        self->longitude >= 0 ? "E" : "W");
  g_string_append (s, when);
  g_free (when);
  return g_string_free (s, FALSE);
}

static GstPadProbeReturn
on_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstEvidenceWatermark *self = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  guint64 utc_ns;
  gchar *text;

  if (!anninh_buffer_get_capture_time (buf, &utc_ns))
    utc_ns = (guint64) g_get_real_time () * 1000;
  GST_OBJECT_LOCK (self);
  text = make_text (self, utc_ns);
  GST_OBJECT_UNLOCK (self);
  GST_LOG_OBJECT (self, "text: %s", text);
  g_object_set (self->overlay, "text", text, NULL);
  g_free (text);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_event (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstEvidenceWatermark *self = user_data;
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gint height = 0;

    gst_event_parse_caps (ev, &caps);
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "height",
        &height);
    GST_OBJECT_LOCK (self);
    self->last_height = height;
    GST_OBJECT_UNLOCK (self);
    apply_layout (self);
  }
  return GST_PAD_PROBE_OK;
}

static void
gst_evidence_watermark_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstEvidenceWatermark *self = GST_EVIDENCE_WATERMARK (object);
  gboolean relayout = FALSE;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CAMERA_ID:
      g_free (self->camera_id);
      self->camera_id = g_value_dup_string (value);
      break;
    case PROP_LOCATION_TEXT:
      g_free (self->location_text);
      self->location_text = g_value_dup_string (value);
      break;
    case PROP_LATITUDE:
      self->latitude = g_value_get_double (value);
      break;
    case PROP_LONGITUDE:
      self->longitude = g_value_get_double (value);
      break;
    case PROP_FONT_SIZE:
      self->font_size = g_value_get_int (value);
      relayout = TRUE;
      break;
    case PROP_POSITION:
      self->position = g_value_get_enum (value);
      relayout = TRUE;
      break;
    case PROP_TIME_ZONE:{
      GTimeZone *tz = NULL;

      g_free (self->time_zone);
      self->time_zone = g_value_dup_string (value);
      if (self->time_zone)
        tz = g_time_zone_new_identifier (self->time_zone);
      if (tz == NULL) {
        if (self->time_zone)
          GST_WARNING_OBJECT (self, "unknown time zone %s, using local time",
              self->time_zone);
        tz = g_time_zone_new_local ();
      }
      g_time_zone_unref (self->tz);
      self->tz = tz;
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
  if (relayout)
    apply_layout (self);
}

static void
gst_evidence_watermark_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstEvidenceWatermark *self = GST_EVIDENCE_WATERMARK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_CAMERA_ID:
      g_value_set_string (value, self->camera_id);
      break;
    case PROP_LOCATION_TEXT:
      g_value_set_string (value, self->location_text);
      break;
    case PROP_LATITUDE:
      g_value_set_double (value, self->latitude);
      break;
    case PROP_LONGITUDE:
      g_value_set_double (value, self->longitude);
      break;
    case PROP_FONT_SIZE:
      g_value_set_int (value, self->font_size);
      break;
    case PROP_POSITION:
      g_value_set_enum (value, self->position);
      break;
    case PROP_TIME_ZONE:
      g_value_set_string (value, self->time_zone);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_evidence_watermark_finalize (GObject * object)
{
  GstEvidenceWatermark *self = GST_EVIDENCE_WATERMARK (object);

  g_free (self->camera_id);
  g_free (self->location_text);
  g_free (self->time_zone);
  g_time_zone_unref (self->tz);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_evidence_watermark_class_init (GstEvidenceWatermarkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = gst_evidence_watermark_set_property;
  gobject_class->get_property = gst_evidence_watermark_get_property;
  gobject_class->finalize = gst_evidence_watermark_finalize;

  /**
   * GstEvidenceWatermark:camera-id:
   *
   * Camera identifier, first line of the text.
   */
  g_object_class_install_property (gobject_class, PROP_CAMERA_ID,
      g_param_spec_string ("camera-id", "Camera id",
          "Camera identifier shown on the first line; NULL = none",
          DEFAULT_CAMERA_ID, rw));
  /**
   * GstEvidenceWatermark:location-text:
   *
   * Where the camera is, in words (address, landmark).
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION_TEXT,
      g_param_spec_string ("location-text", "Location text",
          "Where the camera is, in words (address); NULL = none",
          DEFAULT_LOCATION_TEXT, rw));
  /**
   * GstEvidenceWatermark:latitude:
   *
   * WGS84 latitude in degrees; the coordinates are shown unless both are 0.
   */
  g_object_class_install_property (gobject_class, PROP_LATITUDE,
      g_param_spec_double ("latitude", "Latitude",
          "WGS84 latitude in degrees (0 with longitude 0 = not shown)", -90.0,
          90.0, DEFAULT_LATITUDE, rw));
  /**
   * GstEvidenceWatermark:longitude:
   *
   * WGS84 longitude in degrees.
   */
  g_object_class_install_property (gobject_class, PROP_LONGITUDE,
      g_param_spec_double ("longitude", "Longitude",
          "WGS84 longitude in degrees (0 with latitude 0 = not shown)",
          -180.0, 180.0, DEFAULT_LONGITUDE, rw));
  /**
   * GstEvidenceWatermark:font-size:
   *
   * Font size in points; 0 scales with the picture height.
   */
  g_object_class_install_property (gobject_class, PROP_FONT_SIZE,
      g_param_spec_int ("font-size", "Font size",
          "Font size in points (0 = about 1/30 of the picture height)", 0,
          500, DEFAULT_FONT_SIZE, rw));
  /**
   * GstEvidenceWatermark:position:
   *
   * Corner of the picture the text sits in.
   */
  g_object_class_install_property (gobject_class, PROP_POSITION,
      g_param_spec_enum ("position", "Position",
          "Corner of the picture the text sits in",
          GST_TYPE_EVIDENCE_WATERMARK_POSITION, DEFAULT_POSITION, rw));
  /**
   * GstEvidenceWatermark:time-zone:
   *
   * Time zone identifier the time is shown in (e.g. "Asia/Ho_Chi_Minh",
   * "UTC"); NULL is the local time zone. The UTC offset is always shown.
   */
  g_object_class_install_property (gobject_class, PROP_TIME_ZONE,
      g_param_spec_string ("time-zone", "Time zone",
          "Time zone the capture time is shown in, e.g. Asia/Ho_Chi_Minh; "
          "NULL = local", DEFAULT_TIME_ZONE, rw));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Evidence watermark", "Filter/Editor/Video",
      "Burns camera id, location and capture time visibly into raw video",
      "gst-anninh developers");

  gst_type_mark_as_plugin_api (GST_TYPE_EVIDENCE_WATERMARK_POSITION, 0);
}

static void
gst_evidence_watermark_init (GstEvidenceWatermark * self)
{
  GstPad *pad, *ghost;

  self->camera_id = DEFAULT_CAMERA_ID;
  self->location_text = DEFAULT_LOCATION_TEXT;
  self->latitude = DEFAULT_LATITUDE;
  self->longitude = DEFAULT_LONGITUDE;
  self->font_size = DEFAULT_FONT_SIZE;
  self->position = DEFAULT_POSITION;
  self->time_zone = DEFAULT_TIME_ZONE;
  self->tz = g_time_zone_new_local ();

  self->overlay = gst_element_factory_make ("textoverlay", NULL);
  if (self->overlay == NULL) {
    /* Missing gst-plugins-base pango: a bin without pads fails to link
     * with a clear "no textoverlay" in the debug log. */
    GST_ERROR_OBJECT (self, "textoverlay (gst-plugins-base pango) missing");
    return;
  }
  g_object_set (self->overlay, "shaded-background", TRUE, "line-alignment",
      0, "wait-text", FALSE, NULL);
  apply_layout (self);
  gst_bin_add (GST_BIN (self), self->overlay);

  pad = gst_element_get_static_pad (self->overlay, "video_sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, self, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_event, self,
      NULL);
  ghost = gst_ghost_pad_new_from_template ("sink", pad,
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
          "sink"));
  gst_object_unref (pad);
  gst_element_add_pad (GST_ELEMENT (self), ghost);

  pad = gst_element_get_static_pad (self->overlay, "src");
  ghost = gst_ghost_pad_new_from_template ("src", pad,
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
          "src"));
  gst_object_unref (pad);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
}
