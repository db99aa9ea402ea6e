/* json.c — see json.h. */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reader ---------------------------------------------------------------------------- */

typedef struct {
  json_doc *doc;
  const unsigned char *p;
  size_t len;
  size_t pos;
  size_t nodes_used, nodes_max;
  char *strs;        /* string area (after the nodes) */
  size_t strs_used, strs_max;
} parser;

static int fail(parser *ps, const char *what) {
  snprintf(ps->doc->error, sizeof ps->doc->error, "%s at offset %zu", what, ps->pos);
  ps->doc->error_offset = ps->pos;
  return -1;
}

static json_value *new_node(parser *ps) {
  if (ps->nodes_used >= ps->nodes_max) return NULL;
  json_value *v = (json_value *)(void *)ps->doc->arena + ps->nodes_used++;
  memset(v, 0, sizeof *v);
  return v;
}

static void skip_ws(parser *ps) {
  while (ps->pos < ps->len) {
    unsigned char c = ps->p[ps->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    ps->pos++;
  }
}

static int put_utf8(parser *ps, uint32_t cp) {
  char b[4];
  size_t n;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  if (ps->strs_used + n >= ps->strs_max) return -1;
  memcpy(ps->strs + ps->strs_used, b, n);
  ps->strs_used += n;
  return 0;
}

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t k;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) {
    k = 2;
    v = c & 0x1F;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    k = 3;
    v = c & 0x0F;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    k = 4;
    v = c & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (n < k) return 0;
  for (size_t i = 1; i < k; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return k;
}

static int hex4(const unsigned char *s, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

/* At an opening quote: decode the string into the string area. */
static int parse_string(parser *ps, const char **out, uint32_t *out_len) {
  ps->pos++; /* the quote */
  size_t start = ps->strs_used;
  for (;;) {
    if (ps->pos >= ps->len) return fail(ps, "unterminated string");
    unsigned char c = ps->p[ps->pos];
    if (c == '"') {
      ps->pos++;
      break;
    }
    if (c < 0x20) return fail(ps, "control character in string");
    if (c == '\\') {
      if (ps->pos + 1 >= ps->len) return fail(ps, "unterminated escape");
      unsigned char e = ps->p[ps->pos + 1];
      uint32_t cp;
      ps->pos += 2;
      switch (e) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
          if (ps->pos + 4 > ps->len || hex4(ps->p + ps->pos, &cp) != 0) return fail(ps, "bad \\u escape");
          ps->pos += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (ps->pos + 6 <= ps->len && ps->p[ps->pos] == '\\' && ps->p[ps->pos + 1] == 'u' &&
                hex4(ps->p + ps->pos + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
              ps->pos += 6;
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          break;
        default:
          ps->pos -= 2;
          return fail(ps, "bad escape");
      }
      if (put_utf8(ps, cp) != 0) return fail(ps, "document too large");
      continue;
    }
    if (c < 0x80) {
      if (ps->strs_used + 1 >= ps->strs_max) return fail(ps, "document too large");
      ps->strs[ps->strs_used++] = (char)c;
      ps->pos++;
      continue;
    }
    uint32_t cp;
    size_t k = utf8_seq(ps->p + ps->pos, ps->len - ps->pos, &cp);
    if (k == 0) {
      cp = 0xFFFD;
      k = 1;
    }
    if (put_utf8(ps, cp) != 0) return fail(ps, "document too large");
    ps->pos += k;
  }
  if (ps->strs_used >= ps->strs_max) return fail(ps, "document too large");
  ps->strs[ps->strs_used++] = '\0';
  *out = ps->strs + start;
  *out_len = (uint32_t)(ps->strs_used - start - 1);
  return 0;
}

static int parse_number(parser *ps, json_value *v) {
  size_t start = ps->pos;
  const unsigned char *p = ps->p;
  size_t n = ps->len;
  size_t i = ps->pos;
  if (i < n && p[i] == '-') i++;
  if (i >= n) return fail(ps, "bad number");
  if (p[i] == '0') {
    i++;
  } else if (p[i] >= '1' && p[i] <= '9') {
    while (i < n && p[i] >= '0' && p[i] <= '9') i++;
  } else {
    return fail(ps, "bad number");
  }
  if (i < n && p[i] == '.') {
    i++;
    if (i >= n || p[i] < '0' || p[i] > '9') return fail(ps, "bad number");
    while (i < n && p[i] >= '0' && p[i] <= '9') i++;
  }
  if (i < n && (p[i] == 'e' || p[i] == 'E')) {
    i++;
    if (i < n && (p[i] == '+' || p[i] == '-')) i++;
    if (i >= n || p[i] < '0' || p[i] > '9') return fail(ps, "bad number");
    while (i < n && p[i] >= '0' && p[i] <= '9') i++;
  }
  v->type = JSON_NUMBER;
  v->s = (const char *)p + start;
  v->len = (uint32_t)(i - start);
  ps->pos = i;
  return 0;
}

static int literal(parser *ps, const char *word, json_type t, json_value *v) {
  size_t k = strlen(word);
  if (ps->len - ps->pos < k || memcmp(ps->p + ps->pos, word, k) != 0) return fail(ps, "bad literal");
  ps->pos += k;
  v->type = t;
  return 0;
}

typedef struct {
  json_value *node;
  json_value *last;
} level;

int json_parse(json_doc *doc, const char *text, size_t len) {
  memset(doc, 0, sizeof *doc);
  /* Nodes: a value takes at least 2 input bytes once separators are counted (plus the root).
   * Strings: invalid bytes decode to 3-byte U+FFFD, so 3x the input, plus one NUL per string. */
  size_t nodes_max = len / 2 + 2;
  size_t strs_max = len * 3 + len / 2 + 16;
  size_t total = nodes_max * sizeof(json_value) + strs_max;
  if (len > JSON_ARENA_MAX / 4 || total > JSON_ARENA_MAX) {
    snprintf(doc->error, sizeof doc->error, "document of %zu bytes is too large", len);
    return -1;
  }
  doc->arena = malloc(total);
  if (doc->arena == NULL) {
    snprintf(doc->error, sizeof doc->error, "out of memory");
    return -1;
  }
  doc->arena_size = total;
  parser ps = {
      .doc = doc,
      .p = (const unsigned char *)text,
      .len = len,
      .nodes_max = nodes_max,
      .strs = doc->arena + nodes_max * sizeof(json_value),
      .strs_max = strs_max,
  };
  level stack[JSON_MAX_DEPTH];
  int sp = 0;
  const char *key = NULL;
  uint32_t key_len = 0;
  json_value *root = NULL;

  for (;;) {
    /* Expect a value. */
    skip_ws(&ps);
    if (ps.pos >= ps.len) return fail(&ps, "unexpected end of input");
    json_value *v = new_node(&ps);
    if (v == NULL) return fail(&ps, "document too large");
    v->key = key;
    v->key_len = key_len;
    key = NULL;
    if (sp > 0) {
      level *l = &stack[sp - 1];
      if (l->last == NULL) l->node->child = v;
      else l->last->next = v;
      l->last = v;
      l->node->len++;
    } else {
      root = v;
    }
    unsigned char c = ps.p[ps.pos];
    bool opened = false;
    switch (c) {
      case '{':
      case '[':
        if (sp >= JSON_MAX_DEPTH) return fail(&ps, "nesting too deep");
        v->type = c == '{' ? JSON_OBJECT : JSON_ARRAY;
        stack[sp].node = v;
        stack[sp].last = NULL;
        sp++;
        ps.pos++;
        opened = true;
        break;
      case '"':
        if (parse_string(&ps, &v->s, &v->len) != 0) return -1;
        v->type = JSON_STRING;
        break;
      case 't':
        if (literal(&ps, "true", JSON_TRUE, v) != 0) return -1;
        break;
      case 'f':
        if (literal(&ps, "false", JSON_FALSE, v) != 0) return -1;
        break;
      case 'n':
        if (literal(&ps, "null", JSON_NULL, v) != 0) return -1;
        break;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          if (parse_number(&ps, v) != 0) return -1;
        } else {
          return fail(&ps, "unexpected character");
        }
    }
    bool need_value = false;
    if (opened) {
      skip_ws(&ps);
      if (ps.pos >= ps.len) return fail(&ps, "unexpected end of input");
      level *l = &stack[sp - 1];
      char close = l->node->type == JSON_OBJECT ? '}' : ']';
      if (ps.p[ps.pos] == close) {
        ps.pos++;
        sp--;
      } else if (l->node->type == JSON_ARRAY) {
        continue; /* first element */
      } else {
        need_value = true; /* first key */
      }
    }
    /* After a complete value: commas and closers. */
    while (!need_value) {
      if (sp == 0) {
        skip_ws(&ps);
        if (ps.pos != ps.len) return fail(&ps, "trailing characters");
        doc->root = root;
        doc->used = ps.nodes_used * sizeof(json_value) + ps.strs_used;
        return 0;
      }
      skip_ws(&ps);
      if (ps.pos >= ps.len) return fail(&ps, "unexpected end of input");
      level *l = &stack[sp - 1];
      char close = l->node->type == JSON_OBJECT ? '}' : ']';
      unsigned char d = ps.p[ps.pos];
      if (d == close) {
        ps.pos++;
        sp--;
        continue;
      }
      if (d != ',') return fail(&ps, "expected ',' or a closing bracket");
      ps.pos++;
      if (l->node->type == JSON_ARRAY) break;
      need_value = true;
    }
    if (need_value) {
      /* An object member: "key" ':' */
      skip_ws(&ps);
      if (ps.pos >= ps.len || ps.p[ps.pos] != '"') return fail(&ps, "expected a member name");
      if (parse_string(&ps, &key, &key_len) != 0) return -1;
      skip_ws(&ps);
      if (ps.pos >= ps.len || ps.p[ps.pos] != ':') return fail(&ps, "expected ':'");
      ps.pos++;
    }
  }
}

void json_free(json_doc *doc) {
  free(doc->arena);
  doc->arena = NULL;
  doc->root = NULL;
}

static bool ieq(const char *a, uint32_t alen, const char *b) {
  size_t blen = strlen(b);
  if (alen != blen) return false;
  for (size_t i = 0; i < blen; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
    if (y >= 'A' && y <= 'Z') y = (unsigned char)(y + 32);
    if (x != y) return false;
  }
  return true;
}

const json_value *json_get(const json_value *obj, const char *key) {
  if (obj == NULL || obj->type != JSON_OBJECT) return NULL;
  size_t klen = strlen(key);
  const json_value *exact = NULL, *folded = NULL;
  for (const json_value *m = obj->child; m != NULL; m = m->next) {
    if (m->key_len == klen && memcmp(m->key, key, klen) == 0) exact = m;
    else if (folded == NULL && ieq(m->key, m->key_len, key)) folded = m;
  }
  return exact != NULL ? exact : folded;
}

bool json_is(const json_value *v, json_type t) { return v != NULL && v->type == t; }

const char *json_type_name(const json_value *v) {
  if (v == NULL) return "absent";
  switch (v->type) {
    case JSON_NULL: return "null";
    case JSON_FALSE:
    case JSON_TRUE: return "bool";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
  }
  return "?";
}

static bool int_text(const json_value *v, bool *neg, uint64_t *mag) {
  if (v == NULL || v->type != JSON_NUMBER) return false;
  const char *s = v->s;
  uint32_t n = v->len, i = 0;
  *neg = false;
  if (i < n && s[i] == '-') {
    *neg = true;
    i++;
  }
  if (i >= n) return false;
  uint64_t m = 0;
  for (; i < n; i++) {
    char c = s[i];
    if (c < '0' || c > '9') return false; /* a fraction or an exponent */
    uint64_t d = (uint64_t)(c - '0');
    if (m > (UINT64_MAX - d) / 10) return false;
    m = m * 10 + d;
  }
  *mag = m;
  return true;
}

bool json_int(const json_value *v, int64_t min, int64_t max, int64_t *out) {
  bool neg;
  uint64_t mag;
  if (!int_text(v, &neg, &mag)) return false;
  int64_t x;
  if (neg) {
    if (mag > (uint64_t)INT64_MAX + 1) return false;
    x = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
  } else {
    if (mag > (uint64_t)INT64_MAX) return false;
    x = (int64_t)mag;
  }
  if (x < min || x > max) return false;
  *out = x;
  return true;
}

bool json_uint(const json_value *v, uint64_t max, uint64_t *out) {
  bool neg;
  uint64_t mag;
  if (!int_text(v, &neg, &mag)) return false;
  if (neg && mag != 0) return false;
  if (mag > max) return false;
  *out = mag;
  return true;
}

/* ---- writer ---------------------------------------------------------------------------- */

void jw_init(json_writer *w, char *buf, size_t cap) {
  memset(w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
}

static void put(json_writer *w, const char *s, size_t n) {
  if (w->overflow) return;
  if (w->len + n > w->cap) {
    w->overflow = true;
    return;
  }
  memcpy(w->buf + w->len, s, n);
  w->len += n;
}

static void putc1(json_writer *w, char c) { put(w, &c, 1); }

static void before_value(json_writer *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->depth > 0 && w->depth <= 63) {
    uint64_t bit = 1ull << w->depth;
    if (w->need_comma & bit) putc1(w, ',');
    w->need_comma |= bit;
  }
}

void jw_resume_object(json_writer *w) {
  w->depth = 1;
  w->need_comma = 1ull << 1;
  w->after_key = false;
}

static void open_(json_writer *w, char c) {
  before_value(w);
  putc1(w, c);
  if (w->depth < 63) {
    w->depth++;
    w->need_comma &= ~(1ull << w->depth);
  } else {
    w->overflow = true;
  }
}

static void close_(json_writer *w, char c) {
  putc1(w, c);
  if (w->depth > 0) w->depth--;
}

void jw_obj(json_writer *w) { open_(w, '{'); }
void jw_obj_end(json_writer *w) { close_(w, '}'); }
void jw_arr(json_writer *w) { open_(w, '['); }
void jw_arr_end(json_writer *w) { close_(w, ']'); }

static void escaped(json_writer *w, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  putc1(w, '"');
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c >= 0x80) {
      uint32_t cp;
      size_t k = utf8_seq(p + i, n - i, &cp);
      if (k == 0) {
        put(w, "\\ufffd", 6);
        i++;
      } else if (cp == 0x2028 || cp == 0x2029) {
        put(w, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
        i += k;
      } else {
        put(w, (const char *)p + i, k);
        i += k;
      }
      continue;
    }
    switch (c) {
      case '"': put(w, "\\\"", 2); break;
      case '\\': put(w, "\\\\", 2); break;
      case '\n': put(w, "\\n", 2); break;
      case '\r': put(w, "\\r", 2); break;
      case '\t': put(w, "\\t", 2); break;
      case '\b': put(w, "\\b", 2); break;
      case '\f': put(w, "\\f", 2); break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
          put(w, e, 6);
        } else {
          putc1(w, (char)c);
        }
    }
    i++;
  }
  putc1(w, '"');
}

void jw_key(json_writer *w, const char *key) {
  before_value(w);
  escaped(w, key, strlen(key));
  putc1(w, ':');
  w->after_key = true;
}

void jw_strn(json_writer *w, const char *s, size_t n) {
  before_value(w);
  escaped(w, s == NULL ? "" : s, s == NULL ? 0 : n);
}

void jw_str(json_writer *w, const char *s) { jw_strn(w, s, s == NULL ? 0 : strlen(s)); }

void jw_int(json_writer *w, int64_t v) {
  char b[24];
  int n = snprintf(b, sizeof b, "%" PRId64, v);
  before_value(w);
  put(w, b, (size_t)n);
}

void jw_uint(json_writer *w, uint64_t v) {
  char b[24];
  int n = snprintf(b, sizeof b, "%" PRIu64, v);
  before_value(w);
  put(w, b, (size_t)n);
}

void jw_bool(json_writer *w, bool v) {
  before_value(w);
  if (v) put(w, "true", 4);
  else put(w, "false", 5);
}

void jw_null(json_writer *w) {
  before_value(w);
  put(w, "null", 4);
}

void jw_raw(json_writer *w, const char *json, size_t n) {
  before_value(w);
  put(w, json, n);
}
