/* Unit tests of the relay's guest-side frame parser (run under ASan/UBSan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uvmkit-relay/frame.c"

static int failures, checks;
#define CHECK(cond)                                                         \
  do {                                                                      \
    checks++;                                                               \
    if (!(cond)) {                                                          \
      failures++;                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                       \
  } while (0)

struct seen {
  int frames, errors, syncs, data_bytes;
  uint8_t last_type;
  uint32_t last_stream;
  const char *last_error;
  const char *reject; /* what on_frame answers for DATA */
};

static const char *on_frame(void *ctx, const struct relay_frame *f) {
  struct seen *s = ctx;
  s->frames++;
  s->last_type = f->type;
  s->last_stream = f->stream;
  if (f->type == RF_SYNC) s->syncs++;
  if (f->type == RF_DATA) {
    s->data_bytes += f->len;
    return s->reject;
  }
  return NULL;
}

static void on_error(void *ctx, const char *why) {
  struct seen *s = ctx;
  s->errors++;
  s->last_error = why;
}

static size_t frame(uint8_t *out, uint8_t type, uint32_t stream, const void *p, uint16_t len) {
  relay_put_header(out, type, len, stream);
  if (len) memcpy(out + RELAY_HDR, p, len);
  return RELAY_HDR + len;
}

static size_t sync_frame(uint8_t *out) {
  uint8_t p[RELAY_SYNC_PAYLOAD] = {0};
  memcpy(p, RELAY_MAGIC_SYNC, 8);
  memset(p + 8, 0xab, 8);
  relay_put16(p + 16, RELAY_VERSION);
  return frame(out, RF_SYNC, 0, p, sizeof p);
}

/* Feed `buf` in pieces of `step` bytes (0: all at once). */
static void feed(struct relay_parser *p, struct seen *s, const uint8_t *buf, size_t n, size_t step) {
  struct relay_parser_cb cb = {.on_frame = on_frame, .on_error = on_error, .ctx = s};
  if (step == 0) step = n;
  for (size_t at = 0; at < n; at += step) relay_parser_feed(p, buf + at, n - at < step ? n - at : step, &cb);
}

static struct relay_parser parser;
static uint8_t buf[4 * RELAY_MAX_FRAME];

static void test_scan_then_frames(void) {
  for (size_t step = 0; step <= 37; step++) {
    size_t n = 0;
    for (int i = 0; i < 300; i++) buf[n++] = (uint8_t)(i * 7 + 1); /* garbage, no marker */
    n += sync_frame(buf + n);
    n += frame(buf + n, RF_DATA, 2, "hello", 5);
    n += frame(buf + n, RF_CLOSE, 2, NULL, 0);
    uint8_t c[4];
    relay_put32(c, 1000);
    n += frame(buf + n, RF_CREDIT, 1, c, 4);
    struct seen s = {0};
    relay_parser_init(&parser);
    feed(&parser, &s, buf, n, step);
    CHECK(s.syncs == 1);
    CHECK(s.frames == 4);
    CHECK(s.errors == 0);
    CHECK(s.data_bytes == 5);
    CHECK(s.last_type == RF_CREDIT && s.last_stream == 1);
    CHECK(!parser.scanning && parser.have == 0);
  }
}

static void test_pad_ends_a_partial_frame(void) {
  /* a DATA header announcing 28 KiB, 100 bytes of it, then the host's pad and SYNC */
  for (size_t step = 0; step <= 4096; step = step ? step * 2 : 1) {
    size_t n = 0;
    relay_put_header(buf, RF_DATA, 28 * 1024, 2);
    n = RELAY_HDR + 100;
    memset(buf + RELAY_HDR, 0x55, 100);
    memset(buf + n, 0, RELAY_MAX_FRAME + RELAY_HDR);
    n += RELAY_MAX_FRAME + RELAY_HDR;
    n += sync_frame(buf + n);
    n += frame(buf + n, RF_CLOSE, 4, NULL, 0);
    struct seen s = {0};
    relay_parser_init(&parser);
    /* as if synced with the old connection: start outside the scan */
    parser.scanning = 0;
    feed(&parser, &s, buf, n, step);
    CHECK(s.syncs == 1);
    CHECK(s.errors >= 1);
    CHECK(s.last_type == RF_CLOSE && s.last_stream == 4);
  }
}

static void test_errors_recover(void) {
  struct { uint8_t type; uint32_t stream; uint16_t len; const char *why; } bad[] = {
      {RF_PAD, 0, 0, "zero frame type"},
      {RF_HELLO, 0, 24, "frame type not sent by the host"},
      {RF_LISTEN, 0, 16, "frame type not sent by the host"},
      {99, 0, 0, "frame type not sent by the host"},
      {RF_OPEN, 3, 16, "bad OPEN shape"},
      {RF_OPEN, 2, 15, "bad OPEN shape"},
      {RF_OPEN_OK, 2, 0, "bad OPEN_OK shape"},
      {RF_OPEN_FAIL, 1, 2, "bad OPEN_FAIL shape"},
      {RF_OPEN_FAIL, 1, 205, "bad OPEN_FAIL shape"},
      {RF_DATA, 0, 5, "bad DATA shape"},
      {RF_DATA, 1, 0, "bad DATA shape"},
      {RF_CREDIT, 1, 3, "bad CREDIT shape"},
      {RF_CLOSE, 1, 1, "bad CLOSE shape"},
      {RF_RESET, 1, 0, "bad RESET shape"},
      {RF_SYNC, 0, 23, "bad SYNC shape"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t zero[256] = {0};
    size_t n = frame(buf, bad[i].type, bad[i].stream, zero, bad[i].len);
    n += sync_frame(buf + n);
    struct seen s = {0};
    relay_parser_init(&parser);
    parser.scanning = 0;
    feed(&parser, &s, buf, n, 0);
    CHECK(s.errors == 1);
    CHECK(s.last_error != NULL && strcmp(s.last_error, bad[i].why) == 0);
    if (s.last_error && strcmp(s.last_error, bad[i].why) != 0) fprintf(stderr, "  case %zu: %s\n", i, s.last_error);
    CHECK(s.syncs == 1);
  }
  /* a too-long length is refused from the header alone */
  relay_put_header(buf, RF_DATA, RELAY_MAX_PAYLOAD + 1, 1);
  struct seen s = {0};
  relay_parser_init(&parser);
  parser.scanning = 0;
  feed(&parser, &s, buf, RELAY_HDR, 0);
  CHECK(s.errors == 1 && strcmp(s.last_error, "payload longer than 32760 bytes") == 0);
  /* a CREDIT of zero or over the window */
  uint8_t c[4];
  relay_put32(c, 0);
  size_t n = frame(buf, RF_CREDIT, 1, c, 4);
  relay_put32(c, RELAY_WINDOW + 1);
  n += frame(buf + n, RF_CREDIT, 1, c, 4);
  struct seen t = {0};
  relay_parser_init(&parser);
  parser.scanning = 0;
  feed(&parser, &t, buf, n, 0);
  CHECK(t.errors == 1 && strcmp(t.last_error, "bad CREDIT value") == 0); /* then scanning: the second is skipped */
}

static void test_semantic_rejection_rescans(void) {
  /* on_frame rejects DATA: the parser scans, and a SYNC right behind it is still found */
  size_t n = sync_frame(buf);
  n += frame(buf + n, RF_DATA, 2, "abc", 3);
  n += sync_frame(buf + n);
  struct seen s = {.reject = "DATA beyond the granted credit"};
  relay_parser_init(&parser);
  feed(&parser, &s, buf, n, 0);
  CHECK(s.syncs == 2);
  CHECK(s.errors == 1 && strcmp(s.last_error, "DATA beyond the granted credit") == 0);
}

/* Reading straight into the parser (space/commit, as the relay reads its port) gives the same frames
 * as feed: full 32 KiB DATA frames arriving in 4 KiB reads, and one frame split at every offset. */
static void test_space_commit(void) {
  static uint8_t payload[RELAY_MAX_PAYLOAD];
  for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 13);
  size_t n = sync_frame(buf);
  for (int i = 0; i < 3; i++) n += frame(buf + n, RF_DATA, 2, payload, RELAY_MAX_PAYLOAD);
  n += frame(buf + n, RF_CLOSE, 2, NULL, 0);
  for (size_t step = 1; step <= 8192; step *= 2) {
    struct seen s = {0};
    struct relay_parser_cb cb = {.on_frame = on_frame, .on_error = on_error, .ctx = &s};
    relay_parser_init(&parser);
    for (size_t at = 0; at < n;) {
      size_t room;
      uint8_t *dst = relay_parser_space(&parser, &room);
      CHECK(room >= RELAY_MAX_FRAME);
      size_t take = n - at < step ? n - at : step;
      if (take > room) take = room;
      memcpy(dst, buf + at, take);
      at += take;
      relay_parser_commit(&parser, take, &cb);
    }
    CHECK(s.errors == 0 && s.syncs == 1 && s.frames == 5);
    CHECK(s.data_bytes == 3 * RELAY_MAX_PAYLOAD);
    CHECK(s.last_type == RF_CLOSE && !parser.scanning && parser.have == 0);
  }
}

/* A callback that resyncs the parser (the relay's protocol_error when its output is over its
 * bound) ends the pass: the rest of what was buffered is discarded, the parser scans. */
static int resync_after;
static const char *on_frame_resync(void *ctx, const struct relay_frame *f) {
  struct seen *s = ctx;
  s->frames++;
  s->last_type = f->type;
  if (f->type == RF_SYNC) s->syncs++;
  if (s->frames == resync_after) relay_parser_resync(&parser);
  return NULL;
}

static void test_callback_resync(void) {
  size_t n = sync_frame(buf);
  n += frame(buf + n, RF_DATA, 2, "abc", 3);
  n += frame(buf + n, RF_DATA, 2, "def", 3);
  n += sync_frame(buf + n);
  n += frame(buf + n, RF_CLOSE, 2, NULL, 0);
  struct seen s = {0};
  struct relay_parser_cb cb = {.on_frame = on_frame_resync, .on_error = on_error, .ctx = &s};
  relay_parser_init(&parser);
  resync_after = 2; /* after the first DATA: everything behind it in this chunk is dropped */
  relay_parser_feed(&parser, buf, n, &cb);
  CHECK(s.frames == 2 && s.syncs == 1 && s.errors == 0);
  CHECK(parser.scanning && parser.have == 0);
  size_t m = sync_frame(buf); /* the next chunk: its SYNC is found */
  m += frame(buf + m, RF_CLOSE, 2, NULL, 0);
  relay_parser_feed(&parser, buf, m, &cb);
  CHECK(s.frames == 4 && s.syncs == 2 && s.errors == 0);
  CHECK(s.last_type == RF_CLOSE && !parser.scanning && parser.have == 0);
}

static void test_guid(void) {
  uint8_t g[16];
  char text[37];
  CHECK(relay_guid_parse("40000000-facb-11e6-bd58-64006a7986d3", g) == 0);
  CHECK(g[0] == 0x40 && g[4] == 0xfa && g[15] == 0xd3);
  relay_guid_format(g, text);
  CHECK(strcmp(text, "40000000-facb-11e6-bd58-64006a7986d3") == 0);
  CHECK(relay_guid_parse("40000000-FACB-11E6-BD58-64006A7986D3", g) == 0);
  CHECK(relay_guid_parse("40000000-facb-11e6-bd58-64006a7986d", g) != 0);
  CHECK(relay_guid_parse("40000000-facb-11e6-bd58-64006a7986d33", g) != 0);
  CHECK(relay_guid_parse("40000000xfacb-11e6-bd58-64006a7986d3", g) != 0);
  CHECK(relay_guid_parse("4000000g-facb-11e6-bd58-64006a7986d3", g) != 0);
  CHECK(relay_guid_parse("", g) != 0);
}

int main(void) {
  test_scan_then_frames();
  test_pad_ends_a_partial_frame();
  test_errors_recover();
  test_semantic_rejection_rescans();
  test_space_commit();
  test_callback_resync();
  test_guid();
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
