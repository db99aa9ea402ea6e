/* gcsframe.c — see gcsframe.h. */
#include "gcsframe.h"

#include <string.h>

static void le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void gcs_put_header(uint8_t out[GCS_HEADER_SIZE], uint32_t type, uint32_t size, uint64_t id) {
  le32(out, type);
  le32(out + 4, size);
  le32(out + 8, (uint32_t)id);
  le32(out + 12, (uint32_t)(id >> 32));
}

void gcs_get_header(const uint8_t in[GCS_HEADER_SIZE], uint32_t *type, uint32_t *size, uint64_t *id) {
  *type = rd32(in);
  *size = rd32(in + 4);
  *id = (uint64_t)rd32(in + 8) | (uint64_t)rd32(in + 12) << 32;
}

void gcs_decoder_init(gcs_decoder *d, uint8_t *buf, size_t cap) {
  memset(d, 0, sizeof *d);
  d->buf = buf;
  d->cap = cap < GCS_HEADER_SIZE ? GCS_HEADER_SIZE : cap;
}

static void compact(gcs_decoder *d) {
  if (d->consumed == 0) return;
  memmove(d->buf, d->buf + d->consumed, d->len - d->consumed);
  d->len -= d->consumed;
  d->consumed = 0;
}

uint8_t *gcs_decoder_space(gcs_decoder *d, size_t *n) {
  compact(d);
  *n = d->failed ? 0 : d->cap - d->len;
  return d->buf + d->len;
}

void gcs_decoder_commit(gcs_decoder *d, size_t n) {
  if (n > d->cap - d->len) n = d->cap - d->len;
  d->len += n;
}

int gcs_decoder_next(gcs_decoder *d, gcs_frame *f) {
  memset(f, 0, sizeof *f);
  if (d->failed) return GCS_DEC_BAD;
  compact(d);
  if (d->skip > 0) {
    size_t drop = d->len < d->skip ? d->len : (size_t)d->skip;
    d->consumed = drop;
    d->skip -= drop;
    compact(d);
    if (d->skip > 0) return GCS_DEC_NEED;
  }
  if (d->len < GCS_HEADER_SIZE) return GCS_DEC_NEED;
  gcs_get_header(d->buf, &f->type, &f->size, &f->id);
  if (f->size < GCS_HEADER_SIZE) {
    d->failed = 1;
    return GCS_DEC_BAD;
  }
  if (f->size > d->cap) {
    d->consumed = GCS_HEADER_SIZE;
    d->skip = (uint64_t)f->size - GCS_HEADER_SIZE;
    return GCS_DEC_OVERSIZED;
  }
  if (d->len < f->size) return GCS_DEC_NEED;
  f->payload = d->buf + GCS_HEADER_SIZE;
  f->payload_len = f->size - GCS_HEADER_SIZE;
  d->consumed = f->size;
  return GCS_DEC_FRAME;
}
