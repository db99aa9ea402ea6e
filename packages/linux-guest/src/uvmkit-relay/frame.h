/*
 * The HvSocket relay's frame codec, guest side (packages/hcs-emulator/PROTOCOL-RELAY.md).
 * Pure: no I/O, no allocation. The parser takes host→guest bytes in arbitrary splits, validates
 * every frame's shape, and after a protocol error (or at start) scans for the SYNC marker,
 * discarding whatever comes before it.
 */
#ifndef UVMKIT_RELAY_FRAME_H
#define UVMKIT_RELAY_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define RELAY_VERSION 1
#define RELAY_HDR 8
#define RELAY_MAX_FRAME 32768
#define RELAY_MAX_PAYLOAD (RELAY_MAX_FRAME - RELAY_HDR)
#define RELAY_WINDOW (256u * 1024u)
#define RELAY_MAX_STREAMS 128
#define RELAY_MAX_LISTENERS 64
#define RELAY_MAX_REASON 200
#define RELAY_SYNC_PAYLOAD 24
#define RELAY_HELLO_BASE 24
#define RELAY_MAGIC_SYNC "UVMKSYNC"
#define RELAY_MAGIC_HELLO "UVMKHELO"
/* The marker the guest scans for: a SYNC frame's header plus its magic. */
#define RELAY_SYNC_MARKER_LEN 16

enum relay_type {
  RF_PAD = 0, /* never valid: the zero bytes of the host's pad */
  RF_SYNC = 1,
  RF_HELLO = 2,
  RF_RESYNC = 3,
  RF_OPEN = 4,
  RF_OPEN_OK = 5,
  RF_OPEN_FAIL = 6,
  RF_DATA = 7,
  RF_CREDIT = 8,
  RF_CLOSE = 9,
  RF_RESET = 10,
  RF_LISTEN = 11,
  RF_UNLISTEN = 12,
};

enum relay_fail {
  RELAY_FAIL_REFUSED = 1,
  RELAY_FAIL_LIMIT = 2,
  RELAY_FAIL_UNAVAILABLE = 3,
  RELAY_FAIL_TIMEOUT = 4,
  RELAY_FAIL_INTERNAL = 5,
};

struct relay_frame {
  uint8_t type;
  uint16_t len;
  uint32_t stream;
  const uint8_t *payload;
};

/* Two frames of room: after every complete frame is consumed at most one partial frame is left, so
 * a reader always has at least RELAY_MAX_FRAME bytes to read into (relay_parser_space). */
#define RELAY_PARSER_BUF (2 * RELAY_MAX_FRAME)

struct relay_parser {
  int scanning;
  size_t have;
  unsigned resets; /* relay_parser_resync calls: a callback that resynced ends the current pass */
  uint8_t buf[RELAY_PARSER_BUF];
};

/*
 * on_frame returns 0, or a static message for a semantic protocol error (the parser then resyncs).
 * on_error is told every protocol error, with the reason; the parser is scanning afterwards.
 */
struct relay_parser_cb {
  const char *(*on_frame)(void *ctx, const struct relay_frame *f);
  void (*on_error)(void *ctx, const char *reason);
  void *ctx;
};

void relay_parser_init(struct relay_parser *p);
/* Discard any partial frame and scan for the next SYNC marker. */
void relay_parser_resync(struct relay_parser *p);
void relay_parser_feed(struct relay_parser *p, const uint8_t *data, size_t n, const struct relay_parser_cb *cb);
/*
 * Zero-copy input: read straight into the parser. `space` gives where to write and how much room
 * there is (at least RELAY_MAX_FRAME); `commit` takes the n bytes written there, as feed would.
 */
uint8_t *relay_parser_space(struct relay_parser *p, size_t *room);
void relay_parser_commit(struct relay_parser *p, size_t n, const struct relay_parser_cb *cb);
/* Shape check of one complete host→guest frame; NULL when valid, else the reason. */
const char *relay_check_host_frame(const struct relay_frame *f);

static inline uint16_t relay_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t relay_get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void relay_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void relay_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
/* Write a header at out[0..8). */
void relay_put_header(uint8_t *out, uint8_t type, uint16_t len, uint32_t stream);
/* The 16-byte SYNC marker. */
extern const uint8_t relay_sync_marker[RELAY_SYNC_MARKER_LEN];

/* GUIDs travel as 16 bytes in textual order. 0 on success. Output text is lower-case, 36 chars + NUL. */
int relay_guid_parse(const char *text, uint8_t out[16]);
void relay_guid_format(const uint8_t guid[16], char out[37]);

#endif
