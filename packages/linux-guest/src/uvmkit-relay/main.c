/*
 * uvmkit-relay [serve] [--port PATH] [--sock PATH] [-v]
 * uvmkit-relay dial <guid> [--sock PATH]          stdin/stdout ⇄ a stream to a host service
 * uvmkit-relay echo <guid> [--sock PATH] [--path P] listen for the service in the guest and echo
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "relay.h"

static int usage(void) {
  fputs("usage: uvmkit-relay [serve] [--port PATH] [--sock PATH] [-v]\n"
        "       uvmkit-relay dial <guid> [--sock PATH]\n"
        "       uvmkit-relay echo <guid> [--sock PATH] [--path PATH]\n",
        stderr);
  return 2;
}

static int connect_unix(const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) return -1;
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Send one header line and read the one-line answer byte by byte (nothing after it is consumed). */
static int request(const char *sock, const char *line) {
  int fd = connect_unix(sock);
  if (fd < 0) {
    fprintf(stderr, "uvmkit-relay: connect %s: %s\n", sock, strerror(errno));
    return -1;
  }
  if (write_all(fd, line, strlen(line)) != 0) {
    fprintf(stderr, "uvmkit-relay: write: %s\n", strerror(errno));
    close(fd);
    return -1;
  }
  char reply[320];
  size_t n = 0;
  while (n < sizeof reply - 1) {
    ssize_t r = read(fd, reply + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (reply[n++] == '\n') break;
  }
  reply[n] = '\0';
  if (strcmp(reply, "OK\n") != 0) {
    fprintf(stderr, "uvmkit-relay: %s", n > 0 ? reply : "no answer from the relay\n");
    close(fd);
    return -1;
  }
  return fd;
}

int relay_dial(const char *sock, const char *guid) {
  uint8_t g[16];
  if (relay_guid_parse(guid, g) != 0) return usage();
  char line[64];
  snprintf(line, sizeof line, "CONNECT %s\n", guid);
  int fd = request(sock, line);
  if (fd < 0) return 1;
  static char buf[65536];
  int in_open = 1;
  for (;;) {
    struct pollfd p[2] = {{.fd = in_open ? 0 : -1, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (p[1].revents) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return n == 0 ? 0 : 1;
      if (write_all(1, buf, (size_t)n) != 0) return 1;
    }
    if (in_open && p[0].revents) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        in_open = 0;
        shutdown(fd, SHUT_WR);
      } else if (write_all(fd, buf, (size_t)n) != 0) {
        return 1;
      }
    }
  }
}

#define ECHO_MAX 64
struct echo_conn {
  int fd;
  size_t len, off;
  int eof;
  char buf[65536];
};

/* Write what is buffered; -1 when the connection broke. */
static int echo_flush(struct echo_conn *e) {
  ssize_t w = send(e->fd, e->buf + e->off, e->len - e->off, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w < 0 && errno != EAGAIN && errno != EINTR) return -1;
  if (w > 0) e->off += (size_t)w;
  if (e->off == e->len) e->off = e->len = 0;
  return 0;
}

/* One echo connection's turn: write what is buffered, else read more and write it back at once
 * (no poll round between the two). Returns 1 when it is done. */
static int echo_step(struct echo_conn *e, short re) {
  if (e->len > e->off) {
    if (echo_flush(e) != 0) return 1;
  } else if (!e->eof && (re & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t n = recv(e->fd, e->buf, sizeof e->buf, MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return 1;
    if (n == 0) e->eof = 1;
    if (n > 0) {
      e->len = (size_t)n;
      if (echo_flush(e) != 0) return 1;
    }
  }
  if (e->eof && e->len == 0) {
    shutdown(e->fd, SHUT_WR);
    return 1;
  }
  return 0;
}

int relay_echo(const char *sock, const char *guid, const char *path) {
  uint8_t g[16];
  if (relay_guid_parse(guid, g) != 0) return usage();
  char def[108];
  if (path == NULL) {
    snprintf(def, sizeof def, "/tmp/uvmkit-echo-%d.sock", (int)getpid());
    path = def;
  }
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) return usage();
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  unlink(path);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 64) != 0) {
    fprintf(stderr, "uvmkit-relay: listen %s: %s\n", path, strerror(errno));
    return 1;
  }
  char line[256];
  snprintf(line, sizeof line, "LISTEN %s %s\n", guid, path);
  int reg = request(sock, line);
  if (reg < 0) {
    unlink(path);
    return 1;
  }
  printf("LISTENING %s\n", guid);
  fflush(stdout);
  static struct echo_conn ec[ECHO_MAX];
  size_t ne = 0;
  for (;;) {
    struct pollfd p[ECHO_MAX + 2];
    p[0] = (struct pollfd){.fd = reg, .events = POLLIN};
    p[1] = (struct pollfd){.fd = ne < ECHO_MAX ? lfd : -1, .events = POLLIN};
    for (size_t i = 0; i < ne; i++) {
      short ev = ec[i].len > ec[i].off ? POLLOUT : (ec[i].eof ? 0 : POLLIN);
      p[2 + i] = (struct pollfd){.fd = ec[i].fd, .events = ev};
    }
    if (poll(p, 2 + ne, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents) break; /* the relay dropped the registration */
    for (size_t i = ne; i-- > 0;) {
      if (p[2 + i].revents == 0) continue;
      if (echo_step(&ec[i], p[2 + i].revents)) {
        close(ec[i].fd);
        ec[i].fd = ec[ne - 1].fd;
        memmove(&ec[i], &ec[ne - 1], sizeof ec[i]);
        ne--;
      }
    }
    if (p[1].revents & POLLIN) {
      int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        ec[ne].fd = fd;
        ec[ne].len = ec[ne].off = 0;
        ec[ne].eof = 0;
        ne++;
      }
    }
  }
  unlink(path);
  fputs("uvmkit-relay: the relay closed the registration\n", stderr);
  return 1;
}

int main(int argc, char **argv) {
  struct relay_opts o = {.port = RELAY_DEFAULT_PORT, .sock = RELAY_DEFAULT_SOCK, .verbose = 0};
  const char *cmd = "serve", *guid = NULL, *path = NULL;
  int i = 1;
  if (i < argc && argv[i][0] != '-') cmd = argv[i++];
  if (strcmp(cmd, "dial") == 0 || strcmp(cmd, "echo") == 0) {
    if (i >= argc) return usage();
    guid = argv[i++];
  } else if (strcmp(cmd, "serve") != 0) {
    return usage();
  }
  for (; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0) {
      o.verbose = 1;
    } else if (i + 1 < argc && strcmp(argv[i], "--port") == 0) {
      o.port = argv[++i];
    } else if (i + 1 < argc && strcmp(argv[i], "--sock") == 0) {
      o.sock = argv[++i];
    } else if (i + 1 < argc && strcmp(argv[i], "--path") == 0) {
      path = argv[++i];
    } else {
      return usage();
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (strcmp(cmd, "dial") == 0) return relay_dial(o.sock, guid);
  if (strcmp(cmd, "echo") == 0) return relay_echo(o.sock, guid, path);
  return relay_serve(&o);
}
