/* units.c — direct tests of the shim's internal converters and JSON checker (linked in). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "internal.h"
#include "tcp_endpoint.h"

static char g_msg[512];

static bool u16eq(const char16_t *a, const char16_t *b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return *a == *b;
}

const char *case_internal_units(void) {
  static const struct {
    const char *bytes;
    size_t len;
    const char16_t *want;
  } dec[] = {
      {"abc", 3, u"abc"},
      {"\xC3\xA9", 2, u"\u00E9"},
      {"\xF0\x9D\x84\x9E", 4, u"\U0001D11E"},
      {"\xC0\xAF", 2, u"\uFFFD\uFFFD"},          /* overlong */
      {"\xE0\x80\xAF", 3, u"\uFFFD\uFFFD\uFFFD"}, /* overlong */
      {"\xED\xA0\x80", 3, u"\uFFFD\uFFFD\uFFFD"}, /* encoded surrogate */
      {"\xF4\x90\x80\x80", 4, u"\uFFFD\uFFFD\uFFFD\uFFFD"}, /* > U+10FFFF */
      {"\xE2\x82", 2, u"\uFFFD\uFFFD"},          /* truncated */
      {"a\xFFz", 3, u"a\uFFFDz"},
      {"", 0, u""},
  };
  for (size_t i = 0; i < sizeof dec / sizeof dec[0]; i++) {
    char16_t *got = utf8_to_utf16(dec[i].bytes, dec[i].len);
    bool ok = got && u16eq(got, dec[i].want);
    free(got);
    if (!ok) {
      snprintf(g_msg, sizeof g_msg, "utf8_to_utf16 case %zu", i);
      return g_msg;
    }
  }
  static const struct {
    const char16_t *in;
    HRESULT hr;
    const char *want;
  } enc[] = {
      {u"vm-\u00FCn\u00EF-\U0001D11E", S_OK, "vm-\xC3\xBCn\xC3\xAF-\xF0\x9D\x84\x9E"},
      {u"\u20AC\U0010FFFF", S_OK, "\xE2\x82\xAC\xF4\x8F\xBF\xBF"},
      {u"", S_OK, ""},
  };
  for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
    u8str out;
    HRESULT hr = utf16_to_utf8(enc[i].in, &out);
    bool ok = hr == enc[i].hr && out.data && strlen(enc[i].want) == out.len && memcmp(out.data, enc[i].want, out.len) == 0;
    free(out.data);
    if (!ok) {
      snprintf(g_msg, sizeof g_msg, "utf16_to_utf8 case %zu", i);
      return g_msg;
    }
  }
  static const char *valid[] = {"0", "-0", "-0.0e-0", "1E+9", "\"\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00aF\"",
                                "[]", "{}", " [ 1 , { \"a\" : [ null , true , false ] } ] ", "\"\xC3\xA9\"",
                                "123456789012345678901234567890"};
  static const char *invalid[] = {"",   " ",    "[",     "]",      "{\"a\"}", "{\"a\":1,}", "[1 2]", "+1",
                                  ".5", "1e",   "0x10",  "NaN",    "\"a",     "\"\\u00g0\"", "nulll", "[]]",
                                  "{1:2}", "\"\x01\"", "\xEF\xBB\xBF{}", "/*c*/1", "'a'"};
  for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
    if (!json_is_valid(valid[i], strlen(valid[i]))) {
      snprintf(g_msg, sizeof g_msg, "valid JSON rejected: %s", valid[i]);
      return g_msg;
    }
  }
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
    if (json_is_valid(invalid[i], strlen(invalid[i]))) {
      snprintf(g_msg, sizeof g_msg, "invalid JSON accepted: %s", invalid[i]);
      return g_msg;
    }
  }
  /* depth: 512 nested arrays pass, 513 do not */
  char deep[2 * 513 + 1];
  for (int d = 512; d <= 513; d++) {
    for (int i = 0; i < d; i++) {
      deep[i] = '[';
      deep[d + i] = ']';
    }
    bool ok = json_is_valid(deep, (size_t)(2 * d));
    if (ok != (d == 512)) {
      snprintf(g_msg, sizeof g_msg, "depth %d: %s", d, ok ? "accepted" : "rejected");
      return g_msg;
    }
  }
  /* the TCP endpoint form: only tcp:127.0.0.1:<1-65535> */
  static const struct {
    const char *e;
    int port; /* -1: refused */
  } ep[] = {
      {"tcp:127.0.0.1:1", 1},          {"tcp:127.0.0.1:65535", 65535}, {"tcp:127.0.0.1:8080", 8080},
      {"tcp:127.0.0.1:0", -1},         {"tcp:127.0.0.1:65536", -1},    {"tcp:127.0.0.1:08080", -1},
      {"tcp:127.0.0.1:123456", -1},    {"tcp:127.0.0.1:", -1},         {"tcp:127.0.0.1:80x", -1},
      {"tcp:0.0.0.0:80", -1},          {"tcp:localhost:80", -1},       {"tcp:127.0.0.10:80", -1},
      {"/tmp/uvmkit-hcsd.sock", -1},   {"tcp:", -1},
  };
  for (size_t i = 0; i < sizeof ep / sizeof ep[0]; i++) {
    uint16_t port = 0;
    bool ok = tcp_endpoint_parse(ep[i].e, &port);
    if (ok != (ep[i].port >= 0) || (ok && port != (uint16_t)ep[i].port)) {
      snprintf(g_msg, sizeof g_msg, "tcp endpoint %s: %s (port %u)", ep[i].e, ok ? "accepted" : "refused", port);
      return g_msg;
    }
  }
  return NULL;
}
