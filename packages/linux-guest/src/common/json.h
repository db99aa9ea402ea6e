/*
 * json.h — a small, bounded JSON reader and writer (RFC 8259) for the guest programs.
 *
 * Reader: json_parse() builds a tree in one arena allocated for the document (bounded by
 * JSON_ARENA_MAX), iteratively (an explicit stack, depth limited to JSON_MAX_DEPTH), so no input
 * can blow the C stack or allocate without bound. Strings are decoded to UTF-8 (surrogate pairs
 * joined; lone surrogates become U+FFFD, as Go does) and NUL-terminated; `len` keeps embedded NULs.
 * Numbers keep their text; the integer getters accept only integer syntax within range (as Go's
 * encoding/json unmarshals into sized integers). Object lookup returns the LAST member of that
 * name, falling back to an ASCII case-insensitive match (Go's rules).
 *
 * Writer: json_writer appends into a buffer that never grows past its limit; overflowing sets
 * `overflow` (the caller answers something smaller). Strings are escaped as Go's json.Marshal
 * does (HTML characters as \u003c etc., invalid UTF-8 as \ufffd).
 */
#ifndef UVMKIT_JSON_H
#define UVMKIT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 64
#define JSON_ARENA_MAX (4u << 20)

typedef enum {
  JSON_NULL,
  JSON_FALSE,
  JSON_TRUE,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT,
} json_type;

typedef struct json_value json_value;
struct json_value {
  json_type type;
  uint32_t len;       /* string: bytes (without the NUL); number: text length; array/object: members */
  const char *s;      /* string: decoded text; number: its text (not NUL-terminated) */
  const char *key;    /* member of an object: its decoded key */
  uint32_t key_len;
  json_value *child;  /* first member (array/object) */
  json_value *next;   /* next sibling */
};

typedef struct {
  json_value *root;
  char *arena;
  size_t arena_size;
  size_t used;
  char error[96];
  size_t error_offset;
} json_doc;

/* Parse `len` bytes (UTF-8). Returns 0 and sets doc->root, or -1 with doc->error set. Trailing
 * whitespace is allowed, anything else after the value is an error. Free with json_free. */
int json_parse(json_doc *doc, const char *text, size_t len);
void json_free(json_doc *doc);

/* Lookup and typed access. A NULL value reads as absent. */
const json_value *json_get(const json_value *obj, const char *key);
bool json_is(const json_value *v, json_type t);
const char *json_type_name(const json_value *v);
/* Integer value of a number written as an integer in [min, max]; false otherwise. */
bool json_int(const json_value *v, int64_t min, int64_t max, int64_t *out);
bool json_uint(const json_value *v, uint64_t max, uint64_t *out);

/* Writer. */
typedef struct {
  char *buf;
  size_t len;
  size_t cap;     /* hard limit (bytes) */
  bool overflow;
  uint8_t depth;
  uint64_t need_comma; /* bit per depth: a value was written at this level */
  bool after_key;
} json_writer;

void jw_init(json_writer *w, char *buf, size_t cap);
/* Continue an object whose members are already in buf (e.g. after a common prefix). */
void jw_resume_object(json_writer *w);
void jw_obj(json_writer *w);
void jw_obj_end(json_writer *w);
void jw_arr(json_writer *w);
void jw_arr_end(json_writer *w);
void jw_key(json_writer *w, const char *key);
void jw_str(json_writer *w, const char *s);
void jw_strn(json_writer *w, const char *s, size_t n);
void jw_int(json_writer *w, int64_t v);
void jw_uint(json_writer *w, uint64_t v);
void jw_bool(json_writer *w, bool v);
void jw_null(json_writer *w);
/* Append already-encoded JSON text as one value. */
void jw_raw(json_writer *w, const char *json, size_t n);

#endif
