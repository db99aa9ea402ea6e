/* Unit tests of src/common/json.c (run under ASan/UBSan). */
#include "json.h"

#include <stdlib.h>

#include "check.h"

static int parses(const char *text) {
  json_doc d;
  int rc = json_parse(&d, text, strlen(text));
  json_free(&d);
  return rc == 0;
}

static char *write_str(const char *s, size_t n, char *buf, size_t cap) {
  json_writer w;
  jw_init(&w, buf, cap - 1);
  jw_strn(&w, s, n);
  buf[w.overflow ? 0 : w.len] = '\0';
  return buf;
}

int main(void) {
  json_doc d;
  const char *doc = "{\"ContainerId\":\"00000000-0000-0000-0000-000000000000\",\"N\":-12,\"U\":4294967295,"
                    "\"F\":1.5,\"E\":1e3,\"A\":[1,true,null,\"x\"],\"o\":{\"k\":\"v\"},\"dup\":1,\"dup\":2,"
                    "\"S\":\"a\\u00e9\\ud83d\\ude00\\n\\\"\",\"Lone\":\"\\udc00\",\"Nul\":\"a\\u0000b\"}";
  CHECK(json_parse(&d, doc, strlen(doc)) == 0);
  CHECK(d.root != NULL && d.root->type == JSON_OBJECT);
  CHECK_STR(json_get(d.root, "ContainerId")->s, "00000000-0000-0000-0000-000000000000");
  int64_t i;
  uint64_t u;
  CHECK(json_int(json_get(d.root, "N"), INT32_MIN, INT32_MAX, &i) && i == -12);
  CHECK(!json_uint(json_get(d.root, "N"), UINT64_MAX, &u));
  CHECK(json_uint(json_get(d.root, "U"), 0xFFFFFFFFu, &u) && u == 4294967295u);
  CHECK(!json_uint(json_get(d.root, "U"), 0xFFFF, &u));
  CHECK(!json_int(json_get(d.root, "F"), INT64_MIN, INT64_MAX, &i));
  CHECK(!json_int(json_get(d.root, "E"), INT64_MIN, INT64_MAX, &i));
  const json_value *a = json_get(d.root, "A");
  CHECK(a != NULL && a->type == JSON_ARRAY && a->len == 4);
  CHECK(a->child->type == JSON_NUMBER && a->child->next->type == JSON_TRUE);
  CHECK(a->child->next->next->type == JSON_NULL && a->child->next->next->next->type == JSON_STRING);
  CHECK_STR(json_get(json_get(d.root, "O"), "k")->s, "v"); /* case-insensitive fallback */
  CHECK(json_int(json_get(d.root, "dup"), 0, 10, &i) && i == 2);  /* last one wins */
  CHECK_STR(json_get(d.root, "S")->s, "a\xc3\xa9\xf0\x9f\x98\x80\n\"");
  CHECK_STR(json_get(d.root, "Lone")->s, "\xef\xbf\xbd");
  CHECK(json_get(d.root, "Nul")->len == 3 && strlen(json_get(d.root, "Nul")->s) == 1);
  CHECK(json_get(d.root, "missing") == NULL);
  json_free(&d);

  /* Invalid documents. */
  const char *bad[] = {"", "{", "[1,]", "{\"a\":}", "{\"a\" 1}", "01", "1.", "-", "tru", "\"\\x\"", "\"a\nb\"",
                       "[1] x", "{\"a\":1,}", "{1:2}", "\"\\ud800\\u12\"", "nul", "[", "]"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) CHECK(!parses(bad[k]));
  const char *good[] = {"0", "-0", "1e-3", "[]", "{}", " [ [ ] , { } ] ", "\"\"", "null", "[1.25E+2]"};
  for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) CHECK(parses(good[k]));

  /* Depth limit: 64 levels parse, 65 do not (and no recursion). */
  char deep[300];
  memset(deep, '[', 64);
  memset(deep + 64, ']', 64);
  deep[128] = '\0';
  CHECK(parses(deep));
  memset(deep, '[', 65);
  memset(deep + 65, ']', 65);
  deep[130] = '\0';
  CHECK(!parses(deep));
  char *huge = malloc(2u << 20);
  memset(huge, '[', 2u << 20);
  CHECK(json_parse(&d, huge, 2u << 20) != 0); /* too large, refused before allocating */
  json_free(&d);
  free(huge);

  /* Invalid UTF-8 in input is replaced. */
  CHECK(json_parse(&d, "\"\xff\xc3\"", 4) == 0 && strcmp(d.root->s, "\xef\xbf\xbd\xef\xbf\xbd") == 0);
  json_free(&d);

  /* Writer: Go's json.Marshal escaping. */
  char buf[256];
  CHECK_STR(write_str("a\"b\\c\n\t<>&\x01\x7f", 12, buf, sizeof buf),
            "\"a\\\"b\\\\c\\n\\t\\u003c\\u003e\\u0026\\u0001\x7f\"");
  CHECK_STR(write_str("\xe2\x80\xa8\xff", 4, buf, sizeof buf), "\"\\u2028\\ufffd\"");
  json_writer w;
  jw_init(&w, buf, sizeof buf - 1);
  jw_obj(&w);
  jw_key(&w, "Result");
  jw_int(&w, -2147467259);
  jw_key(&w, "A");
  jw_arr(&w);
  jw_uint(&w, 1);
  jw_bool(&w, true);
  jw_null(&w);
  jw_obj(&w);
  jw_obj_end(&w);
  jw_arr_end(&w);
  jw_key(&w, "R");
  jw_raw(&w, "{\"x\":1}", 7);
  jw_obj_end(&w);
  buf[w.len] = '\0';
  CHECK(!w.overflow);
  CHECK_STR(buf, "{\"Result\":-2147467259,\"A\":[1,true,null,{}],\"R\":{\"x\":1}}");
  jw_init(&w, buf, 8);
  jw_str(&w, "0123456789");
  CHECK(w.overflow && w.len <= 8);
  return check_done();
}
