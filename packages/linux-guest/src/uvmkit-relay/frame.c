/* The guest side's frame codec: see frame.h. */
#include "frame.h"

#include <string.h>

const uint8_t relay_sync_marker[RELAY_SYNC_MARKER_LEN] = {
    RF_SYNC, 0, RELAY_SYNC_PAYLOAD, 0, 0, 0, 0, 0, 'U', 'V', 'M', 'K', 'S', 'Y', 'N', 'C',
};

void relay_put_header(uint8_t *out, uint8_t type, uint16_t len, uint32_t stream) {
  out[0] = type;
  out[1] = 0;
  relay_put16(out + 2, len);
  relay_put32(out + 4, stream);
}

void relay_parser_init(struct relay_parser *p) {
  p->scanning = 1;
  p->have = 0;
  p->resets = 0;
}

void relay_parser_resync(struct relay_parser *p) {
  p->scanning = 1;
  p->have = 0;
  p->resets++;
}

/* Header-only checks: what can be rejected before the payload arrives. */
static const char *check_header(const uint8_t *h) {
  uint8_t type = h[0];
  uint16_t len = relay_get16(h + 2);
  if (h[1] != 0) return "nonzero flags";
  if (len > RELAY_MAX_PAYLOAD) return "payload longer than 32760 bytes";
  switch (type) {
  case RF_SYNC: case RF_OPEN: case RF_OPEN_OK: case RF_OPEN_FAIL: case RF_DATA:
  case RF_CREDIT: case RF_CLOSE: case RF_RESET:
    return NULL;
  case RF_PAD:
    return "zero frame type";
  default:
    return "frame type not sent by the host";
  }
}

const char *relay_check_host_frame(const struct relay_frame *f) {
  int host_id = f->stream != 0 && (f->stream & 1u) == 0; /* host-opened stream */
  int guest_id = (f->stream & 1u) == 1;                  /* guest-opened stream */
  switch (f->type) {
  case RF_SYNC:
    if (f->stream != 0 || f->len != RELAY_SYNC_PAYLOAD) return "bad SYNC shape";
    if (memcmp(f->payload, RELAY_MAGIC_SYNC, 8) != 0) return "bad SYNC magic";
    return NULL;
  case RF_OPEN:
    return host_id && f->len == 16 ? NULL : "bad OPEN shape";
  case RF_OPEN_OK:
    return guest_id && f->len == 0 ? NULL : "bad OPEN_OK shape";
  case RF_OPEN_FAIL:
    return guest_id && f->len >= 4 && f->len <= 4 + RELAY_MAX_REASON ? NULL : "bad OPEN_FAIL shape";
  case RF_DATA:
    return f->stream != 0 && f->len > 0 ? NULL : "bad DATA shape";
  case RF_CREDIT: {
    if (f->stream == 0 || f->len != 4) return "bad CREDIT shape";
    uint32_t v = relay_get32(f->payload);
    return v > 0 && v <= RELAY_WINDOW ? NULL : "bad CREDIT value";
  }
  case RF_CLOSE:
    return f->stream != 0 && f->len == 0 ? NULL : "bad CLOSE shape";
  case RF_RESET:
    return f->stream != 0 && f->len == 4 ? NULL : "bad RESET shape";
  default:
    return "frame type not sent by the host";
  }
}

/* A protocol error: drop one byte and scan what is buffered for the next SYNC marker. */
static void fail(struct relay_parser *p, const struct relay_parser_cb *cb, const char *why) {
  p->scanning = 1;
  if (p->have > 0) {
    memmove(p->buf, p->buf + 1, p->have - 1);
    p->have--;
  }
  if (cb->on_error != NULL) cb->on_error(cb->ctx, why);
}

/* Scanning: returns 1 with the marker at buf[0]; else keeps at most MARKER_LEN-1 bytes of tail. */
static int scan(struct relay_parser *p) {
  if (p->have < RELAY_SYNC_MARKER_LEN) return 0;
  size_t last = p->have - RELAY_SYNC_MARKER_LEN;
  for (size_t i = 0; i <= last; i++) {
    const uint8_t *c = memchr(p->buf + i, RF_SYNC, last - i + 1);
    if (c == NULL) break;
    i = (size_t)(c - p->buf);
    if (memcmp(c, relay_sync_marker, RELAY_SYNC_MARKER_LEN) == 0) {
      memmove(p->buf, c, p->have - i);
      p->have -= i;
      p->scanning = 0;
      return 1;
    }
  }
  size_t keep = RELAY_SYNC_MARKER_LEN - 1;
  memmove(p->buf, p->buf + p->have - keep, keep);
  p->have = keep;
  return 0;
}

/* Move buf[off..have) to the front. */
static void compact(struct relay_parser *p, size_t off) {
  if (off == 0) return;
  memmove(p->buf, p->buf + off, p->have - off);
  p->have -= off;
}

/*
 * Consume what is buffered: every complete frame is handed over in place (no copy); what is left
 * is at most one partial frame (or, scanning, a marker's length of tail), moved to the front once.
 */
static void process(struct relay_parser *p, const struct relay_parser_cb *cb) {
  size_t off = 0;
  for (;;) {
    if (p->scanning) {
      compact(p, off);
      off = 0;
      if (!scan(p)) return;
      continue;
    }
    const uint8_t *b = p->buf + off;
    size_t have = p->have - off;
    if (have < RELAY_HDR) break;
    const char *why = check_header(b);
    if (why == NULL) {
      size_t total = RELAY_HDR + relay_get16(b + 2);
      if (have < total) break;
      struct relay_frame f = {
          .type = b[0], .len = relay_get16(b + 2), .stream = relay_get32(b + 4), .payload = b + RELAY_HDR,
      };
      unsigned resets = p->resets;
      why = relay_check_host_frame(&f);
      if (why == NULL) why = cb->on_frame(cb->ctx, &f);
      if (p->resets != resets) return; /* the callback resynced: the buffer is gone */
      if (why == NULL) {
        off += total;
        continue;
      }
    }
    compact(p, off);
    off = 0;
    fail(p, cb, why);
  }
  compact(p, off);
}

uint8_t *relay_parser_space(struct relay_parser *p, size_t *room) {
  *room = sizeof p->buf - p->have;
  return p->buf + p->have;
}

void relay_parser_commit(struct relay_parser *p, size_t n, const struct relay_parser_cb *cb) {
  p->have += n;
  process(p, cb);
}

void relay_parser_feed(struct relay_parser *p, const uint8_t *data, size_t n, const struct relay_parser_cb *cb) {
  while (n > 0) {
    size_t room;
    uint8_t *dst = relay_parser_space(p, &room);
    size_t take = n < room ? n : room;
    memcpy(dst, data, take);
    data += take;
    n -= take;
    relay_parser_commit(p, take, cb);
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int relay_guid_parse(const char *text, uint8_t out[16]) {
  size_t j = 0;
  for (size_t i = 0; i < 36; i++) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return -1;
      continue;
    }
    int hi = hexval(c);
    if (hi < 0) return -1;
    int lo = hexval(text[++i]);
    if (lo < 0) return -1;
    out[j++] = (uint8_t)(hi << 4 | lo);
  }
  return text[36] == '\0' ? 0 : -1;
}

void relay_guid_format(const uint8_t g[16], char out[37]) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (size_t i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = hex[g[i] >> 4];
    out[o++] = hex[g[i] & 15];
  }
  out[o] = '\0';
}
