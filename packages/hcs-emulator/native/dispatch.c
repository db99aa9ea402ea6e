/* dispatch.c — the dispatcher thread: the only thread that calls user callbacks.
 *
 * Completions and events are queued here (FIFO) by the socket reader or by API calls and run
 * after the API call that caused them has returned. Running them on a thread that never reads
 * the socket matters for koffi: a registered JS callback blocks its native thread until the JS
 * thread runs it, and the JS thread may itself be blocked in a synchronous export waiting for a
 * response that only the reader thread can deliver. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { DI_OP = 1, DI_SYS = 2 };

typedef struct ditem {
  struct ditem *next;
  int kind;
  op_t *op;   /* DI_OP: the completed op; DI_SYS: the op of an OperationCallback event (or NULL) */
  sys_t *sys; /* DI_SYS */
  uint32_t type;
  char *data;
  size_t len;
} ditem;

static ditem *g_head, *g_tail;
static pthread_cond_t g_dcv = PTHREAD_COND_INITIALIZER;
static bool g_started;
static pthread_t g_thread;

static void push(ditem *d) {
  if (g_tail) {
    g_tail->next = d;
  } else {
    g_head = d;
  }
  g_tail = d;
  pthread_cond_signal(&g_dcv);
}

void dispatch_op_completion(op_t *op) {
  if (op->route_to_system && op->system != NULL) {
    dispatch_system_event(op->system, HcsEventOperationCallback, NULL, 0, op);
    return;
  }
  if (op->callback == NULL && op->event_callback == NULL) return;
  ditem *d = calloc(1, sizeof *d);
  if (d == NULL) return; /* out of memory: the result is still there for Get/Wait */
  d->kind = DI_OP;
  d->op = op;
  op_ref(op);
  push(d);
}

void dispatch_system_event(sys_t *s, uint32_t type, const char *data, size_t len, op_t *op) {
  ditem *d = calloc(1, sizeof *d);
  if (d == NULL) return;
  d->kind = DI_SYS;
  d->sys = s;
  sys_ref(s);
  d->type = type;
  if (op) {
    d->op = op;
    op_ref(op);
  }
  if (data) {
    d->data = malloc(len + 1);
    if (d->data) {
      memcpy(d->data, data, len);
      d->data[len] = 0;
      d->len = len;
    }
  }
  push(d);
}

bool dispatch_on_own_thread(void) {
  return g_started && pthread_equal(pthread_self(), g_thread);
}

static void run_item(ditem *d) {
  /* g_mu held on entry and exit */
  if (d->kind == DI_OP) {
    op_t *op = d->op;
    if (op->handle == 0) return; /* closed: no callback after HcsCloseOperation */
    if (op->event_callback) {
      HCS_EVENT_CALLBACK cb = op->event_callback;
      void *ctx = op->event_context;
      HCS_EVENT ev = {HcsEventOperationCallback, NULL, (HCS_OPERATION)op->handle};
      pthread_mutex_unlock(&g_mu);
      cb(&ev, ctx);
      pthread_mutex_lock(&g_mu);
    } else if (op->callback) {
      HCS_OPERATION_COMPLETION cb = op->callback;
      void *ctx = op->context;
      HCS_OPERATION h = (HCS_OPERATION)op->handle;
      pthread_mutex_unlock(&g_mu);
      cb(h, ctx);
      pthread_mutex_lock(&g_mu);
    }
    return;
  }
  sys_t *s = d->sys;
  if (s->handle == 0 || !s->callback_set) return;
  HCS_OPERATION oh = NULL;
  if (d->op) {
    if (d->op->handle == 0) return; /* the operation was closed: nothing to name */
    oh = (HCS_OPERATION)d->op->handle;
  }
  HCS_EVENT_CALLBACK cb = s->callback;
  void *ctx = s->callback_context;
  s->callbacks_running++;
  pthread_mutex_unlock(&g_mu);
  char16_t *w = d->data ? utf8_to_utf16(d->data, d->len) : NULL;
  HCS_EVENT ev = {d->type, w, oh};
  cb(&ev, ctx);
  free(w);
  pthread_mutex_lock(&g_mu);
  s->callbacks_running--;
  pthread_cond_broadcast(&g_cv);
}

static void *dispatch_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&g_mu);
  for (;;) {
    while (g_head == NULL) pthread_cond_wait(&g_dcv, &g_mu);
    ditem *d = g_head;
    g_head = d->next;
    if (g_head == NULL) g_tail = NULL;
    run_item(d);
    if (d->op) op_unref(d->op);
    if (d->sys) sys_unref(d->sys);
    free(d->data);
    free(d);
  }
  return NULL;
}

void dispatch_start(void) {
  if (g_started) return;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&g_thread, &attr, dispatch_main, NULL) == 0) g_started = true;
  pthread_attr_destroy(&attr);
}
