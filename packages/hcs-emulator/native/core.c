/* core.c — process-wide state: the lock, the handle table, object lifetimes, operation results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "platform.h"

_Static_assert(sizeof(void *) == 8, "the shim targets 64-bit platforms");
_Static_assert(sizeof(HCS_EVENT) == 24, "HCS_EVENT must be 24 bytes");
_Static_assert(offsetof(HCS_EVENT, EventData) == 8 && offsetof(HCS_EVENT, Operation) == 16, "HCS_EVENT layout");
_Static_assert(sizeof(HCS_PROCESS_INFORMATION) == 32, "HCS_PROCESS_INFORMATION layout");
_Static_assert(sizeof(HCS_CREATE_OPTIONS_1) == 48 && offsetof(HCS_CREATE_OPTIONS_1, Callback) == 40,
               "HCS_CREATE_OPTIONS_1 layout");

pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_cv;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
sys_t *g_live_systems;
static uint64_t g_next_op_id = 1;
/* The clock g_cv's timed waits measure deadlines against: CLOCK_MONOTONIC where the condition
 * variable accepts it, else CLOCK_REALTIME (mingw's winpthreads rejects CLOCK_MONOTONIC with
 * EINVAL; deadlines taken on a clock the wait does not use would expire at once and spin). */
static clockid_t g_clock = CLOCK_MONOTONIC;

static void init_once(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  if (pthread_condattr_setclock(&a, CLOCK_MONOTONIC) != 0) g_clock = CLOCK_REALTIME;
  pthread_cond_init(&g_cv, &a);
  pthread_condattr_destroy(&a);
  shim_pin_module();
}

void shim_init(void) {
  pthread_once(&g_once, init_once);
}

void deadline_after(struct timespec *ts, uint32_t ms) {
  clock_gettime(g_clock, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

bool deadline_passed(const struct timespec *ts) {
  struct timespec now;
  clock_gettime(g_clock, &now);
  return now.tv_sec > ts->tv_sec || (now.tv_sec == ts->tv_sec && now.tv_nsec >= ts->tv_nsec);
}

/* Wait on g_cv (g_mu held). timeout_ms == INFINITE waits without a deadline. */
void cond_wait_ms(uint32_t timeout_ms, const struct timespec *deadline) {
  if (timeout_ms == INFINITE || deadline == NULL) {
    pthread_cond_wait(&g_cv, &g_mu);
  } else {
    pthread_cond_timedwait(&g_cv, &g_mu, deadline);
  }
}

/* ---- handle table ----
 * A handle value is  generation << 32 | tag << 28 | kind << 24 | (index + 1).
 * Slots live in fixed chunks that never move, so a lookup never follows a stale pointer:
 * a forged or stale value fails the bounds, kind, or generation check before anything is read
 * from the object. */
#define CHUNK_BITS 12
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define MAX_CHUNKS 4096u /* 16 Mi handles */
#define HANDLE_TAG 0xAu

typedef struct slot {
  uint32_t gen;
  uint8_t kind;
  void *obj;
  uint32_t next_free;
} slot;

static slot *g_chunks[MAX_CHUNKS];
static uint32_t g_slots_used; /* slots ever handed out */
static uint32_t g_free_head;  /* index + 1 of the first free slot, 0 = none */

static slot *slot_at(uint32_t idx) {
  return &g_chunks[idx >> CHUNK_BITS][idx & (CHUNK_SIZE - 1)];
}

uintptr_t handle_alloc(int kind, void *obj) {
  uint32_t idx;
  if (g_free_head != 0) {
    idx = g_free_head - 1;
    g_free_head = slot_at(idx)->next_free;
  } else {
    if (g_slots_used >= MAX_CHUNKS * CHUNK_SIZE - 1) return 0; /* index + 1 must fit in 24 bits */
    idx = g_slots_used;
    if (g_chunks[idx >> CHUNK_BITS] == NULL) {
      g_chunks[idx >> CHUNK_BITS] = calloc(CHUNK_SIZE, sizeof(slot));
      if (g_chunks[idx >> CHUNK_BITS] == NULL) return 0;
    }
    g_slots_used++;
    slot_at(idx)->gen = 1;
  }
  slot *s = slot_at(idx);
  s->kind = (uint8_t)kind;
  s->obj = obj;
  return ((uintptr_t)s->gen << 32) | ((uintptr_t)HANDLE_TAG << 28) | ((uintptr_t)kind << 24) | (idx + 1);
}

static slot *handle_slot(uintptr_t h, int kind) {
  if (((h >> 28) & 0xF) != HANDLE_TAG || (int)((h >> 24) & 0xF) != kind) return NULL;
  uint32_t low = (uint32_t)(h & 0xFFFFFF);
  if (low == 0 || low > g_slots_used) return NULL;
  slot *s = slot_at(low - 1);
  if (s->obj == NULL || s->kind != kind || s->gen != (uint32_t)(h >> 32)) return NULL;
  return s;
}

void *handle_lookup(uintptr_t h, int kind) {
  slot *s = handle_slot(h, kind);
  return s ? s->obj : NULL;
}

void handle_free(uintptr_t h) {
  uint32_t low = (uint32_t)(h & 0xFFFFFF);
  slot *s = handle_slot(h, (int)((h >> 24) & 0xF));
  if (s == NULL) return;
  s->obj = NULL;
  s->kind = 0;
  s->gen = s->gen + 1 == 0 ? 1 : s->gen + 1;
  s->next_free = g_free_head;
  g_free_head = low;
}

/* ---- objects ---- */
op_t *op_new(void) {
  op_t *op = calloc(1, sizeof *op);
  if (op == NULL) return NULL;
  op->refs = 1;
  op->type = HcsOperationTypeNone;
  op->state = OP_NOT_STARTED;
  return op;
}

void op_ref(op_t *op) {
  op->refs++;
}

void op_unref(op_t *op) {
  if (--op->refs > 0) return;
  if (op->system) sys_unref(op->system);
  if (op->conn) conn_unref(op->conn);
  free(op->doc);
  free(op);
}

sys_t *sys_new(void) {
  sys_t *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->refs = 1;
  s->next_live = g_live_systems;
  if (g_live_systems) g_live_systems->prev_live = s;
  g_live_systems = s;
  return s;
}

void sys_unlink(sys_t *s) {
  if (s->prev_live) {
    s->prev_live->next_live = s->next_live;
  } else if (g_live_systems == s) {
    g_live_systems = s->next_live;
  } else {
    return; /* not linked */
  }
  if (s->next_live) s->next_live->prev_live = s->prev_live;
  s->next_live = s->prev_live = NULL;
}

void sys_ref(sys_t *s) {
  s->refs++;
}

void sys_unref(sys_t *s) {
  if (--s->refs > 0) return;
  sys_unlink(s);
  while (s->queue_head) {
    queued_frame *q = s->queue_head;
    s->queue_head = q->next;
    free(q->frame);
    free(q);
  }
  if (s->conn) conn_unref(s->conn);
  free(s->exit_doc);
  free(s);
}

HRESULT op_begin(op_t *op, HCS_OPERATION_TYPE type, sys_t *sys) {
  if (op->state == OP_PENDING) return HCS_E_OPERATION_ALREADY_STARTED;
  free(op->doc);
  op->doc = NULL;
  op->doc_len = 0;
  op->result = S_OK;
  op->state = OP_PENDING;
  op->type = type;
  op->id = g_next_op_id++;
  op->route_to_system = false;
  if (op->system) sys_unref(op->system);
  op->system = sys;
  op->system_handle = sys ? sys->handle : 0;
  if (sys) sys_ref(sys);
  return S_OK;
}

void op_complete(op_t *op, HRESULT hr, char *doc, size_t doc_len) {
  if (op->state != OP_PENDING) {
    free(doc);
    return;
  }
  op->result = hr;
  op->doc = doc;
  op->doc_len = doc_len;
  op->state = OP_DONE;
  op->request_id = 0;
  if (op->conn) {
    conn_unref(op->conn);
    op->conn = NULL;
  }
  dispatch_op_completion(op);
  if (op->system) {
    sys_unref(op->system);
    op->system = NULL;
  }
  pthread_cond_broadcast(&g_cv);
}

char *result_error_doc(HRESULT hr, const char *message, size_t *len) {
  size_t cap = strlen(message) + 64;
  char *d = malloc(cap);
  if (d == NULL) {
    *len = 0;
    return NULL;
  }
  int n = snprintf(d, cap, "{\"Error\":%d,\"ErrorMessage\":\"%s\"}", (int)hr, message);
  *len = n > 0 ? (size_t)n : 0;
  return d;
}

/* ---- argument helpers ---- */
HRESULT arg_convert(const char16_t *s, int kind, u8str *out) {
  out->data = NULL;
  out->len = 0;
  if (s == NULL) return (kind == ARG_JSON_OPTIONAL || kind == ARG_STRING_OPTIONAL) ? S_OK : E_POINTER;
  HRESULT hr = utf16_to_utf8(s, out);
  if (hr != S_OK) return hr;
  if (kind == ARG_JSON_OPTIONAL && out->len == 0) {
    free(out->data); /* an empty optional document counts as absent */
    out->data = NULL;
    return S_OK;
  }
  if ((kind == ARG_JSON || kind == ARG_JSON_OPTIONAL) && !json_is_valid(out->data, out->len)) {
    free(out->data);
    out->data = NULL;
    return HCS_E_INVALID_JSON;
  }
  return S_OK;
}

void args_free(u8str *args, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    free(args[i].data);
    args[i].data = NULL;
  }
}

HRESULT out_doc(PWSTR *out, const char *doc, size_t len) {
  if (out == NULL) return S_OK;
  *out = NULL;
  if (doc == NULL) return S_OK;
  *out = utf8_to_utf16_with(doc, len, shim_result_alloc);
  return *out ? S_OK : HR(0x8037011Au); /* HCS_E_OPERATION_RESULT_ALLOCATION_FAILED */
}
