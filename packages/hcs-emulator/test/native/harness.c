/* harness.c — see harness.h. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

char16_t *u16(const char *s) {
  size_t n = strlen(s);
  char16_t *o = malloc((n + 1) * sizeof(char16_t));
  size_t j = 0;
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    uint32_t c = p[i];
    int k = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    if (k) c &= (0x3Fu >> k);
    for (int m = 1; m <= k; m++) c = (c << 6) | (p[i + (size_t)m] & 0x3Fu);
    i += (size_t)k + 1;
    if (c >= 0x10000) {
      c -= 0x10000;
      o[j++] = (char16_t)(0xD800 + (c >> 10));
      o[j++] = (char16_t)(0xDC00 + (c & 0x3FF));
    } else {
      o[j++] = (char16_t)c;
    }
  }
  o[j] = 0;
  return o;
}

char *u8(const char16_t *s) {
  if (s == NULL) return NULL;
  size_t n = 0;
  while (s[n]) n++;
  char *o = malloc(n * 3 + 1);
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = s[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < n) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00u);
      i++;
    }
    if (c < 0x80) {
      o[j++] = (char)c;
    } else if (c < 0x800) {
      o[j++] = (char)(0xC0 | (c >> 6));
      o[j++] = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      o[j++] = (char)(0xE0 | (c >> 12));
      o[j++] = (char)(0x80 | ((c >> 6) & 0x3F));
      o[j++] = (char)(0x80 | (c & 0x3F));
    } else {
      o[j++] = (char)(0xF0 | (c >> 18));
      o[j++] = (char)(0x80 | ((c >> 12) & 0x3F));
      o[j++] = (char)(0x80 | ((c >> 6) & 0x3F));
      o[j++] = (char)(0x80 | (c & 0x3F));
    }
  }
  o[j] = 0;
  return o;
}

char *take_doc(PWSTR doc) {
  char *s = u8(doc);
  if (LocalFree(doc) != NULL) abort();
  return s;
}

char *vm_config(const char *owner, bool terminate) {
  char *buf = malloc(2048);
  char ownerpart[512] = "";
  if (owner) snprintf(ownerpart, sizeof ownerpart, "\"Owner\":\"%s\",", owner);
  snprintf(buf, 2048,
           "{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},%s\"ShouldTerminateOnLastHandleClosed\":%s,"
           "\"VirtualMachine\":{\"Chipset\":{\"Uefi\":{}},"
           "\"ComputeTopology\":{\"Memory\":{\"SizeInMB\":1024},\"Processor\":{\"Count\":2}},"
           "\"Devices\":{\"Scsi\":{\"df6d0690-79e5-55b6-a5ec-c1e2f77f580a\":{\"Attachments\":{}}}}}}",
           ownerpart, terminate ? "true" : "false");
  return buf;
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool rd(int fd, void *b, size_t n) {
  uint8_t *p = b;
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= (size_t)r;
  }
  return true;
}

HRESULT control(uint8_t method, const char *json, char **answer) {
  if (answer) *answer = NULL;
  /* control methods are served on the control socket startHcsd() puts beside the main one */
  const char *path = getenv("UVMKIT_HCSD_SOCKET");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s.control", path ? path : "");
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return E_FAIL;
  }
  size_t jl = strlen(json);
  size_t total = 4 + 8 + 8 + 4 + 4 + jl;
  uint8_t *f = calloc(1, total);
  put32(f, (uint32_t)(total - 4));
  f[4] = 1;
  f[5] = method;
  put32(f + 8, 7);
  put32(f + 20, 1);
  put32(f + 24, (uint32_t)jl);
  memcpy(f + 28, json, jl);
  bool ok = write(fd, f, total) == (ssize_t)total;
  free(f);
  HRESULT hr = E_FAIL;
  uint8_t h[4];
  if (ok && rd(fd, h, 4)) {
    uint32_t len = get32(h);
    uint8_t *b = malloc(len);
    if (rd(fd, b, len) && len >= 24) {
      hr = (HRESULT)get32(b + 8);
      uint32_t sl = get32(b + 20);
      if (sl != 0xFFFFFFFFu && answer && 24 + sl <= len) {
        *answer = malloc(sl + 1);
        memcpy(*answer, b + 24, sl);
        (*answer)[sl] = 0;
      }
    }
    free(b);
  }
  close(fd);
  return hr;
}

HRESULT control_delay(const char *method, int ms, int count) {
  char j[256];
  snprintf(j, sizeof j, "{\"kind\":\"delay\",\"method\":\"%s\",\"ms\":%d,\"count\":%d}", method, ms, count);
  return control(65, j, NULL);
}

HRESULT control_clear(void) {
  return control(65, "{\"kind\":\"clear\"}", NULL);
}

double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

void sleep_ms(int ms) {
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

HRESULT wait_op(HCS_OPERATION op, char **doc) {
  PWSTR d = NULL;
  HRESULT hr = HcsWaitForOperationResult(op, 10000, &d);
  if (doc) {
    *doc = take_doc(d);
  } else {
    LocalFree(d);
  }
  return hr;
}

HRESULT make_vm(const char *id, const char *owner, bool start, bool terminate, HCS_SYSTEM *out) {
  *out = NULL;
  char16_t *wid = u16(id);
  char *cfg = vm_config(owner, terminate);
  char16_t *wcfg = u16(cfg);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  HRESULT hr = HcsCreateComputeSystem(wid, wcfg, op, NULL, out);
  if (hr == S_OK) hr = wait_op(op, NULL);
  if (hr == S_OK && start) {
    hr = HcsStartComputeSystem(*out, op, NULL);
    if (hr == S_OK) hr = wait_op(op, NULL);
  }
  HcsCloseOperation(op);
  free(wid);
  free(cfg);
  free(wcfg);
  return hr;
}
