/* libFuzzer target: json_parse on any bytes must not crash, leak or read out of bounds, and a
 * parsed document re-serialised through the writer must parse again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void rewrite(json_writer *w, const json_value *v, int depth) {
  if (depth > JSON_MAX_DEPTH + 1) __builtin_trap();
  switch (v->type) {
    case JSON_NULL: jw_null(w); break;
    case JSON_TRUE: jw_bool(w, true); break;
    case JSON_FALSE: jw_bool(w, false); break;
    case JSON_NUMBER: jw_raw(w, v->s, v->len); break;
    case JSON_STRING: jw_strn(w, v->s, v->len); break;
    case JSON_ARRAY:
      jw_arr(w);
      for (const json_value *c = v->child; c; c = c->next) rewrite(w, c, depth + 1);
      jw_arr_end(w);
      break;
    case JSON_OBJECT:
      jw_obj(w);
      for (const json_value *c = v->child; c; c = c->next) {
        jw_key(w, c->key);
        rewrite(w, c, depth + 1);
      }
      jw_obj_end(w);
      break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_doc d;
  if (json_parse(&d, (const char *)data, size) == 0) {
    const json_value *root = d.root;
    int64_t i;
    uint64_t u;
    json_int(root, INT64_MIN, INT64_MAX, &i);
    json_uint(root, UINT64_MAX, &u);
    (void)json_get(root, "ContainerId");
    static char out[1 << 20];
    json_writer w;
    jw_init(&w, out, sizeof out);
    rewrite(&w, root, 0);
    if (!w.overflow) {
      json_doc again;
      /* Keys with NULs are written truncated; everything else must round-trip to valid JSON. */
      if (json_parse(&again, out, w.len) != 0 && memchr(data, '\\', size) == NULL) __builtin_trap();
      json_free(&again);
    }
  }
  json_free(&d);
  return 0;
}
