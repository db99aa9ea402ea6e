/*
 * gcsframe.h — GCS bridge framing (gcs-protocol.md §2): a 16-byte little-endian header
 * { u32 Type; u32 Size (header included); u64 ID } followed by Size-16 bytes of JSON.
 *
 * gcs_decoder is incremental and bounded: it holds at most `max` bytes (one frame). A frame whose
 * Size is above `max` is reported once (GCS_DEC_OVERSIZED, header only) and its payload is then
 * discarded as it arrives, so the stream stays in sync and memory stays bounded. A Size below 16
 * cannot be resynchronised: GCS_DEC_BAD, and the decoder stays failed.
 */
#ifndef UVMKIT_GCSFRAME_H
#define UVMKIT_GCSFRAME_H

#include <stddef.h>
#include <stdint.h>

/* Copies of GCS_HEADER_SIZE and GCS_MAX_FRAME of @uvmkit/hcs-schema (their one home), checked by
 * test/contracts.test.ts. */
#define GCS_HEADER_SIZE 16u
#define GCS_MAX_FRAME 0x10000u

typedef struct {
  uint32_t type;
  uint32_t size;
  uint64_t id;
  const uint8_t *payload; /* size-16 bytes; valid until the next decoder call */
  uint32_t payload_len;
} gcs_frame;

enum { GCS_DEC_NEED = 0, GCS_DEC_FRAME = 1, GCS_DEC_OVERSIZED = 2, GCS_DEC_BAD = -1 };

typedef struct {
  uint8_t *buf;
  size_t cap;      /* == max frame size */
  size_t len;      /* bytes held */
  size_t consumed; /* bytes of buf already returned (dropped on the next call) */
  uint64_t skip;   /* payload bytes of an oversized frame still to discard */
  int failed;
} gcs_decoder;

void gcs_put_header(uint8_t out[GCS_HEADER_SIZE], uint32_t type, uint32_t size, uint64_t id);
void gcs_get_header(const uint8_t in[GCS_HEADER_SIZE], uint32_t *type, uint32_t *size, uint64_t *id);

/* `buf` of `cap` bytes (>= 16) is owned by the caller. */
void gcs_decoder_init(gcs_decoder *d, uint8_t *buf, size_t cap);
/* Where to read the next bytes into (at least 1 byte unless failed). */
uint8_t *gcs_decoder_space(gcs_decoder *d, size_t *n);
/* `n` bytes were written at gcs_decoder_space(). */
void gcs_decoder_commit(gcs_decoder *d, size_t n);
/* The next event: NEED (read more), FRAME (*f complete), OVERSIZED (*f has the header, no
 * payload), BAD (*f has the header; the stream cannot continue). */
int gcs_decoder_next(gcs_decoder *d, gcs_frame *f);

#endif
