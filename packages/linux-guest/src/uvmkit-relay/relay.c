/*
 * `uvmkit-relay serve`: one poll loop over the virtio-serial port, the API socket and every guest
 * connection. Never spins on a port with no host behind it: after POLLHUP (or a read of 0) the port
 * leaves the poll set until a SIGIO (O_ASYNC) says the host side changed. Writes to the port are
 * batched: everything one loop iteration produced goes out in writes of at most 32 KiB.
 * Everything a host can make this process hold is bounded (streams, listeners, buffers).
 */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

#define MAX_HEADER_CONNS 32
#define MAX_CONNS (RELAY_MAX_STREAMS + RELAY_MAX_LISTENERS + MAX_HEADER_CONNS)
#define HEADER_MAX 512
#define OUT_CAP (1024u * 1024u)          /* hard bound of queued port output */
#define OUT_READ_LIMIT (512u * 1024u)    /* stop reading the port above this much queued output */
#define OUT_SOFT (64u * 1024u)           /* stop reading local sockets above this */
#define PORT_WRITE_MAX 32768u            /* one virtqueue kick */
#define PORT_READ_MAX 65536u            /* port bytes read per loop round at most */
#define PORT_READ_CHUNK 4096u          /* a virtio read returns at most one 4 KiB buffer */
#define CREDIT_BATCH (64u * 1024u)
#define HEADER_TIMEOUT_MS 10000
#define OPEN_TIMEOUT_MS 30000
#define PORT_OPEN_WAIT_MS 30000

enum kind { K_FREE, K_HEADER, K_STREAM, K_LISTEN };

struct conn {
  enum kind kind;
  int fd;
  int64_t deadline; /* header phase, or a guest-opened stream waiting for OPEN_OK */
  char hdr[HEADER_MAX];
  size_t hdr_len;
  /* stream */
  uint32_t id;
  uint8_t guid[16];
  int opening, local_eof, local_hup, local_gone, close_sent, peer_closed, wr_shut;
  uint32_t credit;  /* bytes we may still send to the host */
  uint32_t rwin;    /* bytes the host may still send us */
  uint32_t unacked; /* bytes delivered locally, not yet credited back */
  uint8_t *in;      /* host → guest bytes not yet written to fd */
  size_t in_off, in_len, in_cap;
  uint8_t pre[HEADER_MAX]; /* bytes after the CONNECT line, sent after OPEN_OK */
  size_t pre_len;
  /* listener registration */
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static struct conn conns[MAX_CONNS];
static size_t conn_hi; /* every slot at or above this index is free: the loops stop here */
static int port_fd = -1, port_virtio, port_active, api_fd = -1, sig_fd = -1, verbose;
static int synced;
static uint32_t next_id = 1, last_host_id;
static struct relay_parser parser;
static uint8_t out[OUT_CAP + RELAY_MAX_FRAME];
static size_t out_off, out_len; /* queued bytes are out[out_off..out_len) */

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("uvmkit-relay: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}
#define vlog(...) do { if (verbose) logf_(__VA_ARGS__); } while (0)

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t out_pending(void) { return out_len - out_off; }

/* Room for n more bytes of output; NULL when the hard bound would be passed. */
static uint8_t *out_reserve(size_t n) {
  if (out_pending() + n > OUT_CAP) return NULL;
  if (out_len + n > sizeof out) {
    memmove(out, out + out_off, out_pending());
    out_len -= out_off;
    out_off = 0;
  }
  return out + out_len;
}

static void protocol_error(const char *why);

static void emit(uint8_t type, uint32_t stream, const void *payload, size_t len) {
  uint8_t *p = out_reserve(RELAY_HDR + len);
  if (p == NULL) {
    protocol_error("port output over its bound");
    return;
  }
  relay_put_header(p, type, (uint16_t)len, stream);
  if (len > 0) memcpy(p + RELAY_HDR, payload, len);
  out_len += RELAY_HDR + len;
}

static void emit_u32(uint8_t type, uint32_t stream, uint32_t v) {
  uint8_t b[4];
  relay_put32(b, v);
  emit(type, stream, b, 4);
}

static void emit_fail(uint32_t stream, uint32_t code, const char *text) {
  uint8_t b[4 + RELAY_MAX_REASON];
  size_t n = strlen(text);
  if (n > RELAY_MAX_REASON) n = RELAY_MAX_REASON;
  relay_put32(b, code);
  memcpy(b + 4, text, n);
  emit(RF_OPEN_FAIL, stream, b, 4 + n);
}

static void emit_resync(const char *why) {
  size_t n = strlen(why);
  emit(RF_RESYNC, 0, why, n > RELAY_MAX_REASON ? RELAY_MAX_REASON : n);
}

/* ---- guest connections ---- */

static struct conn *conn_new(enum kind k, int fd) {
  for (size_t i = 0; i < MAX_CONNS; i++) {
    if (conns[i].kind == K_FREE) {
      struct conn *c = &conns[i];
      memset(c, 0, sizeof *c);
      c->kind = k;
      c->fd = fd;
      if (i + 1 > conn_hi) conn_hi = i + 1;
      return c;
    }
  }
  return NULL;
}

static size_t count(enum kind k) {
  size_t n = 0;
  for (size_t i = 0; i < conn_hi; i++) n += conns[i].kind == k;
  return n;
}

static void conn_free(struct conn *c) {
  if (c->fd >= 0) close(c->fd);
  free(c->in);
  c->in = NULL;
  c->kind = K_FREE;
  c->fd = -1;
  while (conn_hi > 0 && conns[conn_hi - 1].kind == K_FREE) conn_hi--;
}

static void say(int fd, const char *line) {
  /* A fresh socket's buffer always holds one short line; a client that broke it gets nothing. */
  (void)!send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static const char *fail_name(uint32_t code) {
  switch (code) {
  case RELAY_FAIL_REFUSED: return "refused";
  case RELAY_FAIL_LIMIT: return "limit";
  case RELAY_FAIL_UNAVAILABLE: return "unavailable";
  case RELAY_FAIL_TIMEOUT: return "timeout";
  default: return "internal";
  }
}

/* Drop a stream; `notify` sends RESET so the host drops its side too. */
static void stream_reset_(struct conn *s, int notify, const char *err_line, int line) {
  if (s->opening && err_line != NULL) say(s->fd, err_line);
  if (notify) emit_u32(RF_RESET, s->id, 0);
  vlog("stream %u reset (%s, line %d, errno %d)", s->id, notify ? "by the guest" : "by the host or a resync", line, errno);
  conn_free(s);
}

#define stream_reset(s, notify, err_line) stream_reset_((s), (notify), (err_line), __LINE__)

static void reset_all_streams(const char *err_line) {
  for (size_t i = 0; i < conn_hi; i++)
    if (conns[i].kind == K_STREAM) stream_reset(&conns[i], 0, err_line);
}

static struct conn *find_stream(uint32_t id) {
  for (size_t i = 0; i < conn_hi; i++)
    if (conns[i].kind == K_STREAM && conns[i].id == id) return &conns[i];
  return NULL;
}

static struct conn *find_listener(const uint8_t guid[16]) {
  for (size_t i = 0; i < conn_hi; i++)
    if (conns[i].kind == K_LISTEN && memcmp(conns[i].guid, guid, 16) == 0) return &conns[i];
  return NULL;
}

/* Free the stream when both directions are done; half-close the local side when the host's is. */
static void stream_settle(struct conn *s) {
  if (s->peer_closed && s->in_len == 0 && !s->wr_shut && !s->local_gone) {
    shutdown(s->fd, SHUT_WR);
    s->wr_shut = 1;
  }
  if (s->peer_closed && s->in_len == 0 && (s->close_sent || s->local_gone)) {
    if (!s->close_sent) emit(RF_CLOSE, s->id, NULL, 0);
    vlog("stream %u done", s->id);
    conn_free(s);
  }
}

static void credit_back(struct conn *s, size_t n) {
  s->unacked += (uint32_t)n;
  if (s->unacked >= CREDIT_BATCH) {
    emit_u32(RF_CREDIT, s->id, s->unacked);
    s->rwin += s->unacked;
    s->unacked = 0;
  }
}

/* Write buffered host bytes to the local socket. Returns -1 when the stream was reset. */
static int stream_flush_in(struct conn *s) {
  while (s->in_len > 0) {
    ssize_t n = send(s->fd, s->in + s->in_off, s->in_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      stream_reset(s, 1, NULL);
      return -1;
    }
    s->in_off += (size_t)n;
    s->in_len -= (size_t)n;
    credit_back(s, (size_t)n);
  }
  s->in_off = 0;
  return 0;
}

static const char *stream_data(struct conn *s, const uint8_t *p, size_t n) {
  if (s->opening) return "DATA before OPEN_OK";
  if (s->peer_closed) return "DATA after CLOSE";
  if (n > s->rwin) return "DATA beyond the granted credit";
  s->rwin -= (uint32_t)n;
  if (s->local_gone) {
    stream_reset(s, 1, NULL);
    return NULL;
  }
  size_t done = 0;
  if (s->in_len == 0) {
    ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      stream_reset(s, 1, NULL);
      return NULL;
    }
    if (w > 0) done = (size_t)w;
  }
  if (done < n) {
    size_t rest = n - done;
    if (s->in_off + s->in_len + rest > s->in_cap) {
      if (s->in_off > 0) {
        memmove(s->in, s->in + s->in_off, s->in_len);
        s->in_off = 0;
      }
      if (s->in_len + rest > s->in_cap) {
        size_t cap = s->in_cap == 0 ? 16384 : s->in_cap;
        while (cap < s->in_len + rest) cap *= 2;
        if (cap > RELAY_WINDOW) cap = RELAY_WINDOW; /* in_len + rest <= WINDOW by the credit check */
        uint8_t *nb = realloc(s->in, cap);
        if (nb == NULL) {
          stream_reset(s, 1, NULL);
          return NULL;
        }
        s->in = nb;
        s->in_cap = cap;
      }
    }
    memcpy(s->in + s->in_off + s->in_len, p + done, rest);
    s->in_len += rest;
  }
  if (done > 0) credit_back(s, done);
  return NULL;
}

/* ---- the host side of the port ---- */

static void send_hello(const uint8_t nonce[8]) {
  uint8_t b[RELAY_HELLO_BASE + 16 * RELAY_MAX_LISTENERS];
  size_t n = RELAY_HELLO_BASE;
  uint16_t nl = 0;
  for (size_t i = 0; i < conn_hi && nl < RELAY_MAX_LISTENERS; i++) {
    if (conns[i].kind != K_LISTEN) continue;
    memcpy(b + n, conns[i].guid, 16);
    n += 16;
    nl++;
  }
  memcpy(b, RELAY_MAGIC_HELLO, 8);
  memcpy(b + 8, nonce, 8);
  relay_put16(b + 16, RELAY_VERSION);
  relay_put16(b + 18, nl);
  relay_put32(b + 20, RELAY_WINDOW);
  emit(RF_HELLO, 0, b, n);
}

static void on_sync(const uint8_t *payload) {
  reset_all_streams("ERR unavailable relay resynchronized\n");
  out_off = out_len = 0; /* frames of the previous connection: the host discards them anyway */
  next_id = 1;
  last_host_id = 0;
  synced = 1;
  uint16_t version = relay_get16(payload + 16);
  if (version != RELAY_VERSION) logf_("host speaks relay version %u, this is %u", version, RELAY_VERSION);
  send_hello(payload + 8);
  logf_("synchronized with the host");
}

static void open_from_host(uint32_t id, const uint8_t guid[16]) {
  struct conn *l = find_listener(guid);
  if (l == NULL) {
    emit_fail(id, RELAY_FAIL_REFUSED, "no guest listener for the service");
    return;
  }
  if (count(K_STREAM) >= RELAY_MAX_STREAMS) {
    emit_fail(id, RELAY_FAIL_LIMIT, "too many streams");
    return;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    emit_fail(id, RELAY_FAIL_INTERNAL, strerror(errno));
    return;
  }
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  memcpy(a.sun_path, l->path, sizeof a.sun_path);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    char why[RELAY_MAX_REASON];
    snprintf(why, sizeof why, "connect %s: %s", l->path, strerror(errno));
    close(fd);
    emit_fail(id, RELAY_FAIL_REFUSED, why);
    return;
  }
  struct conn *s = conn_new(K_STREAM, fd);
  if (s == NULL) { /* cannot happen: slots cover the stream bound */
    close(fd);
    emit_fail(id, RELAY_FAIL_LIMIT, "no connection slot");
    return;
  }
  s->id = id;
  memcpy(s->guid, guid, 16);
  s->credit = s->rwin = RELAY_WINDOW;
  emit(RF_OPEN_OK, id, NULL, 0);
  vlog("stream %u opened by the host", id);
}

static const char *on_frame(void *ctx, const struct relay_frame *f) {
  (void)ctx;
  if (f->type == RF_SYNC) {
    on_sync(f->payload);
    return NULL;
  }
  if (!synced) return NULL;
  if (f->type == RF_OPEN) {
    if (f->stream <= last_host_id) return "OPEN with a stream id that is not new";
    last_host_id = f->stream;
    open_from_host(f->stream, f->payload);
    return NULL;
  }
  struct conn *s = find_stream(f->stream);
  if (s == NULL) {
    int guest_side = f->stream & 1u;
    if (guest_side ? f->stream < next_id : f->stream <= last_host_id) return NULL; /* already gone */
    return "frame for a stream that was never opened";
  }
  switch (f->type) {
  case RF_OPEN_OK:
    if (!s->opening) return "OPEN_OK for an open stream";
    s->opening = 0;
    s->credit = s->rwin = RELAY_WINDOW;
    say(s->fd, "OK\n");
    vlog("stream %u open", s->id);
    if (s->pre_len > 0) {
      emit(RF_DATA, s->id, s->pre, s->pre_len);
      s->credit -= (uint32_t)s->pre_len;
      s->pre_len = 0;
    }
    return NULL;
  case RF_OPEN_FAIL: {
    if (!s->opening) return "OPEN_FAIL for an open stream";
    char line[48 + RELAY_MAX_REASON];
    size_t n = (size_t)snprintf(line, sizeof line, "ERR %s ", fail_name(relay_get32(f->payload)));
    for (size_t i = 4; i < f->len; i++) {
      char c = (char)f->payload[i];
      line[n++] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    line[n++] = '\n';
    line[n] = '\0';
    say(s->fd, line);
    conn_free(s);
    return NULL;
  }
  case RF_DATA:
    return stream_data(s, f->payload, f->len);
  case RF_CREDIT: {
    uint32_t v = relay_get32(f->payload);
    if (s->opening) return "CREDIT before OPEN_OK";
    if ((uint64_t)s->credit + v > RELAY_WINDOW) return "CREDIT beyond the window";
    s->credit += v;
    return NULL;
  }
  case RF_CLOSE:
    if (s->opening) return "CLOSE before OPEN_OK";
    if (s->peer_closed) return "second CLOSE";
    vlog("stream %u: host CLOSE", s->id);
    s->peer_closed = 1;
    stream_settle(s);
    return NULL;
  case RF_RESET:
    stream_reset(s, 0, "ERR refused reset by the host\n");
    return NULL;
  default:
    return "unexpected frame type";
  }
}

static void protocol_error(const char *why) {
  logf_("protocol error: %s; resynchronizing", why);
  reset_all_streams("ERR unavailable relay protocol error\n");
  synced = 0;
  relay_parser_resync(&parser);
  out_off = out_len = 0;
  emit_resync(why);
}

static void on_parse_error(void *ctx, const char *why) {
  (void)ctx;
  if (!synced) return; /* garbage before a SYNC is expected */
  if (strcmp(why, "zero frame type") == 0) {
    /* The host's pad: it is resyncing (its streams are gone already); the SYNC follows. */
    logf_("host resync");
    reset_all_streams("ERR unavailable relay resynchronized\n");
    synced = 0;
    out_off = out_len = 0;
    return;
  }
  protocol_error(why);
}

static const struct relay_parser_cb parser_cb = {.on_frame = on_frame, .on_error = on_parse_error};

/*
 * SIGIO (O_ASYNC) is on only while no host is behind the port: with a host, poll() sees its
 * disconnect as POLLHUP, and a SIGIO per input interrupt would cost a signal and two signalfd reads
 * per wake-up. Turning it on, the port is polled once: a host that connected before O_ASYNC was
 * set sent its SIGIO to nobody.
 */
static int port_async(int on) {
  int fl = fcntl(port_fd, F_GETFL);
  if (fl < 0 || fcntl(port_fd, F_SETFL, on ? fl | O_ASYNC : fl & ~O_ASYNC) != 0) {
    logf_("O_ASYNC on the port: %s", strerror(errno));
    return -1;
  }
  return 0;
}

/* 1 when a host is behind the virtio port now (poll does not report POLLHUP). */
static int host_present(void) {
  struct pollfd p = {.fd = port_fd, .events = POLLIN};
  return poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP);
}

/* No host behind the virtio port: reset everything and wait for a SIGIO. */
static void host_lost(void) {
  if (synced) logf_("host disconnected");
  reset_all_streams("ERR unavailable host disconnected\n");
  synced = 0;
  relay_parser_resync(&parser);
  out_off = out_len = 0;
  port_active = 0;
  port_async(1);
  if (host_present()) {
    port_async(0);
    port_active = 1;
  }
}

/* ---- guest-side API ---- */

static void header_line(struct conn *c, char *line, size_t used) {
  char *arg = strchr(line, ' ');
  if (arg != NULL) *arg++ = '\0';
  uint8_t guid[16];
  if (strcmp(line, "CONNECT") == 0 && arg != NULL && relay_guid_parse(arg, guid) == 0) {
    if (!synced) {
      say(c->fd, "ERR unavailable relay is not connected to the host\n");
      conn_free(c);
      return;
    }
    if (count(K_STREAM) >= RELAY_MAX_STREAMS || next_id >= 0xfffffff0u) {
      say(c->fd, "ERR limit too many streams\n");
      conn_free(c);
      return;
    }
    size_t rest = c->hdr_len - used;
    memcpy(c->pre, c->hdr + used, rest);
    c->pre_len = rest;
    c->kind = K_STREAM;
    c->id = next_id;
    next_id += 2;
    memcpy(c->guid, guid, 16);
    c->opening = 1;
    c->deadline = now_ms() + OPEN_TIMEOUT_MS;
    emit(RF_OPEN, c->id, guid, 16);
    vlog("stream %u: CONNECT %s", c->id, arg);
    return;
  }
  char *path = arg != NULL ? strchr(arg, ' ') : NULL;
  if (path != NULL) *path++ = '\0';
  if (strcmp(line, "LISTEN") == 0 && path != NULL && relay_guid_parse(arg, guid) == 0 && path[0] == '/' &&
      strlen(path) < sizeof c->path) {
    if (find_listener(guid) != NULL) {
      say(c->fd, "ERR in-use the service already has a guest listener\n");
      conn_free(c);
      return;
    }
    if (count(K_LISTEN) >= RELAY_MAX_LISTENERS) {
      say(c->fd, "ERR limit too many listeners\n");
      conn_free(c);
      return;
    }
    c->kind = K_LISTEN;
    memcpy(c->guid, guid, 16);
    snprintf(c->path, sizeof c->path, "%s", path);
    say(c->fd, "OK\n");
    if (synced) emit(RF_LISTEN, 0, guid, 16);
    vlog("LISTEN %s %s", arg, path);
    return;
  }
  say(c->fd, "ERR bad-request expected CONNECT <guid> or LISTEN <guid> <absolute-path>\n");
  conn_free(c);
}

static void header_read(struct conn *c) {
  ssize_t n = recv(c->fd, c->hdr + c->hdr_len, sizeof c->hdr - 1 - c->hdr_len, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    conn_free(c);
    return;
  }
  c->hdr_len += (size_t)n;
  char *nl = memchr(c->hdr, '\n', c->hdr_len);
  if (nl == NULL) {
    if (c->hdr_len >= sizeof c->hdr - 1) {
      say(c->fd, "ERR bad-request header line too long\n");
      conn_free(c);
    }
    return;
  }
  *nl = '\0';
  if (nl > c->hdr && nl[-1] == '\r') nl[-1] = '\0';
  header_line(c, c->hdr, (size_t)(nl - c->hdr) + 1);
}

static void listener_read(struct conn *c) {
  char junk[256];
  ssize_t n = recv(c->fd, junk, sizeof junk, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n > 0) return; /* nothing is expected after LISTEN: ignored */
  if (synced) emit(RF_UNLISTEN, 0, c->guid, 16);
  vlog("listener closed");
  conn_free(c);
}

static int stream_can_read(const struct conn *s) {
  return synced && !s->opening && !s->local_eof && s->credit > 0 && out_pending() < OUT_SOFT;
}

/* Read local bytes into one DATA frame: up to 32760 bytes (or the credit), so each port write carries
 * as much as the local writer has ready (a virtqueue kick per write, qemu.md §8). */
static void stream_read(struct conn *s) {
  size_t max = s->credit < RELAY_MAX_PAYLOAD ? s->credit : RELAY_MAX_PAYLOAD;
  uint8_t *p = out_reserve(RELAY_HDR + max);
  if (p == NULL) return;
  size_t got = 0;
  int eof = 0;
  while (got < max) {
    ssize_t n = recv(s->fd, p + RELAY_HDR + got, max - got, MSG_DONTWAIT);
    if (n > 0) {
      /* A stream socket's recv returns all it holds: a short one drained it (poll says when more
       * comes), so no second recv just to see EAGAIN. */
      int drained = (size_t)n < max - got;
      got += (size_t)n;
      if (drained) break;
      continue;
    }
    if (n == 0) {
      eof = 1;
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && got == 0) {
      stream_reset(s, 1, NULL);
      return;
    }
    break;
  }
  if (got > 0) {
    relay_put_header(p, RF_DATA, (uint16_t)got, s->id);
    out_len += RELAY_HDR + got;
    s->credit -= (uint32_t)got;
  }
  if (eof) {
    vlog("stream %u: local EOF", s->id);
    s->local_eof = 1;
    emit(RF_CLOSE, s->id, NULL, 0);
    s->close_sent = 1;
    stream_settle(s);
  }
}

/* The local peer closed both directions (POLLHUP/POLLERR). */
static void stream_hup(struct conn *s) {
  s->local_hup = 1;
  if (!s->local_eof) return; /* read what it left first (when credit allows) */
  if (s->in_len > 0) {
    stream_reset(s, 1, NULL);
    return;
  }
  s->local_gone = 1;
  stream_settle(s);
}

/* ---- setup ---- */

static int open_port(const char *path) {
  int64_t until = now_ms() + PORT_OPEN_WAIT_MS;
  for (;;) {
    struct stat st;
    if (stat(path, &st) == 0) {
      if (S_ISSOCK(st.st_mode)) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
          fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
          return fd;
        }
        if (fd >= 0) close(fd);
      } else {
        int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0) {
          port_virtio = 1;
          return fd;
        }
      }
    }
    if (now_ms() > until) {
      logf_("cannot open the port %s: %s", path, strerror(errno));
      return -1;
    }
    usleep(100 * 1000);
  }
}

static int open_api(const char *path) {
  char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
  if (strlen(path) >= sizeof dir) {
    logf_("socket path too long: %s", path);
    return -1;
  }
  snprintf(dir, sizeof dir, "%s", path);
  for (char *p = dir + 1; *p != '\0'; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(dir, 0755);
    *p = '/';
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0) {
    logf_("cannot listen on %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

static void port_write(void) {
  while (port_active && out_pending() > 0) {
    size_t n = out_pending() < PORT_WRITE_MAX ? out_pending() : PORT_WRITE_MAX;
    ssize_t w = write(port_fd, out + out_off, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        if (!port_virtio) {
          logf_("port write: %s", strerror(errno));
          exit(1);
        }
        host_lost();
      }
      return;
    }
    out_off += (size_t)w;
  }
  if (out_pending() == 0) out_off = out_len = 0;
}

/*
 * Returns 0 to go on, 1 on a clean stop, -1 on a fatal error. Reads go straight into the parser's
 * buffer (no copy). A virtio read returns one receive buffer (at most 4 KiB, qemu.md §8); a full
 * one says more may be queued, so it reads on (up to PORT_READ_MAX a round) instead of going back
 * to poll for every 4 KiB. A short read ends the round.
 */
static int port_read(void) {
  size_t got = 0;
  while (got < PORT_READ_MAX && out_pending() < OUT_READ_LIMIT) {
    size_t room;
    uint8_t *dst = relay_parser_space(&parser, &room);
    ssize_t n = read(port_fd, dst, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (!port_virtio) return -1;
      host_lost();
      return 0;
    }
    if (n == 0) {
      if (!port_virtio) return 1; /* a socket standing in for the port: its peer is gone for good */
      host_lost();
      return 0;
    }
    got += (size_t)n;
    relay_parser_commit(&parser, (size_t)n, &parser_cb);
    if (!port_active) return 0; /* a frame's handling lost the host */
    if ((size_t)n < PORT_READ_CHUNK) return 0;
  }
  return 0;
}

int relay_serve(const struct relay_opts *o) {
  verbose = o->verbose;
  for (size_t i = 0; i < MAX_CONNS; i++) {
    conns[i].kind = K_FREE;
    conns[i].fd = -1;
  }
  relay_parser_init(&parser);
  signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGIO);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, NULL);
  sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sig_fd < 0) {
    logf_("signalfd: %s", strerror(errno));
    return 1;
  }
  api_fd = open_api(o->sock);
  if (api_fd < 0) return 1;
  port_fd = open_port(o->port);
  if (port_fd < 0) return 1;
  /* SIGIO on every host connect/disconnect (and on input): the only wake-up with no host behind. */
  if (fcntl(port_fd, F_SETOWN, getpid()) != 0 ||
      fcntl(port_fd, F_SETFL, fcntl(port_fd, F_GETFL) | O_NONBLOCK) != 0) {
    logf_("the port: %s", strerror(errno));
    return 1;
  }
  port_active = 1;
  logf_("serving %s on %s", o->port, o->sock);
  emit_resync("relay started"); /* a host synced with a previous instance resyncs at once */

  static struct pollfd pfd[MAX_CONNS + 3];
  static struct conn *who[MAX_CONNS + 3];
  for (;;) {
    size_t np = 0;
    int64_t now = now_ms(), next_deadline = -1;
    pfd[np] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
    who[np++] = NULL;
    pfd[np] = (struct pollfd){.fd = count(K_HEADER) < MAX_HEADER_CONNS ? api_fd : -1, .events = POLLIN};
    who[np++] = NULL;
    short pev = 0;
    if (out_pending() < OUT_READ_LIMIT) pev |= POLLIN;
    if (out_pending() > 0) pev |= POLLOUT;
    pfd[np] = (struct pollfd){.fd = port_active ? port_fd : -1, .events = pev};
    who[np++] = NULL;
    for (size_t i = 0; i < conn_hi; i++) {
      struct conn *c = &conns[i];
      short ev = 0;
      int include = 1;
      if (c->kind == K_FREE) continue;
      if (c->kind == K_HEADER || (c->kind == K_STREAM && c->opening)) {
        if (next_deadline < 0 || c->deadline < next_deadline) next_deadline = c->deadline;
      }
      if (c->kind == K_HEADER || c->kind == K_LISTEN) ev = POLLIN;
      if (c->kind == K_STREAM) {
        if (c->opening) include = 0; /* nothing to do until the host answers */
        if (stream_can_read(c)) ev |= POLLIN;
        if (c->in_len > 0) ev |= POLLOUT;
        if (c->local_gone || (c->local_hup && ev == 0)) include = 0; /* POLLHUP would spin */
      }
      pfd[np] = (struct pollfd){.fd = include ? c->fd : -1, .events = ev};
      who[np++] = c;
    }
    int timeout = next_deadline < 0 ? -1 : (int)(next_deadline > now ? next_deadline - now : 0);
    int r = poll(pfd, np, timeout);
    if (r < 0) {
      if (errno == EINTR) continue;
      logf_("poll: %s", strerror(errno));
      return 1;
    }
    if (pfd[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGIO) {
          if (!port_active && port_virtio && host_present()) {
            port_async(0);
            port_active = 1;
          }
        } else {
          logf_("stopping on signal %u", si.ssi_signo);
          unlink(o->sock);
          return 0;
        }
      }
    }
    if (pfd[2].fd >= 0 && pfd[2].revents != 0) {
      short re = pfd[2].revents;
      if (re & POLLIN) {
        int rr = port_read();
        if (rr != 0) {
          logf_(rr > 0 ? "port closed" : "port read failed");
          unlink(o->sock);
          return rr > 0 ? 0 : 1;
        }
      } else if (re & (POLLHUP | POLLERR)) {
        if (!port_virtio) {
          logf_("port closed");
          unlink(o->sock);
          return 0;
        }
        host_lost();
      }
      if (port_virtio && (re & POLLHUP)) host_lost();
    }
    if (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN)) {
      int fd = accept4(api_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        struct conn *c = conn_new(K_HEADER, fd);
        if (c == NULL) {
          close(fd);
        } else {
          c->deadline = now_ms() + HEADER_TIMEOUT_MS;
        }
      }
    }
    now = now_ms();
    for (size_t k = 3; k < np; k++) {
      struct conn *c = who[k];
      short re = pfd[k].revents;
      if (c->kind == K_FREE) continue; /* freed by an earlier event of this round */
      if (pfd[k].fd != c->fd) {
        /* the slot changed hands this round, or was excluded: deadlines only */
      } else if (c->kind == K_HEADER && re != 0) {
        header_read(c);
        continue;
      } else if (c->kind == K_LISTEN && re != 0) {
        listener_read(c);
        continue;
      } else if (c->kind == K_STREAM && re != 0) {
        if ((re & POLLOUT) || ((re & (POLLHUP | POLLERR)) && c->in_len > 0)) {
          if (stream_flush_in(c) < 0) continue;
          stream_settle(c);
          if (c->kind == K_FREE) continue;
        }
        if ((re & (POLLIN | POLLHUP | POLLERR)) && stream_can_read(c)) {
          stream_read(c);
          if (c->kind == K_FREE) continue;
        }
        if (re & (POLLHUP | POLLERR)) stream_hup(c);
        continue;
      }
      if (c->kind == K_HEADER && now >= c->deadline) {
        say(c->fd, "ERR timeout no header line within 10 s\n");
        conn_free(c);
      } else if (c->kind == K_STREAM && c->opening && now >= c->deadline) {
        stream_reset(c, 1, "ERR timeout the host did not answer\n");
      }
    }
    port_write();
  }
}
