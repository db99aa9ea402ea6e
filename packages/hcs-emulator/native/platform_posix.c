/* platform_posix.c — platform.h for Linux and other POSIX systems (libcomputecore.so). */
#ifndef _WIN32
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "platform.h"
#include "tcp_endpoint.h"

int shim_connect(const char *endpoint, shim_sock *out, bool *is_tcp) {
  struct sockaddr_storage ss;
  socklen_t alen;
  memset(&ss, 0, sizeof ss);
  *is_tcp = tcp_endpoint_is_tcp(endpoint);
  if (*is_tcp) {
    uint16_t port;
    if (!tcp_endpoint_parse(endpoint, &port)) return SC_BAD_ENDPOINT;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    alen = sizeof *in;
  } else {
    struct sockaddr_un *un = (struct sockaddr_un *)&ss;
    if (strlen(endpoint) >= sizeof un->sun_path) return SC_BAD_ENDPOINT;
    un->sun_family = AF_UNIX;
    strcpy(un->sun_path, endpoint);
    alen = sizeof *un;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SC_FAILED;
  int rc;
  do {
    rc = connect(fd, (struct sockaddr *)&ss, alen);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    close(fd);
    return SC_FAILED;
  }
  *out = (shim_sock)fd;
  return SC_OK;
}

long shim_send(shim_sock s, const void *buf, size_t len) {
  for (;;) {
    ssize_t n = send((int)s, buf, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    return n > 0 ? (long)n : -1;
  }
}

long shim_recv(shim_sock s, void *buf, size_t len) {
  for (;;) {
    ssize_t n = recv((int)s, buf, len, 0);
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? -1 : (long)n;
  }
}

void shim_set_recv_timeout(shim_sock s, uint32_t ms) {
  struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
  setsockopt((int)s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void shim_shutdown(shim_sock s) {
  shutdown((int)s, SHUT_RDWR);
}

void shim_close(shim_sock s) {
  close((int)s);
}

char *shim_getenv(const char *name) {
  const char *v = getenv(name);
  return v == NULL || *v == 0 ? NULL : strdup(v);
}

unsigned long shim_pid(void) {
  return (unsigned long)getpid();
}

void *shim_result_alloc(size_t bytes) {
  return malloc(bytes);
}

void shim_pin_module(void) {}
#endif
