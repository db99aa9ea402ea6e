/* Unit tests of src/common/gcsframe.c: split input, oversized frames skipped, bad sizes. */
#include "gcsframe.h"

#include <stdlib.h>

#include "check.h"

static size_t frame(uint8_t *out, uint32_t type, uint64_t id, const char *payload) {
  size_t n = strlen(payload);
  gcs_put_header(out, type, (uint32_t)(16 + n), id);
  memcpy(out + 16, payload, n);
  return 16 + n;
}

static void feed(gcs_decoder *d, const uint8_t *p, size_t n) {
  size_t room;
  uint8_t *s = gcs_decoder_space(d, &room);
  CHECK(room >= n);
  memcpy(s, p, n);
  gcs_decoder_commit(d, n);
}

int main(void) {
  uint8_t hdr[16];
  gcs_put_header(hdr, 0x10100b01u, 125, 0);
  const uint8_t want[16] = {0x01, 0x0b, 0x10, 0x10, 0x7d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(memcmp(hdr, want, 16) == 0); /* gcs-protocol.md §2.1 worked example */
  uint32_t t, s;
  uint64_t id;
  gcs_put_header(hdr, 0x20100a01u, 0x10000, 0x0102030405060708ull);
  gcs_get_header(hdr, &t, &s, &id);
  CHECK(t == 0x20100a01u && s == 0x10000 && id == 0x0102030405060708ull);

  uint8_t *buf = malloc(1024);
  gcs_decoder d;
  gcs_decoder_init(&d, buf, 1024);
  uint8_t stream[4096];
  size_t n = frame(stream, 0x10100b01u, 0, "{\"a\":1}");
  n += frame(stream + n, 0x10100a01u, 7, "{}");
  /* byte by byte */
  gcs_frame f;
  int frames = 0;
  for (size_t i = 0; i < n; i++) {
    feed(&d, stream + i, 1);
    int ev;
    while ((ev = gcs_decoder_next(&d, &f)) == GCS_DEC_FRAME) {
      frames++;
      if (frames == 1) CHECK(f.type == 0x10100b01u && f.payload_len == 7 && memcmp(f.payload, "{\"a\":1}", 7) == 0);
      if (frames == 2) CHECK(f.type == 0x10100a01u && f.id == 7 && f.payload_len == 2);
    }
    CHECK(ev == GCS_DEC_NEED);
  }
  CHECK(frames == 2);

  /* An oversized frame (2000 > 1024) is reported once and skipped; the next one still decodes. */
  gcs_put_header(stream, 0x10100501u, 2000, 9);
  memset(stream + 16, 'x', 1984);
  size_t m = 2000 + frame(stream + 2000, 0x10100c01u, 10, "{}");
  int over = 0, ok = 0;
  for (size_t off = 0; off < m;) {
    size_t room;
    uint8_t *sp = gcs_decoder_space(&d, &room);
    size_t k = m - off < room ? m - off : room;
    if (k > 333) k = 333;
    memcpy(sp, stream + off, k);
    gcs_decoder_commit(&d, k);
    off += k;
    int ev;
    while ((ev = gcs_decoder_next(&d, &f)) != GCS_DEC_NEED) {
      if (ev == GCS_DEC_OVERSIZED) {
        over++;
        CHECK(f.id == 9 && f.size == 2000 && f.payload == NULL);
      } else if (ev == GCS_DEC_FRAME) {
        ok++;
        CHECK(f.id == 10 && f.type == 0x10100c01u);
      } else {
        CHECK(0);
        break;
      }
    }
  }
  CHECK(over == 1 && ok == 1);

  /* A size below the header fails for good. */
  gcs_put_header(stream, 0x10100501u, 15, 1);
  feed(&d, stream, 16);
  CHECK(gcs_decoder_next(&d, &f) == GCS_DEC_BAD);
  CHECK(gcs_decoder_next(&d, &f) == GCS_DEC_BAD);
  size_t room;
  gcs_decoder_space(&d, &room);
  CHECK(room == 0);
  free(buf);
  return check_done();
}
