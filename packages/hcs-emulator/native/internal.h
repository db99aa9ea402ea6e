/*
 * internal.h — shared declarations of the libcomputecore shim (not installed, not exported).
 *
 * Concurrency model: one process-wide mutex (g_mu) guards the handle table, every operation and
 * system object, the pending-request map and the dispatch queue. It is never held while a
 * callback runs or while writing a request to the socket; the one exception is (re)connecting,
 * where connect() and the Hello frame go out under it (a local Unix socket; accepted at once by
 * a live hcsd). One condition variable (g_cv) is broadcast on
 * every state change that a waiter may care about (operation completion, exit event, callback
 * finished, response to a synchronous call).
 */
#ifndef UVMKIT_SHIM_INTERNAL_H
#define UVMKIT_SHIM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uchar.h>

/* Everything declared in the public header is exported; everything else stays hidden. */
#pragma GCC visibility push(default)
#include "computecore.h"
/* Emulator-only export (not part of computecore's ABI): the socket path the shim last connected
   to or tried (else the one it would try now). hcs-core names it in HCS_E_SERVICE_NOT_AVAILABLE
   messages. The string stays valid until the next call. */
const char *UvmkitShimSocketPath(void);
#pragma GCC visibility pop

/* ---- limits and protocol constants ---- */
#define SHIM_MAX_STRING_UNITS (4u * 1024u * 1024u) /* UTF-16 code units, excluding the NUL */
#define SHIM_JSON_MAX_DEPTH 512
#define SHIM_CLOSE_WAIT_MS 10000 /* how long HcsCloseComputeSystem waits for hcsd's Close answer */
#define HCSD_MAX_FRAME (64u * 1024u * 1024u)
/* Default deadline of the synchronous calls (Open, service properties) and of connecting;
   $UVMKIT_HCSD_CALL_TIMEOUT_MS overrides it. Connecting waits at most SHIM_CONNECT_WAIT_MS of it. */
#define SHIM_CALL_TIMEOUT_MS 30000u
/* Bytes of requests the shim holds unsent for a connection before it gives hcsd up as gone. */
#define SHIM_MAX_UNSENT (4u * HCSD_MAX_FRAME)
#define SHIM_CONNECT_WAIT_MS 5000u
/* HRESULTs the transport reports besides HCS_E_SERVICE_NOT_AVAILABLE / _DISCONNECT */
#define HCS_E_CONNECT_FAILED HR(0x80370108u)
#define HCS_E_CONNECTION_TIMEOUT HR(0x80370109u)
#define HCS_E_ACCESS_DENIED HR(0x8037011Bu)

enum frame_kind { FRAME_REQUEST = 1, FRAME_RESPONSE = 2, FRAME_EVENT = 3 };
enum method {
  M_HELLO = 1,
  M_CREATE = 2,
  M_OPEN = 3,
  M_CLOSE = 4,
  M_START = 5,
  M_SHUTDOWN = 6,
  M_TERMINATE = 7,
  M_CRASH = 8,
  M_PAUSE = 9,
  M_RESUME = 10,
  M_SAVE = 11,
  M_GETPROPS = 12,
  M_MODIFY = 13,
  M_ENUMERATE = 14,
  M_GETSVCPROPS = 15,
  M_MODIFYSVC = 16,
  M_CANCEL = 17,
};

/* ---- utf.c ---- */
/* A UTF-8 string owned by the caller (NULL data = absent). */
typedef struct u8str {
  char *data;
  uint32_t len;
} u8str;
/* Validate a NUL-terminated UTF-16 string (size limit, surrogate pairing) and convert it. */
HRESULT utf16_to_utf8(const char16_t *s, u8str *out);
/* Convert UTF-8 bytes (invalid sequences become U+FFFD) to a malloc'd NUL-terminated UTF-16 string. */
char16_t *utf8_to_utf16(const char *s, size_t len);
/* The same, allocated with `alloc` (out_doc: shim_result_alloc, freed by the caller's LocalFree). */
char16_t *utf8_to_utf16_with(const char *s, size_t len, void *(*alloc)(size_t));

/* ---- json_check.c ---- */
/* True when `s` is exactly one syntactically valid JSON value (RFC 8259), optional whitespace around. */
bool json_is_valid(const char *s, size_t len);

/* ---- objects ---- */
enum handle_kind { HK_OP = 1, HK_SYS = 2 };
enum op_state { OP_NOT_STARTED = 0, OP_PENDING = 1, OP_DONE = 2 };
enum bind_state { BIND_CREATING = 0, BIND_BOUND = 1, BIND_FAILED = 2, BIND_DISCONNECTED = 3 };

typedef struct sys sys_t;
typedef struct conn conn_t;

typedef struct op {
  int refs;             /* handle reference + one per pending request + one per dispatch item */
  uintptr_t handle;     /* 0 once closed */
  void *context;
  HCS_OPERATION_COMPLETION callback;
  HCS_EVENT_CALLBACK event_callback; /* HcsCreateOperationWithNotifications */
  void *event_context;
  uint64_t id;                       /* HcsGetOperationId */
  int state;                         /* enum op_state */
  HCS_OPERATION_TYPE type;
  uint32_t request_id;               /* of the current use (0 when queued behind a Create) */
  conn_t *conn;                      /* connection the request went to */
  sys_t *system;                     /* system of the current use (ref held while pending) */
  uintptr_t system_handle;           /* handle value of that system (for GetComputeSystemFromOperation) */
  bool route_to_system;              /* completion goes to the system callback (option 1) */
  HRESULT result;
  char *doc;                         /* UTF-8 result document or NULL */
  size_t doc_len;
} op_t;

typedef struct queued_frame {
  struct queued_frame *next;
  op_t *op; /* NULL for a Close queued behind a Create */
  uint8_t *frame;
  size_t len;
} queued_frame;

struct sys {
  int refs;
  uintptr_t handle; /* 0 once closed */
  int bind;         /* enum bind_state */
  uint64_t token;
  conn_t *conn;     /* connection owning the token (ref held) */
  HRESULT bind_error;
  HCS_EVENT_CALLBACK callback;
  void *callback_context;
  HCS_EVENT_OPTIONS callback_options;
  bool callback_set;
  int callbacks_running;
  bool exited;
  char *exit_doc;
  size_t exit_doc_len;
  bool disconnect_delivered;
  bool close_when_bound; /* closed while Create in flight: send Close once bound */
  bool flushing;         /* sys_flush_queue is sending the queue: new calls still queue behind it */
  queued_frame *queue_head, *queue_tail;
  sys_t *next_live, *prev_live; /* list of systems that hold or await a token */
};

/* ---- core.c (globals, handle table, refcounts) ---- */
extern pthread_mutex_t g_mu;
extern pthread_cond_t g_cv;
void shim_init(void); /* idempotent; called by every export */
void cond_wait_ms(uint32_t timeout_ms, const struct timespec *deadline); /* g_mu held */
void deadline_after(struct timespec *ts, uint32_t ms);
bool deadline_passed(const struct timespec *ts);

uintptr_t handle_alloc(int kind, void *obj);            /* g_mu held; 0 on exhaustion */
void *handle_lookup(uintptr_t h, int kind);             /* g_mu held; NULL if invalid */
void handle_free(uintptr_t h);                          /* g_mu held */

op_t *op_new(void);
void op_ref(op_t *op);                  /* g_mu held */
void op_unref(op_t *op);                /* g_mu held */
void sys_ref(sys_t *s);                 /* g_mu held */
void sys_unref(sys_t *s);               /* g_mu held */
sys_t *sys_new(void);                   /* g_mu held, refs = 1 (the handle), linked into the live list */
void sys_unlink(sys_t *s);              /* g_mu held */
extern sys_t *g_live_systems;

/* Begin a use of `op` (g_mu held): checks state, resets the result, sets type/system. */
HRESULT op_begin(op_t *op, HCS_OPERATION_TYPE type, sys_t *sys);
/* Complete a pending use (g_mu held): stores result + doc (takes ownership of doc), schedules callbacks. */
void op_complete(op_t *op, HRESULT hr, char *doc, size_t doc_len);
/* A ResultError document for a locally produced failure (malloc'd UTF-8). */
char *result_error_doc(HRESULT hr, const char *message, size_t *len);

/* ---- rpc.c ---- */
struct conn {
  int refs;
  uintptr_t sock; /* shim_sock (platform.h) */
  uint32_t gen;
  bool dead;
  HRESULT refusal;      /* hcsd refused the connection (an id-0 failure frame): the reason, else 0 */
  char *refusal_msg;    /* its ErrorMessage document (malloc'd ResultError JSON) or NULL */
  /* Frames to send, in order, written by the connection's writer thread so that no caller (the
     JS thread among them) ever blocks on a socket hcsd is not reading. Guarded by write_mu. */
  pthread_mutex_t write_mu;
  pthread_cond_t write_cv;
  struct out_frame *out_head, *out_tail;
  size_t out_bytes;  /* bytes queued and not yet written */
  bool write_stop;   /* the connection is gone: the writer drops what is queued and exits */
  bool write_failed; /* a send failed: nothing more is written */
};
/* Deadline of synchronous calls in ms ($UVMKIT_HCSD_CALL_TIMEOUT_MS or SHIM_CALL_TIMEOUT_MS). */
uint32_t rpc_call_timeout_ms(void);

/* Frame building */
typedef struct frame_buf {
  uint8_t *data;
  size_t len, cap;
  bool oom;
} frame_buf;
void fb_request(frame_buf *fb, uint8_t method, uint32_t id, uint64_t token);
void fb_u32(frame_buf *fb, uint32_t v);
void fb_string(frame_buf *fb, const char *s, uint32_t len); /* s NULL = absent */
void fb_finish(frame_buf *fb); /* patches the length */
void frame_set_token(uint8_t *frame, uint64_t token);

/* Get the live connection, connecting if needed (g_mu held). Returns a ref'd conn or NULL + *hr. */
conn_t *rpc_connection(HRESULT *hr);
void conn_ref(conn_t *c);   /* g_mu held */
void conn_unref(conn_t *c); /* g_mu held */
uint32_t rpc_next_id(void); /* g_mu held */
/* Queue a whole frame for the writer thread, which takes ownership of `frame` (malloc'd) and
 * frees it. Never blocks on the socket. If the queue is past SHIM_MAX_UNSENT bytes (hcsd stopped
 * reading) or a send failed, the connection is shut down: the reader fails everything pending. */
void rpc_send(conn_t *c, uint8_t *frame, size_t len);

/* pending request registry (g_mu held) */
enum pending_kind { PK_OP = 1, PK_SYNC = 2, PK_CLOSE = 3 };
typedef struct sync_call {
  bool done;
  HRESULT hr;
  uint64_t value;
  char *doc;
  size_t doc_len;
} sync_call;
typedef struct pending {
  struct pending *next;
  uint32_t id;
  int kind;
  conn_t *conn;
  op_t *op;         /* PK_OP (ref held) */
  sys_t *bind_sys;  /* PK_OP of a Create: the system to bind (ref held) */
  sync_call *sync;  /* PK_SYNC */
  bool orphan;      /* PK_SYNC whose caller gave up (deadline): a token it answers is closed */
} pending;
void pending_add(pending *p);
pending *pending_take(conn_t *c, uint32_t id);
bool pending_has(conn_t *c, uint32_t id);

/* Submit an operation request for `op` (g_mu held on entry and exit; drops it while writing).
   The op must have been begun. If `sys` is still being created, the frame is queued on it. */
void rpc_submit_op(op_t *op, conn_t *c, sys_t *sys, uint8_t method, uint64_t token, const u8str *args, uint32_t argc,
                   sys_t *bind_sys);
/* Synchronous call (g_mu held on entry and exit). Waits until rpc_call_timeout_ms() passes
   (HCS_E_CONNECTION_TIMEOUT; a token answered later is closed) or a disconnect ends it.
   bind_sys (Open): bound to the answered token by the reader thread, before later events are read. */
HRESULT rpc_call_sync(conn_t *c, uint8_t method, uint64_t token, const u8str *args, uint32_t argc, sync_call *out,
                      sys_t *bind_sys);
/* Send a Close for a token (g_mu held). wait=true waits up to SHIM_CLOSE_WAIT_MS for the answer. */
void rpc_close_token(conn_t *c, uint64_t token, bool wait);
/* Send Cancel for a request id (g_mu held). */
void rpc_cancel(conn_t *c, uint32_t request_id);
/* Flush / fail a system's queued frames once its Create answered (g_mu held). */
void sys_flush_queue(sys_t *s);

/* ---- dispatch.c ---- */
void dispatch_op_completion(op_t *op);                                        /* g_mu held */
void dispatch_system_event(sys_t *s, uint32_t type, const char *data, size_t len, op_t *op); /* g_mu held */
bool dispatch_on_own_thread(void);
void dispatch_start(void); /* g_mu held */

/* ---- helpers shared by the api files ---- */
/* Validate + convert a PCWSTR argument. kind: 0 plain string, 1 required JSON, 2 optional JSON. */
enum arg_kind { ARG_STRING = 0, ARG_JSON = 1, ARG_JSON_OPTIONAL = 2, ARG_STRING_OPTIONAL = 3 };
HRESULT arg_convert(const char16_t *s, int kind, u8str *out);
void args_free(u8str *args, uint32_t n);
/* Hand a result document out as a LocalFree-able UTF-16 string (out may be NULL). */
HRESULT out_doc(PWSTR *out, const char *doc, size_t len);

#endif
