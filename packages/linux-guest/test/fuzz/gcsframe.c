/* libFuzzer target: the frame decoder fed any bytes in any chunking stays within its buffer and
 * never returns a frame larger than its limit. The first byte picks the chunk size. */
#include <stdint.h>
#include <string.h>

#include "gcsframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = (size_t)data[0] % 64 + 1;
  data++;
  size--;
  static uint8_t buf[4096];
  gcs_decoder d;
  gcs_decoder_init(&d, buf, sizeof buf);
  size_t off = 0;
  while (off < size) {
    size_t room;
    uint8_t *sp = gcs_decoder_space(&d, &room);
    if (room == 0) break;
    size_t k = size - off < chunk ? size - off : chunk;
    if (k > room) k = room;
    memcpy(sp, data + off, k);
    gcs_decoder_commit(&d, k);
    off += k;
    gcs_frame f;
    int ev;
    while ((ev = gcs_decoder_next(&d, &f)) != GCS_DEC_NEED && ev != GCS_DEC_BAD) {
      if (ev == GCS_DEC_FRAME) {
        if (f.size > sizeof buf || f.payload_len != f.size - 16) __builtin_trap();
        volatile uint8_t sum = 0;
        for (uint32_t i = 0; i < f.payload_len; i++) sum ^= f.payload[i];
        (void)sum;
      }
    }
    if (ev == GCS_DEC_BAD) break;
  }
  return 0;
}
