/* json_check.c — a strict RFC 8259 syntax checker (no allocation, bounded recursion). */
#include "internal.h"

typedef struct jp {
  const unsigned char *s;
  size_t len, i;
} jp;

static void skip_ws(jp *p) {
  while (p->i < p->len) {
    unsigned char c = p->s[p->i];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    p->i++;
  }
}

static bool lit(jp *p, const char *word) {
  for (size_t k = 0; word[k]; k++, p->i++) {
    if (p->i >= p->len || p->s[p->i] != (unsigned char)word[k]) return false;
  }
  return true;
}

static bool is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The input is already valid UTF-8 (it comes from a validated UTF-16 string), so only
   control characters and escapes need checking. */
static bool string(jp *p) {
  p->i++; /* opening quote */
  while (p->i < p->len) {
    unsigned char c = p->s[p->i++];
    if (c == '"') return true;
    if (c < 0x20) return false;
    if (c == '\\') {
      if (p->i >= p->len) return false;
      unsigned char e = p->s[p->i++];
      switch (e) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        break;
      case 'u':
        for (int k = 0; k < 4; k++) {
          if (p->i >= p->len || !is_hex(p->s[p->i])) return false;
          p->i++;
        }
        break;
      default:
        return false;
      }
    }
  }
  return false;
}

static bool digits(jp *p) {
  size_t start = p->i;
  while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
  return p->i > start;
}

static bool number(jp *p) {
  if (p->s[p->i] == '-') p->i++;
  if (p->i >= p->len) return false;
  if (p->s[p->i] == '0') {
    p->i++;
  } else if (!digits(p)) {
    return false;
  }
  if (p->i < p->len && p->s[p->i] == '.') {
    p->i++;
    if (!digits(p)) return false;
  }
  if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
    p->i++;
    if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
    if (!digits(p)) return false;
  }
  return true;
}

static bool value(jp *p, int depth);

static bool container(jp *p, int depth, bool object) {
  if (depth >= SHIM_JSON_MAX_DEPTH) return false;
  unsigned char close = object ? '}' : ']';
  p->i++;
  skip_ws(p);
  if (p->i < p->len && p->s[p->i] == close) {
    p->i++;
    return true;
  }
  for (;;) {
    skip_ws(p);
    if (object) {
      if (p->i >= p->len || p->s[p->i] != '"' || !string(p)) return false;
      skip_ws(p);
      if (p->i >= p->len || p->s[p->i] != ':') return false;
      p->i++;
    }
    if (!value(p, depth + 1)) return false;
    skip_ws(p);
    if (p->i >= p->len) return false;
    unsigned char c = p->s[p->i++];
    if (c == close) return true;
    if (c != ',') return false;
  }
}

static bool value(jp *p, int depth) {
  skip_ws(p);
  if (p->i >= p->len) return false;
  switch (p->s[p->i]) {
  case '{': return container(p, depth, true);
  case '[': return container(p, depth, false);
  case '"': return string(p);
  case 't': return lit(p, "true");
  case 'f': return lit(p, "false");
  case 'n': return lit(p, "null");
  default:
    if (p->s[p->i] == '-' || (p->s[p->i] >= '0' && p->s[p->i] <= '9')) return number(p);
    return false;
  }
}

bool json_is_valid(const char *s, size_t len) {
  jp p = {(const unsigned char *)s, len, 0};
  if (!value(&p, 0)) return false;
  skip_ws(&p);
  return p.i == p.len;
}
