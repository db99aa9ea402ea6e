/*
 * libFuzzer target: the relay's guest-side frame parser on arbitrary host bytes, fed in arbitrary
 * splits, with on_frame rejecting some frames. Every frame it delivers must be valid and in bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "uvmkit-relay/frame.c"

static struct relay_parser parser;

static const char *on_frame(void *ctx, const struct relay_frame *f) {
  (void)ctx;
  if (f->len > RELAY_MAX_PAYLOAD || relay_check_host_frame(f) != NULL) abort();
  uint8_t sum = 0;
  for (size_t i = 0; i < f->len; i++) sum ^= f->payload[i]; /* touch every byte (ASan) */
  if (f->type == RF_CLOSE && sum != 0) abort();                /* a CLOSE has no payload */
  return (f->type == RF_DATA && f->len % 5 == 0) ? "rejected" : NULL;
}

static void on_error(void *ctx, const char *why) {
  (void)ctx;
  if (why == NULL) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const struct relay_parser_cb cb = {.on_frame = on_frame, .on_error = on_error};
  if (size < 1) return 0;
  relay_parser_init(&parser);
  parser.scanning = data[0] & 1; /* start inside or outside the scan */
  size_t step = (size_t)(data[0] >> 1) + 1;
  /* half the time, prepend a SYNC so the fuzzer reaches the framed path at once */
  uint8_t sync[RELAY_HDR + RELAY_SYNC_PAYLOAD] = {0};
  memcpy(sync, relay_sync_marker, RELAY_SYNC_MARKER_LEN);
  if (data[0] & 2) relay_parser_feed(&parser, sync, sizeof sync, &cb);
  for (size_t at = 1; at < size; at += step)
    relay_parser_feed(&parser, data + at, size - at < step ? size - at : step, &cb);
  if (parser.have > sizeof parser.buf) abort();
  /* the GUID parser on a NUL-terminated copy */
  char text[40];
  size_t n = size - 1 < sizeof text - 1 ? size - 1 : sizeof text - 1;
  memcpy(text, data + 1, n);
  text[n] = '\0';
  uint8_t g[16];
  char back[37];
  if (relay_guid_parse(text, g) == 0) {
    relay_guid_format(g, back);
    if (strncasecmp(back, text, 36) != 0) abort();
  }
  return 0;
}
