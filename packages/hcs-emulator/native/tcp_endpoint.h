/* tcp_endpoint.h — the `tcp:127.0.0.1:PORT` endpoint form (header-only; used by both platforms). */
#ifndef UVMKIT_SHIM_TCP_ENDPOINT_H
#define UVMKIT_SHIM_TCP_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define TCP_ENDPOINT_PREFIX "tcp:"
#define TCP_ENDPOINT_HOST "127.0.0.1:"

static inline bool tcp_endpoint_is_tcp(const char *e) {
  return strncmp(e, TCP_ENDPOINT_PREFIX, sizeof TCP_ENDPOINT_PREFIX - 1) == 0;
}

/* Only `tcp:127.0.0.1:<1-65535>` (decimal, no sign, no leading zero) is accepted: hcsd listens on
 * loopback only, and the shim never sends its secret anywhere else. */
static inline bool tcp_endpoint_parse(const char *e, uint16_t *port) {
  if (!tcp_endpoint_is_tcp(e)) return false;
  e += sizeof TCP_ENDPOINT_PREFIX - 1;
  if (strncmp(e, TCP_ENDPOINT_HOST, sizeof TCP_ENDPOINT_HOST - 1) != 0) return false;
  e += sizeof TCP_ENDPOINT_HOST - 1;
  if (*e < '1' || *e > '9') return false;
  uint32_t v = 0;
  for (int i = 0; e[i] != 0; i++) {
    if (e[i] < '0' || e[i] > '9' || i >= 5) return false;
    v = v * 10 + (uint32_t)(e[i] - '0');
  }
  if (v > 65535) return false;
  *port = (uint16_t)v;
  return true;
}

#endif
