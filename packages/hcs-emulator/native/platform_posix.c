/* platform_posix.c — platform.h for Linux and other POSIX systems (libcomputecore.so). */
#ifndef _WIN32
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"
#include "tcp_endpoint.h"

bool shim_default_endpoint(char *buf, size_t n) {
  /* The private per-user runtime directory: a C copy of runtimeDir/hcsdSocketPath of
     @uvmkit/hcs-schema (emulator-paths.ts, the rule's one home), checked against it by
     hcs-core's test/shim-paths.test.ts. <tmpdir> is Node's os.tmpdir(): $TMPDIR, $TMP, $TEMP
     (the first set and non-empty), else /tmp, without trailing slashes. */
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  int w;
  if (xdg != NULL && *xdg != 0) {
    w = snprintf(buf, n, "%s/uvmkit/hcsd.sock", xdg);
  } else if (getuid() == 0) {
    w = snprintf(buf, n, "/run/uvmkit/hcsd.sock");
  } else {
    static const char *const vars[] = {"TMPDIR", "TMP", "TEMP"};
    const char *tmp = NULL;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0] && (tmp == NULL || *tmp == 0); i++) tmp = getenv(vars[i]);
    if (tmp == NULL || *tmp == 0) tmp = "/tmp";
    size_t tl = strlen(tmp);
    while (tl > 1 && tmp[tl - 1] == '/') tl--;
    w = snprintf(buf, n, "%.*s/uvmkit-%u/hcsd.sock", (int)tl, tmp, (unsigned)getuid());
  }
  return w > 0 && (size_t)w < n;
}

/* The default directory must be private to this user (a squatter's directory is never used):
   SC_OK private, SC_FAILED missing (nothing listens), SC_NOT_PRIVATE someone else's or open. */
static int private_dir(const char *socket_path) {
  char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
  snprintf(dir, sizeof dir, "%s", socket_path);
  char *slash = strrchr(dir, '/');
  if (slash == NULL || slash == dir) return SC_NOT_PRIVATE;
  *slash = 0;
  struct stat st;
  if (lstat(dir, &st) != 0) return SC_FAILED;
  return S_ISDIR(st.st_mode) && st.st_uid == getuid() && (st.st_mode & 077) == 0 ? SC_OK : SC_NOT_PRIVATE;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* connect() with a deadline: a stopped hcsd whose backlog is full must not block us forever. */
static int connect_deadline(int fd, const struct sockaddr *addr, socklen_t alen, uint32_t wait_ms) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return SC_FAILED;
  long long end = now_ms() + wait_ms;
  int rc = SC_FAILED;
  for (;;) {
    if (connect(fd, addr, alen) == 0 || errno == EISCONN) {
      rc = SC_OK;
      break;
    }
    if (errno != EAGAIN && errno != EINTR && errno != EINPROGRESS && errno != EALREADY) break;
    if (now_ms() >= end) {
      rc = SC_TIMEOUT;
      break;
    }
    sleep_ms(5);
  }
  if (rc == SC_OK && fcntl(fd, F_SETFL, flags) != 0) rc = SC_FAILED;
  return rc;
}

int shim_connect(const char *endpoint, bool is_default, uint32_t wait_ms, shim_sock *out, bool *is_tcp) {
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
    if (is_default) {
      int priv = private_dir(endpoint);
      if (priv != SC_OK) return priv;
    }
    un->sun_family = AF_UNIX;
    strcpy(un->sun_path, endpoint);
    alen = sizeof *un;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return SC_FAILED;
  int rc = connect_deadline(fd, (struct sockaddr *)&ss, alen, wait_ms);
  if (rc != SC_OK) {
    close(fd);
    return rc;
  }
  if (is_default && !*is_tcp) {
    /* the daemon behind the default path must be this user's (or root's) */
    struct ucred cred;
    socklen_t cl = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 || (cred.uid != getuid() && cred.uid != 0)) {
      close(fd);
      return SC_NOT_PRIVATE;
    }
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
