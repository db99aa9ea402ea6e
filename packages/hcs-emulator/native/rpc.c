/* rpc.c — the hcsd connection: framing, the reader thread, pending requests, disconnect handling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "platform.h"

static conn_t *g_conn;     /* the live connection (one ref), NULL when none */
static uint32_t g_conn_gen;
static uint32_t g_next_req = 1;

#define PENDING_BUCKETS 1024u
static pending *g_pending[PENDING_BUCKETS];

/* ---- frames ---- */
static void fb_reserve(frame_buf *fb, size_t more) {
  if (fb->oom || fb->len + more <= fb->cap) return;
  size_t cap = fb->cap ? fb->cap : 256;
  while (cap < fb->len + more) cap *= 2;
  uint8_t *d = realloc(fb->data, cap);
  if (d == NULL) {
    fb->oom = true;
    return;
  }
  fb->data = d;
  fb->cap = cap;
}

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static void fb_raw(frame_buf *fb, const void *p, size_t n) {
  fb_reserve(fb, n);
  if (fb->oom) return;
  memcpy(fb->data + fb->len, p, n);
  fb->len += n;
}

void fb_u32(frame_buf *fb, uint32_t v) {
  uint8_t b[4];
  put_le(b, v, 4);
  fb_raw(fb, b, 4);
}

void fb_request(frame_buf *fb, uint8_t method, uint32_t id, uint64_t token) {
  uint8_t h[20] = {0};
  h[4] = FRAME_REQUEST;
  h[5] = method;
  put_le(h + 8, id, 4);
  put_le(h + 12, token, 8);
  fb_raw(fb, h, sizeof h);
}

void fb_string(frame_buf *fb, const char *s, uint32_t len) {
  if (s == NULL) {
    fb_u32(fb, 0xFFFFFFFFu);
    return;
  }
  fb_u32(fb, len);
  fb_raw(fb, s, len);
}

void fb_finish(frame_buf *fb) {
  if (!fb->oom) put_le(fb->data, fb->len - 4, 4);
}

void frame_set_token(uint8_t *frame, uint64_t token) {
  put_le(frame + 12, token, 8);
}

static bool build_request(frame_buf *fb, uint8_t method, uint32_t id, uint64_t token, const u8str *args,
                          uint32_t argc) {
  memset(fb, 0, sizeof *fb);
  fb_request(fb, method, id, token);
  fb_u32(fb, argc);
  for (uint32_t i = 0; i < argc; i++) fb_string(fb, args[i].data, args[i].len);
  fb_finish(fb);
  if (fb->oom || fb->len - 4 > HCSD_MAX_FRAME) {
    free(fb->data);
    fb->data = NULL;
    return false;
  }
  return true;
}

/* ---- pending registry ---- */
void pending_add(pending *p) {
  pending **b = &g_pending[p->id % PENDING_BUCKETS];
  p->next = *b;
  *b = p;
}

pending *pending_take(conn_t *c, uint32_t id) {
  for (pending **pp = &g_pending[id % PENDING_BUCKETS]; *pp; pp = &(*pp)->next) {
    pending *p = *pp;
    if (p->id == id && p->conn == c) {
      *pp = p->next;
      p->next = NULL;
      return p;
    }
  }
  return NULL;
}

bool pending_has(conn_t *c, uint32_t id) {
  for (pending *p = g_pending[id % PENDING_BUCKETS]; p; p = p->next) {
    if (p->id == id && p->conn == c) return true;
  }
  return false;
}

static void pending_free(pending *p) {
  if (p->op) op_unref(p->op);
  if (p->bind_sys) sys_unref(p->bind_sys);
  conn_unref(p->conn);
  free(p);
}

/* ---- connection ---- */
void conn_ref(conn_t *c) {
  c->refs++;
}

void conn_unref(conn_t *c) {
  if (--c->refs > 0) return;
  shim_close(c->sock);
  free(c->refusal_msg);
  pthread_cond_destroy(&c->write_cv);
  pthread_mutex_destroy(&c->write_mu);
  free(c);
}

uint32_t rpc_next_id(void) {
  uint32_t id = g_next_req++;
  if (g_next_req == 0) g_next_req = 1;
  return id;
}

struct out_frame {
  struct out_frame *next;
  uint8_t *data;
  size_t len;
};

void rpc_send(conn_t *c, uint8_t *frame, size_t len) {
  struct out_frame *f = malloc(sizeof *f);
  pthread_mutex_lock(&c->write_mu);
  bool give_up = f == NULL || c->write_stop || c->write_failed || c->out_bytes + len > SHIM_MAX_UNSENT;
  if (!give_up) {
    f->next = NULL;
    f->data = frame;
    f->len = len;
    if (c->out_tail) c->out_tail->next = f;
    else c->out_head = f;
    c->out_tail = f;
    c->out_bytes += len;
    pthread_cond_signal(&c->write_cv);
  } else if (!c->write_stop) {
    c->write_failed = true;
  }
  pthread_mutex_unlock(&c->write_mu);
  if (give_up) {
    free(f);
    free(frame);
    shim_shutdown(c->sock); /* the reader sees EOF and fails everything pending */
  }
}

/* The connection's writer: sends queued frames in order until the connection is gone. */
static void *writer_main(void *arg) {
  conn_t *c = arg;
  pthread_mutex_lock(&c->write_mu);
  for (;;) {
    while (c->out_head == NULL && !c->write_stop) pthread_cond_wait(&c->write_cv, &c->write_mu);
    struct out_frame *f = c->out_head;
    if (f == NULL) break; /* stopped, and nothing left */
    c->out_head = f->next;
    if (c->out_head == NULL) c->out_tail = NULL;
    bool skip = c->write_stop || c->write_failed;
    pthread_mutex_unlock(&c->write_mu);
    bool ok = true;
    for (size_t off = 0; !skip && off < f->len;) {
      long n = shim_send(c->sock, f->data + off, f->len - off);
      if (n <= 0) {
        ok = false;
        break;
      }
      off += (size_t)n;
    }
    if (!ok) shim_shutdown(c->sock); /* the reader sees EOF and fails everything pending */
    free(f->data);
    pthread_mutex_lock(&c->write_mu);
    c->out_bytes -= f->len;
    if (!ok) c->write_failed = true;
    free(f);
  }
  pthread_mutex_unlock(&c->write_mu);
  pthread_mutex_lock(&g_mu);
  conn_unref(c); /* the writer's reference */
  pthread_mutex_unlock(&g_mu);
  return NULL;
}

/* Tell the writer the connection is gone (g_mu may be held: the writer takes it only after
   dropping write_mu). */
static void writer_stop(conn_t *c) {
  pthread_mutex_lock(&c->write_mu);
  c->write_stop = true;
  pthread_cond_signal(&c->write_cv);
  pthread_mutex_unlock(&c->write_mu);
}

static void *reader_main(void *arg);
static bool read_full(shim_sock fd, void *buf, size_t n);

#define HELLO_WAIT_MS 5000u /* how long a TCP connect waits for hcsd's answer to Hello */
#define SECRET_MAX 256u

/* The TCP access check's secret: the first line of the file $UVMKIT_HCSD_SECRET_FILE names
 * (written by hcsd, readable by its user only), or NULL when unset or unreadable. */
static char *read_secret(void) {
  char *path = shim_getenv("UVMKIT_HCSD_SECRET_FILE");
  if (path == NULL) return NULL;
  FILE *f = fopen(path, "rb");
  free(path);
  if (f == NULL) return NULL;
  char buf[SECRET_MAX + 1];
  size_t n = fread(buf, 1, SECRET_MAX, f);
  fclose(f);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
  buf[n] = 0;
  char *s = malloc(n + 1);
  if (s != NULL) memcpy(s, buf, n + 1);
  return s;
}

/* Send Hello on a fresh socket (a small write that cannot block). Over TCP the answer is awaited
 * here, before the reader thread exists: hcsd refuses a missing or wrong secret with an error
 * HRESULT (E_ACCESSDENIED) and closes the connection, and that HRESULT is what the caller gets. */
static HRESULT hello(shim_sock sock, bool tcp) {
  char pid[24];
  snprintf(pid, sizeof pid, "%lu", shim_pid());
  char *secret = tcp ? read_secret() : NULL;
  u8str args[4] = {{"libcomputecore", 14},
                   {pid, (uint32_t)strlen(pid)},
                   {"1", 1},
                   {secret, secret ? (uint32_t)strlen(secret) : 0}};
  uint32_t id = rpc_next_id();
  frame_buf fb;
  bool built = build_request(&fb, M_HELLO, id, 0, args, tcp ? 4 : 3);
  free(secret);
  if (!built) return E_OUTOFMEMORY;
  long sent = 0;
  while (sent >= 0 && (size_t)sent < fb.len) {
    long n = shim_send(sock, fb.data + sent, fb.len - (size_t)sent);
    sent = n > 0 ? sent + n : -1;
  }
  free(fb.data);
  if (sent < 0) return HCS_E_SERVICE_NOT_AVAILABLE;
  if (!tcp) return S_OK; /* Unix socket: hcsd checked the peer's credentials; not awaited */
  shim_set_recv_timeout(sock, HELLO_WAIT_MS);
  uint8_t hdr[4];
  HRESULT hr = HCS_E_SERVICE_NOT_AVAILABLE;
  if (read_full(sock, hdr, 4)) {
    uint32_t len = (uint32_t)get_le(hdr, 4);
    uint8_t *buf = len >= 20 && len <= HCSD_MAX_FRAME ? malloc(len) : NULL;
    if (buf != NULL && read_full(sock, buf, len) && buf[0] == FRAME_RESPONSE && get_le(buf + 4, 4) == id) {
      hr = (HRESULT)(uint32_t)get_le(buf + 8, 4);
    }
    free(buf);
  }
  shim_set_recv_timeout(sock, 0);
  return hr;
}

uint32_t rpc_call_timeout_ms(void) {
  char *env = shim_getenv("UVMKIT_HCSD_CALL_TIMEOUT_MS");
  uint32_t ms = SHIM_CALL_TIMEOUT_MS;
  if (env != NULL) {
    char *end = NULL;
    unsigned long v = strtoul(env, &end, 10);
    if (end != NULL && *end == 0 && v > 0 && v < INFINITE) ms = (uint32_t)v;
    free(env);
  }
  return ms;
}

static char g_socket_path[4096]; /* the endpoint rpc_connection last tried (g_mu held) */

/* The endpoint the shim would try now: $UVMKIT_HCSD_SOCKET, else shim_default_endpoint's path
 * (empty when there is none). */
static void socket_path_now(char *out, size_t n) {
  char *endpoint = shim_getenv("UVMKIT_HCSD_SOCKET");
  if (endpoint != NULL) {
    snprintf(out, n, "%s", endpoint);
    free(endpoint);
  } else if (!shim_default_endpoint(out, n)) {
    out[0] = 0;
  }
}

const char *UvmkitShimSocketPath(void) {
  static char out[sizeof g_socket_path];
  shim_init();
  pthread_mutex_lock(&g_mu);
  if (g_socket_path[0] != 0) snprintf(out, sizeof out, "%s", g_socket_path);
  else socket_path_now(out, sizeof out);
  pthread_mutex_unlock(&g_mu);
  return out;
}

conn_t *rpc_connection(HRESULT *hr) {
  if (g_conn != NULL && !g_conn->dead) {
    conn_ref(g_conn);
    return g_conn;
  }
  char *endpoint = shim_getenv("UVMKIT_HCSD_SOCKET");
  char fallback[108];
  bool is_default = endpoint == NULL;
  if (is_default && !shim_default_endpoint(fallback, sizeof fallback)) {
    *hr = HCS_E_SERVICE_NOT_AVAILABLE;
    return NULL;
  }
  uint32_t wait = rpc_call_timeout_ms();
  if (wait > SHIM_CONNECT_WAIT_MS) wait = SHIM_CONNECT_WAIT_MS;
  shim_sock sock;
  bool tcp = false;
  snprintf(g_socket_path, sizeof g_socket_path, "%s", is_default ? fallback : endpoint);
  int rc = shim_connect(is_default ? fallback : endpoint, is_default, wait, &sock, &tcp);
  free(endpoint);
  if (rc != SC_OK) {
    *hr = rc == SC_TIMEOUT ? HCS_E_CONNECTION_TIMEOUT
          : rc == SC_NOT_PRIVATE ? HCS_E_ACCESS_DENIED
                                 : HCS_E_SERVICE_NOT_AVAILABLE;
    return NULL;
  }
  HRESULT hhr = hello(sock, tcp);
  if (hhr < 0) {
    shim_close(sock);
    *hr = hhr;
    return NULL;
  }
  conn_t *c = calloc(1, sizeof *c);
  if (c == NULL) {
    shim_close(sock);
    *hr = E_OUTOFMEMORY;
    return NULL;
  }
  c->sock = sock;
  c->gen = ++g_conn_gen;
  c->refs = 1; /* g_conn; each thread below adds its own */
  pthread_mutex_init(&c->write_mu, NULL);
  pthread_cond_init(&c->write_cv, NULL);
  dispatch_start();
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  c->refs++;
  bool writer = pthread_create(&t, &attr, writer_main, c) == 0;
  if (!writer) c->refs--;
  c->refs++;
  bool reader = writer && pthread_create(&t, &attr, reader_main, c) == 0;
  if (!reader) c->refs--;
  pthread_attr_destroy(&attr);
  if (!reader) {
    if (writer) writer_stop(c); /* it drops its reference when it exits */
    conn_unref(c);
    *hr = E_OUTOFMEMORY;
    return NULL;
  }
  g_conn = c;
  conn_ref(c);
  return c;
}

/* ---- requests ---- */
void rpc_submit_op(op_t *op, conn_t *c, sys_t *sys, uint8_t method, uint64_t token, const u8str *args, uint32_t argc,
                   sys_t *bind_sys) {
  uint32_t id = rpc_next_id();
  frame_buf fb;
  if (!build_request(&fb, method, id, token, args, argc)) {
    size_t n;
    char *d = result_error_doc(E_OUTOFMEMORY, "out of memory building the request", &n);
    if (bind_sys != NULL) bind_sys->bind = BIND_FAILED; /* never sent: it will never be bound */
    op_complete(op, E_OUTOFMEMORY, d, n);
    conn_unref(c);
    return;
  }
  pending *p = calloc(1, sizeof *p);
  queued_frame *q = NULL;
  bool queue = sys != NULL && (sys->bind == BIND_CREATING || sys->flushing);
  if (queue) q = calloc(1, sizeof *q);
  if (p == NULL || (queue && q == NULL)) {
    free(p);
    free(q);
    free(fb.data);
    size_t n;
    char *d = result_error_doc(E_OUTOFMEMORY, "out of memory", &n);
    if (bind_sys != NULL) bind_sys->bind = BIND_FAILED;
    op_complete(op, E_OUTOFMEMORY, d, n);
    conn_unref(c);
    return;
  }
  p->id = id;
  p->kind = PK_OP;
  p->conn = c; /* takes the caller's reference */
  p->op = op;
  op_ref(op);
  if (bind_sys) {
    p->bind_sys = bind_sys;
    sys_ref(bind_sys);
  }
  op->request_id = id;
  if (op->conn) conn_unref(op->conn);
  op->conn = c;
  conn_ref(c);
  pending_add(p);
  if (queue) {
    q->op = op;
    q->frame = fb.data;
    q->len = fb.len;
    if (sys->queue_tail) {
      sys->queue_tail->next = q;
    } else {
      sys->queue_head = q;
    }
    sys->queue_tail = q;
    return;
  }
  rpc_send(c, fb.data, fb.len);
}

HRESULT rpc_call_sync(conn_t *c, uint8_t method, uint64_t token, const u8str *args, uint32_t argc, sync_call *out,
                      sys_t *bind_sys) {
  memset(out, 0, sizeof *out);
  uint32_t id = rpc_next_id();
  frame_buf fb;
  if (!build_request(&fb, method, id, token, args, argc)) return E_OUTOFMEMORY;
  pending *p = calloc(1, sizeof *p);
  if (p == NULL) {
    free(fb.data);
    return E_OUTOFMEMORY;
  }
  p->id = id;
  p->kind = PK_SYNC;
  p->conn = c;
  conn_ref(c);
  p->sync = out;
  if (bind_sys) {
    p->bind_sys = bind_sys;
    sys_ref(bind_sys);
  }
  pending_add(p);
  rpc_send(c, fb.data, fb.len);
  struct timespec dl;
  uint32_t wait = rpc_call_timeout_ms();
  deadline_after(&dl, wait);
  while (!out->done && !deadline_passed(&dl)) cond_wait_ms(wait, &dl);
  if (!out->done) {
    /* hcsd did not answer in time: leave the request registered as an orphan (the reader frees
       it, and closes a token it may still answer with), never touching our stack again */
    for (pending *q = g_pending[id % PENDING_BUCKETS]; q; q = q->next) {
      if (q->id == id && q->conn == c) {
        q->sync = NULL;
        q->orphan = true;
      }
    }
    return HCS_E_CONNECTION_TIMEOUT;
  }
  return out->hr;
}

void rpc_close_token(conn_t *c, uint64_t token, bool wait) {
  if (c->dead) return;
  uint32_t id = rpc_next_id();
  frame_buf fb;
  if (!build_request(&fb, M_CLOSE, id, token, NULL, 0)) return;
  pending *p = calloc(1, sizeof *p);
  if (p == NULL) {
    free(fb.data);
    return;
  }
  sync_call sc;
  memset(&sc, 0, sizeof sc);
  p->id = id;
  p->kind = PK_CLOSE;
  p->conn = c;
  conn_ref(c);
  p->sync = wait ? &sc : NULL;
  pending_add(p);
  conn_ref(c);
  rpc_send(c, fb.data, fb.len);
  if (wait) {
    struct timespec dl;
    deadline_after(&dl, SHIM_CLOSE_WAIT_MS);
    while (!sc.done && !deadline_passed(&dl)) cond_wait_ms(SHIM_CLOSE_WAIT_MS, &dl);
    if (!sc.done) {
      pending *mine = pending_take(c, id); /* stop the reader from touching our stack */
      if (mine) pending_free(mine);
    }
    free(sc.doc);
  }
  conn_unref(c);
}

void rpc_cancel(conn_t *c, uint32_t request_id) {
  if (c->dead) return;
  char num[16];
  snprintf(num, sizeof num, "%u", request_id);
  u8str arg = {num, (uint32_t)strlen(num)};
  uint32_t id = rpc_next_id();
  frame_buf fb;
  if (!build_request(&fb, M_CANCEL, id, 0, &arg, 1)) return;
  rpc_send(c, fb.data, fb.len); /* the answer (S_OK / ERROR_NOT_FOUND) is not awaited */
}

/* Called when a system's Create answered (g_mu held). Sends (hands to the writer) or fails what
 * was queued, in order, under g_mu: calls made meanwhile wait for g_mu and queue behind. */
void sys_flush_queue(sys_t *s) {
  conn_t *c = s->conn;
  bool ok = s->bind == BIND_BOUND;
  conn_ref(c);
  s->flushing = true;
  while (s->queue_head != NULL) {
    queued_frame *q = s->queue_head;
    s->queue_head = q->next;
    if (s->queue_head == NULL) s->queue_tail = NULL;
    uint32_t id = (uint32_t)get_le(q->frame + 8, 4);
    if (ok) {
      if (pending_has(c, id)) {
        frame_set_token(q->frame, s->token);
        rpc_send(c, q->frame, q->len);
        q->frame = NULL; /* the writer owns it now */
      }
    } else {
      pending *p = pending_take(c, id);
      if (p) {
        HRESULT hr = s->bind == BIND_DISCONNECTED ? HCS_E_SERVICE_DISCONNECT : HCS_E_SYSTEM_NOT_FOUND;
        size_t n;
        char *d = result_error_doc(hr, "the compute system's creation failed before this call was sent", &n);
        if (p->op) op_complete(p->op, hr, d, n);
        else free(d);
        pending_free(p);
      }
    }
    free(q->frame);
    free(q);
  }
  s->flushing = false;
  if (ok && s->close_when_bound) {
    s->close_when_bound = false;
    rpc_close_token(c, s->token, false);
  }
  conn_unref(c);
}

/* ---- the reader thread ---- */
static bool read_full(shim_sock fd, void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    long r = shim_recv(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= (size_t)r;
  }
  return true;
}

/* Parse a wire string at body[*off]; returns false if malformed. NULL data = absent. */
static bool parse_string(const uint8_t *body, size_t len, size_t *off, const char **data, uint32_t *slen) {
  if (*off + 4 > len) return false;
  uint32_t n = (uint32_t)get_le(body + *off, 4);
  *off += 4;
  if (n == 0xFFFFFFFFu) {
    *data = NULL;
    *slen = 0;
    return true;
  }
  if (n > len - *off) return false;
  *data = (const char *)body + *off;
  *slen = n;
  *off += n;
  return true;
}

static char *dup_bytes(const char *s, size_t n) {
  if (s == NULL) return NULL;
  char *d = malloc(n + 1);
  if (d == NULL) return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

static void on_response(conn_t *c, uint32_t id, HRESULT hr, uint64_t value, const char *doc, uint32_t doc_len) {
  if (id == 0 && hr < 0) {
    /* hcsd refused this connection (limits, peer credentials): remember why for the calls the
       disconnect that follows fails */
    c->refusal = hr;
    free(c->refusal_msg);
    c->refusal_msg = dup_bytes(doc, doc_len);
    return;
  }
  pending *p = pending_take(c, id);
  if (p == NULL) return; /* Hello, Cancel, a Close nobody waits for, or a timed-out Close */
  char *d = dup_bytes(doc, doc_len);
  switch (p->kind) {
  case PK_SYNC:
  case PK_CLOSE:
    if (p->orphan) { /* its caller gave up: undo what hcsd did for it */
      free(d);
      pending_free(p);
      if (hr >= 0 && value != 0) rpc_close_token(c, value, false);
      return;
    }
    if (p->bind_sys) { /* Open: bind here so no event for the new token can slip past */
      p->bind_sys->bind = hr >= 0 && value != 0 ? BIND_BOUND : BIND_FAILED;
      p->bind_sys->token = value;
    }
    if (p->sync) {
      p->sync->done = true;
      p->sync->hr = hr;
      p->sync->value = value;
      p->sync->doc = d;
      p->sync->doc_len = doc_len;
      d = NULL;
    }
    free(d);
    pthread_cond_broadcast(&g_cv);
    pending_free(p);
    return;
  case PK_OP: {
    sys_t *s = p->bind_sys;
    if (s != NULL) {
      if (hr >= 0 && value != 0) {
        s->bind = BIND_BOUND;
        s->token = value;
      } else {
        s->bind = BIND_FAILED;
        s->bind_error = hr >= 0 ? E_FAIL : hr;
      }
    }
    op_complete(p->op, hr, d, doc_len);
    if (s != NULL) {
      sys_ref(s);
      pending_free(p);
      sys_flush_queue(s); /* drops g_mu while sending; sends a deferred Close last */
      sys_unref(s);
      return;
    }
    pending_free(p);
    return;
  }
  default:
    free(d);
    pending_free(p);
  }
}

static void on_event(conn_t *c, uint64_t token, uint32_t type, const char *data, uint32_t len) {
  for (sys_t *s = g_live_systems; s; s = s->next_live) {
    if (s->conn != c || s->bind != BIND_BOUND || s->token != token) continue;
    if (type == HcsEventSystemExited && !s->exited) {
      s->exited = true;
      s->exit_doc = dup_bytes(data, len);
      s->exit_doc_len = len;
      pthread_cond_broadcast(&g_cv);
    }
    if (s->handle != 0 && s->callback_set) dispatch_system_event(s, type, data, len, NULL);
    return;
  }
}

static void on_disconnect(conn_t *c) {
  c->dead = true;
  writer_stop(c);
  if (g_conn == c) {
    g_conn = NULL;
    conn_unref(c);
  }
  /* Fail every pending request of this connection. */
  for (uint32_t b = 0; b < PENDING_BUCKETS; b++) {
    pending **pp = &g_pending[b];
    while (*pp) {
      pending *p = *pp;
      if (p->conn != c) {
        pp = &p->next;
        continue;
      }
      *pp = p->next;
      if (p->bind_sys) p->bind_sys->bind = BIND_DISCONNECTED;
      HRESULT why = c->refusal < 0 ? c->refusal : HCS_E_SERVICE_DISCONNECT;
      if (p->kind == PK_OP) {
        size_t n = 0;
        char *d = NULL;
        if (c->refusal < 0 && c->refusal_msg != NULL) {
          n = strlen(c->refusal_msg);
          d = dup_bytes(c->refusal_msg, n);
        }
        if (d == NULL) d = result_error_doc(why, "lost the connection to hcsd", &n);
        op_complete(p->op, why, d, n);
      } else if (p->sync) {
        p->sync->done = true;
        p->sync->hr = why;
      }
      pending_free(p);
    }
  }
  /* Every system of this connection is now disconnected; tell the ones with a callback once. */
  for (sys_t *s = g_live_systems; s; s = s->next_live) {
    if (s->conn != c) continue;
    s->bind = BIND_DISCONNECTED;
    while (s->queue_head) { /* their operations were failed above */
      queued_frame *q = s->queue_head;
      s->queue_head = q->next;
      free(q->frame);
      free(q);
    }
    s->queue_tail = NULL;
    if (s->handle != 0 && s->callback_set && !s->disconnect_delivered) {
      s->disconnect_delivered = true;
      dispatch_system_event(s, HcsEventServiceDisconnect, NULL, 0, NULL);
    }
  }
  pthread_cond_broadcast(&g_cv);
}

static void *reader_main(void *arg) {
  conn_t *c = arg;
  uint8_t hdr[4];
  for (;;) {
    if (!read_full(c->sock, hdr, 4)) break;
    uint32_t len = (uint32_t)get_le(hdr, 4);
    if (len < 8 || len > HCSD_MAX_FRAME) break;
    uint8_t *buf = malloc(len);
    if (buf == NULL) break;
    if (!read_full(c->sock, buf, len)) {
      free(buf);
      break;
    }
    uint8_t kind = buf[0];
    uint32_t id = (uint32_t)get_le(buf + 4, 4);
    const uint8_t *body = buf + 8;
    size_t blen = len - 8, off = 0;
    const char *s = NULL;
    uint32_t slen = 0;
    bool ok = true;
    if (kind == FRAME_RESPONSE) {
      if (blen < 12) ok = false;
      if (ok) {
        HRESULT hr = (HRESULT)(uint32_t)get_le(body, 4);
        uint64_t value = get_le(body + 4, 8);
        off = 12;
        ok = parse_string(body, blen, &off, &s, &slen);
        if (ok) {
          pthread_mutex_lock(&g_mu);
          on_response(c, id, hr, value, s, slen);
          pthread_mutex_unlock(&g_mu);
        }
      }
    } else if (kind == FRAME_EVENT) {
      if (blen < 12) ok = false;
      if (ok) {
        uint64_t token = get_le(body, 8);
        uint32_t type = (uint32_t)get_le(body + 8, 4);
        off = 12;
        ok = parse_string(body, blen, &off, &s, &slen);
        if (ok) {
          pthread_mutex_lock(&g_mu);
          on_event(c, token, type, s, slen);
          pthread_mutex_unlock(&g_mu);
        }
      }
    } else {
      ok = false;
    }
    free(buf);
    if (!ok) break;
  }
  shim_shutdown(c->sock);
  pthread_mutex_lock(&g_mu);
  on_disconnect(c);
  conn_unref(c); /* the reader's reference */
  pthread_mutex_unlock(&g_mu);
  return NULL;
}
