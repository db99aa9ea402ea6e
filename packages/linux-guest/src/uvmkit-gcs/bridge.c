/*
 * bridge.c — the bridge to the host (gcs-protocol.md §2, §6.4): dial the GCS service (vsock port
 * 0x40000000) through the relay, read frames, answer, and re-dial after any loss (a dial the
 * relay refuses backs off 100 ms doubling up to --max-backoff; while the relay's own socket is not
 * there yet it is retried every 50 ms, so boot does not wait on a grown backoff; a lost bridge is
 * re-dialled after 100 ms).
 *
 * Per connection: un-negotiated at first. The negotiated state is captured for each batch of
 * frames read together, so a request pipelined in the same write as NegotiateProtocol gets
 * E_NOTIMPL, as the Linux GCS answers it (§10). NegotiateProtocol is answered on the reader thread;
 * every other request runs on a thread of its own from a pool (answers in any order, as the Linux
 * GCS's goroutines; a blocked request — WaitForProcess, a mount waiting for its device — holds
 * only its own thread). A finished worker waits POOL_IDLE_MS for the next request, then exits
 * unless it is one of the POOL_KEEP_IDLE kept; a thread is created only when no worker is idle.
 * Bounds: at most MAX_REQUESTS requests other than WaitForProcess and MAX_WAITS WaitForProcess
 * in flight; one over is answered E_FAIL at once ("too many ... in flight"), so the pool never
 * holds more than MAX_REQUESTS + MAX_WAITS threads (named gcs-worker) and a queued request
 * always has a thread.
 *
 * Bounds: frames above 64 KiB are not buffered: their payload is skipped and the request is
 * answered E_INVALIDARG; a Size below 16 cannot be resynchronised and drops the bridge (re-dial).
 * Replies never exceed 64 KiB (an oversized reply is replaced by an E_FAIL error reply).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "gcs.h"
#include "gcsframe.h"

#define MAX_REQUESTS 64
#define MAX_WAITS 512
#define POOL_IDLE_MS 5000
#define POOL_KEEP_IDLE 2
#define POOL_STACK (512 * 1024)

struct conn {
  int fd;
  unsigned n;
  pthread_mutex_t wlock;
  atomic_int refs;
  atomic_bool dead;
};

/* The worker pool: `idle` counts the threads not running a request (waiting, or about to take
 * the next one); a request is queued only when idle >= queued after it, or with a new thread. */
static struct {
  pthread_mutex_t lock;
  pthread_cond_t work;
  request *head, *tail;
  int queued, threads, idle;
  int requests, waits; /* in flight: queued or running */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

bool conn_alive(conn *c) { return !atomic_load(&c->dead); }

static void conn_kill(conn *c) {
  if (!atomic_exchange(&c->dead, true)) shutdown(c->fd, SHUT_RDWR);
  pthread_mutex_lock(&gcs_lock);
  pthread_cond_broadcast(&gcs_cond);
  pthread_mutex_unlock(&gcs_lock);
}

static void conn_unref(conn *c) {
  if (atomic_fetch_sub(&c->refs, 1) == 1) {
    close(c->fd);
    pthread_mutex_destroy(&c->wlock);
    free(c);
  }
}

static int conn_send(conn *c, uint32_t type, uint64_t id, const char *payload, size_t len) {
  uint8_t hdr[GCS_HEADER_SIZE];
  gcs_put_header(hdr, type, (uint32_t)(GCS_HEADER_SIZE + len), id);
  struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)payload, len}};
  int rc = 0;
  pthread_mutex_lock(&c->wlock);
  if (atomic_load(&c->dead)) {
    rc = -1;
  } else {
    int idx = 0;
    while (idx < 2) {
      struct msghdr m = {.msg_iov = iov + idx, .msg_iovlen = (size_t)(2 - idx)};
      ssize_t w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EINTR) continue;
        rc = -1;
        break;
      }
      size_t left = (size_t)w;
      while (idx < 2 && left >= iov[idx].iov_len) {
        left -= iov[idx].iov_len;
        idx++;
      }
      if (idx < 2) {
        iov[idx].iov_base = (char *)iov[idx].iov_base + left;
        iov[idx].iov_len -= left;
      }
    }
  }
  pthread_mutex_unlock(&c->wlock);
  if (rc != 0) conn_kill(c);
  return rc;
}

/* Echo the request's ActivityId as the Linux GCS does: omitted when absent or empty, verbatim otherwise. */
static void put_activity(json_writer *w, const json_value *root) {
  const json_value *a = json_get(root, "ActivityId");
  if (a != NULL && a->type == JSON_STRING && a->len > 0) {
    jw_key(w, "ActivityId");
    jw_strn(w, a->s, a->len);
  }
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static size_t error_body(char *buf, size_t cap, const json_value *root, const gerr *e) {
  json_writer w;
  int32_t signed_hr = (int32_t)e->hr;
  jw_init(&w, buf, cap);
  jw_obj(&w);
  jw_key(&w, "Result");
  jw_int(&w, signed_hr);
  jw_key(&w, "ErrorMessage");
  jw_str(&w, e->msg);
  put_activity(&w, root);
  jw_key(&w, "ErrorRecords");
  jw_arr(&w);
  jw_obj(&w);
  jw_key(&w, "Result");
  jw_int(&w, signed_hr);
  jw_key(&w, "Message");
  jw_str(&w, e->msg);
  jw_key(&w, "ModuleName");
  jw_str(&w, "gcs");
  jw_key(&w, "FileName");
  jw_str(&w, e->file ? base_name(e->file) : "");
  jw_key(&w, "Line");
  jw_uint(&w, e->line > 0 ? (uint64_t)e->line : 4294967295u);
  if (e->func != NULL) {
    jw_key(&w, "FunctionName");
    jw_str(&w, e->func);
  }
  jw_obj_end(&w);
  jw_arr_end(&w);
  jw_obj_end(&w);
  return w.overflow ? 0 : w.len;
}

static uint32_t response_type(uint32_t type) { return MSG_RESPONSE | (type & 0x0FFFFFFFu); }

static void reply_error(conn *c, uint32_t type, uint64_t id, const json_value *root, const gerr *e) {
  static const size_t cap = GCS_MAX_FRAME - GCS_HEADER_SIZE;
  char *buf = malloc(cap);
  if (buf == NULL) return;
  size_t n = error_body(buf, cap, root, e);
  if (n == 0) n = (size_t)snprintf(buf, cap, "{\"Result\":%d,\"ErrorMessage\":\"error\"}", (int32_t)e->hr);
  LOGD("request 0x%08x id %llu failed: 0x%08x %s", type, (unsigned long long)id, e->hr, e->msg);
  conn_send(c, response_type(type), id, buf, n);
  free(buf);
}

/* Run `fn` and reply: {"Result":0[,"ActivityId"],<handler fields>} or the error body. */
static void run_and_reply(request *r, handler_fn fn) {
  static const size_t cap = GCS_MAX_FRAME - GCS_HEADER_SIZE;
  char *buf = malloc(cap);
  gerr e = {0};
  if (buf == NULL) return;
  json_writer w;
  jw_init(&w, buf, cap);
  jw_obj(&w);
  jw_key(&w, "Result");
  jw_int(&w, 0);
  put_activity(&w, r->root);
  int rc = fn(r, &w, &e);
  if (rc > 0) { /* no reply (the null container's shutdown) */
    free(buf);
    return;
  }
  jw_obj_end(&w);
  if (rc == 0 && w.overflow) GFAIL(&e, HR_E_FAIL, "the response is larger than the 64 KiB bridge limit");
  if (rc == 0 && !w.overflow) conn_send(r->c, response_type(r->type), r->id, buf, w.len);
  else reply_error(r->c, r->type, r->id, r->root, &e);
  free(buf);
}

/* Parse the payload; fills root/container id or answers 0xC037010D. */
static int parse_request(request *r) {
  gerr e = {0};
  if (json_parse(&r->doc, r->payload, r->payload_len) != 0 || r->doc.root->type != JSON_OBJECT) {
    GFAIL(&e, HR_INVALID_JSON, "failed to unmarshal the request: %s",
          r->doc.root == NULL ? r->doc.error : "not a JSON object");
    reply_error(r->c, r->type, r->id, NULL, &e);
    return -1;
  }
  r->root = r->doc.root;
  const json_value *a = json_get(r->root, "ActivityId");
  const json_value *cid = json_get(r->root, "ContainerId");
  if ((a != NULL && a->type != JSON_STRING && a->type != JSON_NULL) ||
      (cid != NULL && cid->type != JSON_STRING && cid->type != JSON_NULL)) {
    GFAIL(&e, HR_INVALID_JSON, "failed to unmarshal the request: ContainerId and ActivityId must be strings");
    reply_error(r->c, r->type, r->id, NULL, &e);
    return -1;
  }
  r->container_id = cid != NULL && cid->type == JSON_STRING ? cid->s : "";
  r->null_container = strcasecmp(r->container_id, NULL_CONTAINER_ID) == 0;
  return 0;
}

static handler_fn handler_for(uint32_t type) {
  switch (type) {
    case RPC_CREATE: return rpc_create;
    case RPC_START: return rpc_start;
    case RPC_SHUTDOWN_GRACEFUL:
    case RPC_SHUTDOWN_FORCED: return rpc_shutdown;
    case RPC_EXECUTE_PROCESS: return rpc_execute_process;
    case RPC_WAIT_FOR_PROCESS: return rpc_wait_for_process;
    case RPC_SIGNAL_PROCESS: return rpc_signal_process;
    case RPC_RESIZE_CONSOLE: return rpc_resize_console;
    case RPC_GET_PROPERTIES: return rpc_get_properties;
    case RPC_MODIFY_SETTINGS: return rpc_modify_settings;
    case RPC_DUMP_STACKS: return rpc_dump_stacks;
    case RPC_DELETE_CONTAINER_STATE: return rpc_delete_container_state;
    default: return NULL;
  }
}

static void free_request(request *r) {
  json_free(&r->doc);
  free(r->payload);
  conn_unref(r->c);
  free(r);
}

static void run_request(request *r) {
  if (parse_request(r) == 0) run_and_reply(r, handler_for(r->type));
  bool wait = r->type == RPC_WAIT_FOR_PROCESS;
  free_request(r);
  pthread_mutex_lock(&pool.lock);
  if (wait) pool.waits--;
  else pool.requests--;
  pthread_mutex_unlock(&pool.lock);
}

static void *pool_thread(void *arg) {
  (void)arg;
  pthread_setname_np(pthread_self(), "gcs-worker");
  pthread_mutex_lock(&pool.lock);
  for (;;) {
    while (pool.head == NULL) {
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_sec += POOL_IDLE_MS / 1000;
      until.tv_nsec += (long)(POOL_IDLE_MS % 1000) * 1000000L;
      if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
      }
      if (pthread_cond_timedwait(&pool.work, &pool.lock, &until) == ETIMEDOUT && pool.head == NULL) {
        if (pool.idle > POOL_KEEP_IDLE) {
          pool.idle--;
          pool.threads--;
          pthread_mutex_unlock(&pool.lock);
          return NULL;
        }
        while (pool.head == NULL) pthread_cond_wait(&pool.work, &pool.lock); /* a kept worker */
      }
    }
    request *r = pool.head;
    pool.head = r->next;
    if (pool.head == NULL) pool.tail = NULL;
    pool.queued--;
    pool.idle--;
    pthread_mutex_unlock(&pool.lock);
    run_request(r);
    pthread_mutex_lock(&pool.lock);
    pool.idle++;
  }
}

static int negotiate_handler(request *r, json_writer *out, gerr *e) { return rpc_negotiate(r->root, out, e); }

/* Answer NegotiateProtocol on the reader thread; returns whether it succeeded. */
static bool negotiate(conn *c, const gcs_frame *f) {
  request r = {.c = c, .type = f->type, .id = f->id, .payload = (char *)f->payload, .payload_len = f->payload_len};
  bool ok = false;
  if (parse_request(&r) == 0) {
    static const size_t cap = GCS_MAX_FRAME - GCS_HEADER_SIZE;
    char *buf = malloc(cap);
    if (buf != NULL) {
      gerr e = {0};
      json_writer w;
      jw_init(&w, buf, cap);
      jw_obj(&w);
      jw_key(&w, "Result");
      jw_int(&w, 0);
      put_activity(&w, r.root);
      if (negotiate_handler(&r, &w, &e) == 0) {
        jw_obj_end(&w);
        ok = conn_send(c, response_type(f->type), f->id, buf, w.len) == 0;
      } else {
        reply_error(c, f->type, f->id, r.root, &e);
      }
      free(buf);
    }
  }
  json_free(&r.doc);
  return ok;
}

static void dispatch(conn *c, const gcs_frame *f) {
  gerr e = {0};
  if (handler_for(f->type) == NULL) {
    GFAIL(&e, HR_E_NOTIMPL, "bridge: function not supported, header type: 0x%08x", f->type);
    reply_error(c, f->type, f->id, NULL, &e);
    return;
  }
  bool wait = f->type == RPC_WAIT_FOR_PROCESS;
  request *r = calloc(1, sizeof *r);
  char *copy = malloc(f->payload_len + 1);
  if (r == NULL || copy == NULL) {
    free(r);
    free(copy);
    GFAIL(&e, HR_E_FAIL, "out of resources for this request");
    reply_error(c, f->type, f->id, NULL, &e);
    return;
  }
  memcpy(copy, f->payload, f->payload_len);
  copy[f->payload_len] = '\0';
  r->c = c;
  r->type = f->type;
  r->id = f->id;
  r->payload = copy;
  r->payload_len = f->payload_len;

  pthread_mutex_lock(&pool.lock);
  if (wait ? pool.waits >= MAX_WAITS : pool.requests >= MAX_REQUESTS) {
    pthread_mutex_unlock(&pool.lock);
    free(copy);
    free(r);
    if (wait) GFAIL(&e, HR_E_FAIL, "too many pending WaitForProcess requests (%d)", MAX_WAITS);
    else GFAIL(&e, HR_E_FAIL, "too many requests in flight (%d)", MAX_REQUESTS);
    LOGW("bridge #%u: %s", c->n, e.msg);
    reply_error(c, f->type, f->id, NULL, &e);
    return;
  }
  if (wait) pool.waits++;
  else pool.requests++;
  atomic_fetch_add(&c->refs, 1);
  if (pool.tail != NULL) pool.tail->next = r;
  else pool.head = r;
  pool.tail = r;
  pool.queued++;
  bool started = true;
  if (pool.idle >= pool.queued) {
    pthread_cond_signal(&pool.work);
  } else {
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, POOL_STACK);
    pool.threads++;
    pool.idle++;
    if (pthread_create(&t, &a, pool_thread, NULL) != 0) {
      pool.threads--;
      pool.idle--;
      /* a running worker takes it when it is done; with none, it cannot run */
      started = pool.threads > 0;
    }
    pthread_attr_destroy(&a);
  }
  if (!started) { /* no thread at all: the queue holds only this request */
    pool.head = pool.tail = NULL;
    pool.queued = 0;
    if (wait) pool.waits--;
    else pool.requests--;
  }
  pthread_mutex_unlock(&pool.lock);
  if (!started) {
    free_request(r);
    GFAIL(&e, HR_E_FAIL, "out of resources for this request (no thread)");
    reply_error(c, f->type, f->id, NULL, &e);
  }
}

static void serve(int fd, unsigned n) {
  conn *c = calloc(1, sizeof *c);
  uint8_t *buf = malloc(GCS_MAX_FRAME);
  if (c == NULL || buf == NULL) {
    free(c);
    free(buf);
    close(fd);
    return;
  }
  c->fd = fd;
  c->n = n;
  pthread_mutex_init(&c->wlock, NULL);
  atomic_init(&c->refs, 1);
  atomic_init(&c->dead, false);
  gcs_decoder d;
  gcs_decoder_init(&d, buf, GCS_MAX_FRAME);
  bool negotiated = false;
  for (;;) {
    size_t room;
    uint8_t *space = gcs_decoder_space(&d, &room);
    ssize_t got = recv(fd, space, room, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      LOGW("bridge #%u: %s", n, got == 0 ? "the host closed the connection" : strerror(errno));
      break;
    }
    gcs_decoder_commit(&d, (size_t)got);
    bool negotiated_at_read = negotiated;
    gcs_frame f;
    int ev;
    bool stop = false;
    while ((ev = gcs_decoder_next(&d, &f)) != GCS_DEC_NEED) {
      if (ev == GCS_DEC_BAD) {
        LOGE("bridge #%u: frame size %u is below the 16-byte header; dropping the bridge", n, f.size);
        stop = true;
        break;
      }
      if ((f.type & MSG_TYPE_MASK) != MSG_REQUEST) {
        LOGW("bridge #%u: ignoring a non-request frame of type 0x%08x", n, f.type);
        continue;
      }
      if (ev == GCS_DEC_OVERSIZED) {
        gerr e = {0};
        GFAIL(&e, HR_E_INVALIDARG, "request of %u bytes exceeds the agent's %u-byte frame limit", f.size,
              GCS_MAX_FRAME);
        LOGW("bridge #%u: %s", n, e.msg);
        reply_error(c, f.type, f.id, NULL, &e);
        continue;
      }
      if (!negotiated_at_read) {
        if (f.type == RPC_NEGOTIATE) {
          if (negotiate(c, &f)) {
            negotiated = true;
            LOGI("bridge #%u: protocol 4 negotiated", n);
          }
        } else {
          gerr e = {0};
          GFAIL(&e, HR_E_NOTIMPL, "bridge: function not supported before NegotiateProtocol, header type: 0x%08x",
                f.type);
          reply_error(c, f.type, f.id, NULL, &e);
        }
        continue;
      }
      if (f.type == RPC_NEGOTIATE) {
        gerr e = {0};
        GFAIL(&e, HR_E_NOTIMPL, "bridge: NegotiateProtocol is not supported after negotiation, header type: 0x%08x",
              f.type);
        reply_error(c, f.type, f.id, NULL, &e);
        continue;
      }
      dispatch(c, &f);
    }
    if (stop || atomic_load(&c->dead) || atomic_load(&gcs_shutting_down)) break;
  }
  free(buf);
  conn_kill(c);
  conn_unref(c);
}

void bridge_run(void) {
  int backoff = 100;
  unsigned connections = 0;
  bool quiet = false;
  while (!atomic_load(&gcs_shutting_down)) {
    char why[256];
    int fd = relay_dial(GCS_PORT, 10000, why, sizeof why);
    if (fd < 0) {
      int err = errno;
      if (!quiet) LOGW("bridge: dial failed: %s (retrying, backoff up to %d ms)", why, cfg.max_backoff_ms);
      else LOGD("bridge: dial failed: %s", why);
      quiet = true;
      if (err == ENOENT || err == ECONNREFUSED) {
        sleep_ms(50); /* the relay is not up yet */
        continue;
      }
      sleep_ms(backoff);
      backoff = backoff * 2 > cfg.max_backoff_ms ? cfg.max_backoff_ms : backoff * 2;
      continue;
    }
    quiet = false;
    backoff = 100;
    connections++;
    LOGI("bridge #%u: connected", connections);
    serve(fd, connections);
    if (atomic_load(&gcs_shutting_down)) break;
    sleep_ms(100);
  }
}
