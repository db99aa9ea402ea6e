/*
 * gcs.h — uvmkit-gcs, the guest agent of a Linux utility VM (the Linux GCS's role): shared types.
 *
 * Modules: main.c (options, start-up), bridge.c (the bridge connection, re-dial, framing,
 * dispatch, replies), rpc.c (Negotiate and the container-level procedures), process.c
 * (ExecuteProcess / WaitForProcess / SignalProcess / ResizeConsole and stdio relays), modify.c
 * (ModifySettings routing, policy, cgroup), storage.c (SCSI disks, shares, VPMem, overlay),
 * network.c (NIC configuration over netlink), dial.c (the relay's CONNECT header), log.c (JSON-line
 * logs to the log service), util.c (errors, Go-like field decoding, files).
 */
#ifndef UVMKIT_GCS_H
#define UVMKIT_GCS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define GCS_VERSION "0.1.0"

/* HRESULTs the Linux GCS answers (gcs-protocol.md §8), unsigned. */
#define HR_E_NOTIMPL 0x80004001u
#define HR_E_FAIL 0x80004005u
#define HR_E_INVALIDARG 0x80070057u
#define HR_NOT_FOUND 0x80070490u
#define HR_TIMEOUT 0xC0370109u
#define HR_UNSUPPORTED_VERSION 0xC037010Cu
#define HR_INVALID_JSON 0xC037010Du
#define HR_SYSTEM_NOT_FOUND 0xC037010Eu
#define HR_SYSTEM_EXISTS 0xC037010Fu
#define HR_SYSTEM_STOPPED 0xC0370110u
#define HR_INVALID_STATE 0x80370105u

/* Message types (§2.2, §3). */
#define MSG_TYPE_MASK 0xF0000000u
#define MSG_REQUEST 0x10000000u
#define MSG_RESPONSE 0x20000000u
#define RPC_CREATE 0x10100101u
#define RPC_START 0x10100201u
#define RPC_SHUTDOWN_GRACEFUL 0x10100301u
#define RPC_SHUTDOWN_FORCED 0x10100401u
#define RPC_EXECUTE_PROCESS 0x10100501u
#define RPC_WAIT_FOR_PROCESS 0x10100601u
#define RPC_SIGNAL_PROCESS 0x10100701u
#define RPC_RESIZE_CONSOLE 0x10100801u
#define RPC_GET_PROPERTIES 0x10100901u
#define RPC_MODIFY_SETTINGS 0x10100a01u
#define RPC_NEGOTIATE 0x10100b01u
#define RPC_DUMP_STACKS 0x10100c01u
#define RPC_DELETE_CONTAINER_STATE 0x10100d01u

#define NULL_CONTAINER_ID "00000000-0000-0000-0000-000000000000"
/* GCS_PORT, ENTROPY_PORT, LOG_PORT: copies of LINUX_GCS_PORT, ENTROPY_PORT, LOG_PORT of
 * @uvmkit/hcs-schema (their one home), checked by test/contracts.test.ts. */
#define GCS_PORT 0x40000000u
#define ENTROPY_PORT 1u
#define LOG_PORT 109u

typedef struct {
  const char *relay;          /* the relay's Unix socket */
  const char *sysfs;          /* sysfs root */
  const char *dev;            /* device node root */
  const char *cgroup;         /* cgroup2 root */
  const char *random_device;  /* where entropy goes */
  const char *resolv_conf;
  const char *share_bind_root; /* tests: MappedDirectory = bind mount of <root>/<ShareName> */
  int device_timeout_ms;
  int max_backoff_ms;
  int log_level;              /* 0 debug, 1 info, 2 warn, 3 error */
  bool entropy;
  bool log_stream;
  bool log_stderr;
  bool allow_poweroff;
  bool strict_null_container;
} gcs_config;

extern gcs_config cfg;

/* ---- errors (util.c) ---- */
typedef struct {
  uint32_t hr;
  char msg[1024];
  const char *file;
  int line;
  const char *func;
} gerr;

int gerr_set(gerr *e, uint32_t hr, const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
#define GFAIL(e, hr, ...) gerr_set((e), (hr), __FILE__, __LINE__, __func__, __VA_ARGS__)
/* HRESULT for an errno of a failed operation. */
uint32_t hr_from_errno(int err);

/* ---- Go-like field decoding (util.c): absent/null = zero value; wrong type = 0xC037010D ---- */
int f_str(const json_value *obj, const char *key, const char **out, gerr *e);
int f_bool(const json_value *obj, const char *key, bool *out, gerr *e);
int f_uint(const json_value *obj, const char *key, uint64_t max, uint64_t *out, gerr *e);
int f_int(const json_value *obj, const char *key, int64_t min, int64_t max, int64_t *out, gerr *e);
int f_obj(const json_value *obj, const char *key, const json_value **out, gerr *e);
int f_arr(const json_value *obj, const char *key, const json_value **out, gerr *e);
/* A []string: *n strings into out[max]; more than max is E_INVALIDARG. */
int f_strs(const json_value *obj, const char *key, const char **out, size_t max, size_t *n, gerr *e);
/* An absolute path without NUL (E_INVALIDARG otherwise). */
int check_path(const char *what, const char *path, gerr *e);

/* ---- util.c ---- */
int mkdir_p(const char *path, unsigned mode);
int read_text(const char *path, char *buf, size_t cap); /* NUL-terminated, trailing \n cut; -1/errno */
int write_text(const char *path, const char *text);
uint64_t now_ms(void);
void sleep_ms(int ms);
bool is_mount_point(const char *path);

/* ---- log.c ---- */
void log_init(void);
void log_start_stream(void);
void logf_(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define LOGD(...) logf_(0, __VA_ARGS__)
#define LOGI(...) logf_(1, __VA_ARGS__)
#define LOGW(...) logf_(2, __VA_ARGS__)
#define LOGE(...) logf_(3, __VA_ARGS__)

/* ---- dial.c ---- */
/* Connect to host service `port` through the relay; -1 with errno set and `why` filled. */
int relay_dial(uint32_t port, int timeout_ms, char *why, size_t why_len);
void vsock_service_guid(uint32_t port, char out[37]);

/* ---- bridge.c ---- */
typedef struct conn conn;
typedef struct request {
  conn *c;
  uint32_t type;
  uint64_t id;
  char *payload;
  size_t payload_len;
  json_doc doc;
  const json_value *root;      /* NULL when the payload is not a JSON object */
  const char *container_id;    /* "" when absent */
  bool null_container;
  struct request *next;        /* the worker pool's queue (bridge.c) */
} request;

void bridge_run(void);
bool conn_alive(conn *c);
/* Wake waiters (process table) when a connection dies. */
extern pthread_mutex_t gcs_lock;
extern pthread_cond_t gcs_cond;

/* ---- rpc.c ---- */
typedef int (*handler_fn)(request *r, json_writer *out, gerr *e);
int rpc_negotiate(const json_value *root, json_writer *out, gerr *e);
int rpc_create(request *r, json_writer *out, gerr *e);
int rpc_start(request *r, json_writer *out, gerr *e);
int rpc_shutdown(request *r, json_writer *out, gerr *e);
int rpc_get_properties(request *r, json_writer *out, gerr *e);
int rpc_dump_stacks(request *r, json_writer *out, gerr *e);
int rpc_delete_container_state(request *r, json_writer *out, gerr *e);
/* The null container's shutdown: no reply; power off (or exit). */
extern atomic_bool gcs_shutting_down;

/* ---- process.c ---- */
void process_init(void);
int rpc_execute_process(request *r, json_writer *out, gerr *e);
int rpc_wait_for_process(request *r, json_writer *out, gerr *e);
int rpc_signal_process(request *r, json_writer *out, gerr *e);
int rpc_resize_console(request *r, json_writer *out, gerr *e);
/* A process list for DumpStacks. */
void process_describe(char *buf, size_t cap);
/* Run a helper program (stdio on /dev/null) and wait for it; its exit code, or -1 with *e set. */
int run_helper(char *const argv[], gerr *e);

/* ---- modify.c ---- */
int rpc_modify_settings(request *r, json_writer *out, gerr *e);
extern uint64_t root_mem_reserve_bytes;
int cgroup_update_memory_limit(gerr *e);

/* ---- storage.c ---- */
int res_mapped_virtual_disk(bool add, const json_value *s, gerr *e);
int res_scsi_device_remove(const json_value *s, gerr *e);
int res_mapped_directory(bool add, const json_value *s, gerr *e);
int res_vpmem_device(bool add, const json_value *s, gerr *e);
int res_combined_layers(bool add, const json_value *s, gerr *e);

/* ---- network.c ---- */
int res_network(bool add, const json_value *s, gerr *e);

#endif
