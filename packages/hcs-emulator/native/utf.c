/* utf.c — UTF-16 (PCWSTR) ⇄ UTF-8 (wire) conversion with the shim's input rules. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

HRESULT utf16_to_utf8(const char16_t *s, u8str *out) {
  out->data = NULL;
  out->len = 0;
  /* Pass 1: length, limit and surrogate pairing. */
  size_t units = 0, bytes = 0;
  for (;; units++) {
    char16_t c = s[units];
    if (c == 0) break;
    if (units >= SHIM_MAX_STRING_UNITS) return E_INVALIDARG;
    if (c < 0x80) {
      bytes += 1;
    } else if (c < 0x800) {
      bytes += 2;
    } else if (c >= 0xD800 && c <= 0xDBFF) {
      char16_t d = s[units + 1];
      if (d < 0xDC00 || d > 0xDFFF) return E_INVALIDARG;
      if (units + 1 >= SHIM_MAX_STRING_UNITS) return E_INVALIDARG;
      bytes += 4;
      units++;
    } else if (c >= 0xDC00 && c <= 0xDFFF) {
      return E_INVALIDARG;
    } else {
      bytes += 3;
    }
  }
  char *p = malloc(bytes + 1);
  if (p == NULL) return E_OUTOFMEMORY;
  size_t o = 0;
  for (size_t i = 0; i < units; i++) {
    uint32_t c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF) {
      c = 0x10000u + ((c - 0xD800u) << 10) + ((uint32_t)s[i + 1] - 0xDC00u);
      i++;
    }
    if (c < 0x80) {
      p[o++] = (char)c;
    } else if (c < 0x800) {
      p[o++] = (char)(0xC0 | (c >> 6));
      p[o++] = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      p[o++] = (char)(0xE0 | (c >> 12));
      p[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
      p[o++] = (char)(0x80 | (c & 0x3F));
    } else {
      p[o++] = (char)(0xF0 | (c >> 18));
      p[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
      p[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
      p[o++] = (char)(0x80 | (c & 0x3F));
    }
  }
  p[o] = 0;
  out->data = p;
  out->len = (uint32_t)o;
  return S_OK;
}

/* Decode one UTF-8 sequence at s[*i]; invalid input yields U+FFFD and consumes one byte. */
static uint32_t decode_one(const unsigned char *s, size_t len, size_t *i) {
  unsigned char b = s[*i];
  uint32_t c;
  size_t need;
  uint32_t min;
  if (b < 0x80) {
    (*i)++;
    return b;
  } else if (b >= 0xC2 && b <= 0xDF) {
    c = b & 0x1F;
    need = 1;
    min = 0x80;
  } else if (b >= 0xE0 && b <= 0xEF) {
    c = b & 0x0F;
    need = 2;
    min = 0x800;
  } else if (b >= 0xF0 && b <= 0xF4) {
    c = b & 0x07;
    need = 3;
    min = 0x10000;
  } else {
    (*i)++;
    return 0xFFFD;
  }
  if (*i + need >= len) { /* truncated sequence */
    (*i)++;
    return 0xFFFD;
  }
  for (size_t k = 1; k <= need; k++) {
    unsigned char x = s[*i + k];
    if ((x & 0xC0) != 0x80) {
      (*i)++;
      return 0xFFFD;
    }
    c = (c << 6) | (x & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    (*i)++;
    return 0xFFFD;
  }
  *i += need + 1;
  return c;
}

char16_t *utf8_to_utf16(const char *s, size_t len) {
  return utf8_to_utf16_with(s, len, malloc);
}

char16_t *utf8_to_utf16_with(const char *s, size_t len, void *(*alloc)(size_t)) {
  /* Worst case: one UTF-16 unit per byte (+ NUL). */
  char16_t *out = alloc((len + 1) * sizeof(char16_t));
  if (out == NULL) return NULL;
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, o = 0;
  while (i < len) {
    uint32_t c = decode_one(u, len, &i);
    if (c >= 0x10000) {
      c -= 0x10000;
      out[o++] = (char16_t)(0xD800 + (c >> 10));
      out[o++] = (char16_t)(0xDC00 + (c & 0x3FF));
    } else {
      out[o++] = (char16_t)c;
    }
  }
  out[o] = 0;
  return out;
}
