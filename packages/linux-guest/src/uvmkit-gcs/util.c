/* util.c — errors, Go-like field decoding, small file helpers. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gcs.h"

int gerr_set(gerr *e, uint32_t hr, const char *file, int line, const char *func, const char *fmt, ...) {
  e->hr = hr;
  e->file = file;
  e->line = line;
  e->func = func;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return -1;
}

uint32_t hr_from_errno(int err) {
  switch (err) {
    case ENOENT:
    case ESRCH:
    case ENODEV:
    case ENXIO: return HR_NOT_FOUND;
    case EINVAL: return HR_E_INVALIDARG;
    default: return HR_E_FAIL;
  }
}

static int bad_type(const char *key, const char *want, const json_value *v, gerr *e) {
  return GFAIL(e, HR_INVALID_JSON, "json: cannot unmarshal %s into Go struct field %s of type %s",
               json_type_name(v), key, want);
}

int f_str(const json_value *obj, const char *key, const char **out, gerr *e) {
  const json_value *v = json_get(obj, key);
  *out = "";
  if (v == NULL || v->type == JSON_NULL) return 0;
  if (v->type != JSON_STRING) return bad_type(key, "string", v, e);
  *out = v->s;
  if (strlen(v->s) != v->len) return GFAIL(e, HR_E_INVALIDARG, "%s contains a NUL character", key);
  return 0;
}

int f_bool(const json_value *obj, const char *key, bool *out, gerr *e) {
  const json_value *v = json_get(obj, key);
  *out = false;
  if (v == NULL || v->type == JSON_NULL) return 0;
  if (v->type != JSON_TRUE && v->type != JSON_FALSE) return bad_type(key, "bool", v, e);
  *out = v->type == JSON_TRUE;
  return 0;
}

int f_uint(const json_value *obj, const char *key, uint64_t max, uint64_t *out, gerr *e) {
  const json_value *v = json_get(obj, key);
  *out = 0;
  if (v == NULL || v->type == JSON_NULL) return 0;
  if (!json_uint(v, max, out)) {
    const char *t = max == 0xFF ? "uint8" : max == 0xFFFF ? "uint16" : max == 0xFFFFFFFFu ? "uint32" : "uint64";
    return bad_type(key, t, v, e);
  }
  return 0;
}

int f_int(const json_value *obj, const char *key, int64_t min, int64_t max, int64_t *out, gerr *e) {
  const json_value *v = json_get(obj, key);
  *out = 0;
  if (v == NULL || v->type == JSON_NULL) return 0;
  if (!json_int(v, min, max, out)) return bad_type(key, "int32", v, e);
  return 0;
}

int f_obj(const json_value *obj, const char *key, const json_value **out, gerr *e) {
  const json_value *v = json_get(obj, key);
  *out = NULL;
  if (v == NULL || v->type == JSON_NULL) return 0;
  if (v->type != JSON_OBJECT) return bad_type(key, "object", v, e);
  *out = v;
  return 0;
}

int f_arr(const json_value *obj, const char *key, const json_value **out, gerr *e) {
  const json_value *v = json_get(obj, key);
  *out = NULL;
  if (v == NULL || v->type == JSON_NULL) return 0;
  if (v->type != JSON_ARRAY) return bad_type(key, "array", v, e);
  *out = v;
  return 0;
}

int f_strs(const json_value *obj, const char *key, const char **out, size_t max, size_t *n, gerr *e) {
  const json_value *a;
  *n = 0;
  if (f_arr(obj, key, &a, e) != 0) return -1;
  if (a == NULL) return 0;
  for (const json_value *x = a->child; x != NULL; x = x->next) {
    if (x->type == JSON_NULL) continue;
    if (x->type != JSON_STRING) return bad_type(key, "[]string", x, e);
    if (strlen(x->s) != x->len) return GFAIL(e, HR_E_INVALIDARG, "%s contains a NUL character", key);
    if (*n >= max) return GFAIL(e, HR_E_INVALIDARG, "%s has more than %zu entries", key, max);
    out[(*n)++] = x->s;
  }
  return 0;
}

int check_path(const char *what, const char *path, gerr *e) {
  if (path[0] == '\0') return GFAIL(e, HR_E_INVALIDARG, "%s is required", what);
  if (path[0] != '/') return GFAIL(e, HR_E_INVALIDARG, "%s %s is not an absolute path", what, path);
  if (strlen(path) >= PATH_MAX - 64) return GFAIL(e, HR_E_INVALIDARG, "%s is too long", what);
  return 0;
}

int mkdir_p(const char *path, unsigned mode) {
  char tmp[PATH_MAX];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(tmp, path, n + 1);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, mode) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(tmp, mode) != 0 && errno != EEXIST) return -1;
  struct stat st;
  if (stat(tmp, &st) != 0) return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

int read_text(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len + 1 < cap) {
    ssize_t r = read(fd, buf + len, cap - 1 - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      errno = err;
      return -1;
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  close(fd);
  buf[len] = '\0';
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) buf[--len] = '\0';
  return (int)len;
}

int write_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  size_t n = strlen(text), off = 0;
  while (off < n) {
    ssize_t w = write(fd, text + off, n - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      errno = err;
      return -1;
    }
    off += (size_t)w;
  }
  return close(fd);
}

uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* Whether `path` is a mount point, from /proc/self/mountinfo (field 5, octal escapes). */
bool is_mount_point(const char *path) {
  char real[PATH_MAX];
  if (realpath(path, real) == NULL) return false;
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (f == NULL) return false;
  char line[4096];
  bool found = false;
  while (!found && fgets(line, sizeof line, f) != NULL) {
    char *save = NULL, *tok = strtok_r(line, " ", &save);
    for (int i = 1; tok != NULL && i < 5; i++) tok = strtok_r(NULL, " ", &save);
    if (tok == NULL) continue;
    char mp[PATH_MAX];
    size_t k = 0;
    for (const char *p = tok; *p && k + 1 < sizeof mp; p++) {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
        mp[k++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
        p += 3;
      } else {
        mp[k++] = *p;
      }
    }
    mp[k] = '\0';
    if (strcmp(mp, real) == 0) found = true;
  }
  fclose(f);
  return found;
}
