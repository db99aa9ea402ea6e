/*
 * dial.c — connecting to a host HvSocket service through uvmkit-relay: connect to the relay's
 * Unix socket, write `CONNECT <service-guid>\n`, read one line: `OK\n` (the connection is now a
 * raw byte stream to the host's listener) or `ERR <code> <text>\n`. The reply is read one byte at
 * a time so no stream byte is consumed; the whole exchange is bounded by `timeout_ms`.
 * errno after a failure: ENOENT/ECONNREFUSED = the relay itself is not up (yet); EHOSTUNREACH =
 * the relay answered ERR (nobody listens on the host, or the relay has no host).
 * Service GUID of vsock port N: NNNNNNNN-facb-11e6-bd58-64006a7986d3 (a copy of vsockServiceIdOf of
 * @uvmkit/hcs-schema, checked by test/contracts.test.ts).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gcs.h"

void vsock_service_guid(uint32_t port, char out[37]) {
  snprintf(out, 37, "%08x-facb-11e6-bd58-64006a7986d3", port);
}

static int wait_fd(int fd, short ev, uint64_t deadline) {
  for (;;) {
    uint64_t now = now_ms();
    if (now >= deadline) {
      errno = ETIMEDOUT;
      return -1;
    }
    struct pollfd p = {.fd = fd, .events = ev};
    int r = poll(&p, 1, (int)(deadline - now));
    if (r > 0) return 0;
    if (r < 0 && errno != EINTR) return -1;
  }
}

int relay_dial(uint32_t port, int timeout_ms, char *why, size_t why_len) {
  uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(cfg.relay) >= sizeof sa.sun_path) {
    snprintf(why, why_len, "relay socket path too long");
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(sa.sun_path, cfg.relay);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(why, why_len, "socket: %s", strerror(errno));
    return -1;
  }
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int err = errno;
    snprintf(why, why_len, "connect %s: %s", cfg.relay, strerror(err));
    close(fd);
    errno = err;
    return -1;
  }
  char guid[37], hdr[64];
  vsock_service_guid(port, guid);
  int n = snprintf(hdr, sizeof hdr, "CONNECT %s\n", guid);
  if (send(fd, hdr, (size_t)n, MSG_NOSIGNAL) != n) {
    int err = errno;
    snprintf(why, why_len, "relay: writing the header: %s", strerror(err));
    close(fd);
    errno = err;
    return -1;
  }
  char line[256];
  size_t len = 0;
  for (;;) {
    if (wait_fd(fd, POLLIN, deadline) != 0) {
      int err = errno;
      snprintf(why, why_len, "relay: no answer to CONNECT %s: %s", guid, strerror(err));
      close(fd);
      errno = err;
      return -1;
    }
    char c;
    ssize_t r = recv(fd, &c, 1, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      snprintf(why, why_len, "relay closed the connection before answering CONNECT %s", guid);
      close(fd);
      errno = ECONNRESET;
      return -1;
    }
    if (c == '\n') break;
    if (len + 1 >= sizeof line) {
      snprintf(why, why_len, "relay: answer line too long");
      close(fd);
      errno = EPROTO;
      return -1;
    }
    line[len++] = c;
  }
  line[len] = '\0';
  if (strcmp(line, "OK") == 0) return fd;
  snprintf(why, why_len, "relay refused %s: %s", guid, line);
  close(fd);
  errno = strncmp(line, "ERR", 3) == 0 ? EHOSTUNREACH : EPROTO;
  return -1;
}
