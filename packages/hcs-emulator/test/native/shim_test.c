/*
 * shim_test.c — C tests of libcomputecore against a running hcsd (UVMKIT_HCSD_SOCKET).
 * Built with ASan+UBSan by scripts/build-native.mjs --tests, driven by test/shim.test.ts.
 *
 *   shim-test                      run every case except kill_hcsd
 *   shim-test --only a,b           run the named cases (kill_hcsd needs UVMKIT_HCSD_PID and
 *                                  UVMKIT_HCSD_SOCKET2, a second daemon to reconnect to)
 *   shim-test --child-open ID      (internal) second process: open + enumerate ID
 *   shim-test --child-submit-exit ID  (internal) open ID, submit a Modify, _exit without closing
 *
 * Output: one line per case, `ok <name>` or `not ok <name>: <why>`.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char g_why[2048];
#define EXPECT(cond, ...)                             \
  do {                                                \
    if (!(cond)) {                                    \
      snprintf(g_why, sizeof g_why, __VA_ARGS__);     \
      return g_why;                                   \
    }                                                 \
  } while (0)
#define EXPECT_HR(expr, want)                                                                              \
  do {                                                                                                     \
    HRESULT hr_ = (expr);                                                                                  \
    if (hr_ != (HRESULT)(want)) {                                                                          \
      snprintf(g_why, sizeof g_why, "line %d: %s = 0x%08X, want 0x%08X", __LINE__, #expr, (unsigned)hr_, \
               (unsigned)(want));                                                                          \
      return g_why;                                                                                        \
    }                                                                                                      \
  } while (0)

#define ERROR_CANCELLED_HR HR(0x800704C7u)
#define HCS_E_SYSTEM_ALREADY_EXISTS HR(0x8037010Fu)

static char g_idbuf[8][96];
static const char *uid(int slot, const char *base) {
  snprintf(g_idbuf[slot], sizeof g_idbuf[slot], "%s-%d", base, (int)getpid());
  return g_idbuf[slot];
}

/* ---- callback recorder ---- */
typedef struct rec {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int count;
  pthread_t thread;
  void *ctx;
  uint32_t types[64];
  HCS_OPERATION ops[64];
  char *data[64];
  HRESULT result_in_cb;
  int sleep_ms;
  bool entered, done, close_op_in_cb;
  HCS_SYSTEM close_self;
} rec;

static void rec_init(rec *r) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
}

static void rec_free(rec *r) {
  for (int i = 0; i < r->count && i < 64; i++) free(r->data[i]);
  pthread_mutex_destroy(&r->mu);
  pthread_cond_destroy(&r->cv);
}

/* Wait until at least n callbacks arrived (or ms elapsed). */
static bool rec_wait(rec *r, int n, int ms) {
  double end = now_ms() + ms;
  pthread_mutex_lock(&r->mu);
  while (r->count < n && now_ms() < end) {
    pthread_mutex_unlock(&r->mu);
    sleep_ms(2);
    pthread_mutex_lock(&r->mu);
  }
  bool ok = r->count >= n;
  pthread_mutex_unlock(&r->mu);
  return ok;
}

static int rec_count_type(rec *r, uint32_t type) {
  pthread_mutex_lock(&r->mu);
  int n = 0;
  for (int i = 0; i < r->count && i < 64; i++) n += r->types[i] == type;
  pthread_mutex_unlock(&r->mu);
  return n;
}

static void on_event(HCS_EVENT *ev, void *ctx) {
  rec *r = ctx;
  pthread_mutex_lock(&r->mu);
  int i = r->count;
  if (i < 64) {
    r->types[i] = ev->Type;
    r->ops[i] = ev->Operation;
    r->data[i] = u8(ev->EventData);
  }
  r->thread = pthread_self();
  r->ctx = ctx;
  r->entered = true;
  r->count++;
  int sl = r->sleep_ms;
  HCS_SYSTEM self = r->close_self;
  pthread_mutex_unlock(&r->mu);
  if (sl) sleep_ms(sl);
  if (self) HcsCloseComputeSystem(self); /* from the dispatcher thread: must not self-deadlock */
  pthread_mutex_lock(&r->mu);
  r->done = true;
  pthread_mutex_unlock(&r->mu);
}

static void on_complete(HCS_OPERATION op, void *ctx) {
  rec *r = ctx;
  PWSTR doc = NULL;
  HRESULT hr = HcsGetOperationResult(op, &doc); /* legal inside the callback */
  LocalFree(doc);
  pthread_mutex_lock(&r->mu);
  if (r->count < 64) r->ops[r->count] = op;
  r->thread = pthread_self();
  r->ctx = ctx;
  r->result_in_cb = hr;
  r->count++;
  bool close_op = r->close_op_in_cb;
  pthread_mutex_unlock(&r->mu);
  if (close_op) HcsCloseOperation(op); /* legal inside the callback */
}

static const char *MEM_2048 =
    "{\"ResourcePath\":\"VirtualMachine/ComputeTopology/Memory/SizeInMB\",\"RequestType\":\"Update\",\"Settings\":2048}";

static HRESULT call_getprops(HCS_SYSTEM sys, HCS_OPERATION op, const char *query) {
  char16_t *q = query ? u16(query) : NULL;
  HRESULT hr = HcsGetComputeSystemProperties(sys, op, q);
  free(q);
  return hr;
}

static HRESULT call_modify(HCS_SYSTEM sys, HCS_OPERATION op, const char *doc) {
  char16_t *d = u16(doc);
  HRESULT hr = HcsModifyComputeSystem(sys, op, d, NULL);
  free(d);
  return hr;
}

static HRESULT call_opts(HRESULT (*fn)(HCS_SYSTEM, HCS_OPERATION, PCWSTR), HCS_SYSTEM sys, HCS_OPERATION op,
                         const char *opts) {
  char16_t *o = opts ? u16(opts) : NULL;
  HRESULT hr = fn(sys, op, o);
  free(o);
  return hr;
}

/* ================= cases ================= */

static const char *case_unicode_lifecycle(void) {
  const char *id = "vm-ünï-𝄞";
  const char *owner = "ówner-😀-𝄞";
  char16_t *wid = u16(id);
  char *cfg = vm_config(owner, true);
  char16_t *wcfg = u16(cfg);
  free(cfg);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  HCS_SYSTEM sys = NULL;
  EXPECT_HR(HcsCreateComputeSystem(wid, wcfg, op, NULL, &sys), S_OK);
  free(wid);
  free(wcfg);
  EXPECT(sys != NULL, "no handle");
  EXPECT(HcsGetOperationType(op) == HcsOperationTypeCreate, "type %d", HcsGetOperationType(op));
  EXPECT(HcsGetComputeSystemFromOperation(op) == sys, "system from op");
  EXPECT(HcsGetOperationId(op) != HCS_INVALID_OPERATION_ID, "op id");
  EXPECT_HR(wait_op(op, NULL), S_OK);
  rec r;
  rec_init(&r);
  EXPECT_HR(HcsSetComputeSystemCallback(sys, HcsEventOptionNone, &r, on_event), S_OK);
  EXPECT_HR(HcsStartComputeSystem(sys, op, NULL), S_OK);
  EXPECT(HcsGetOperationType(op) == HcsOperationTypeStart, "type start");
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  char *doc = NULL;
  EXPECT_HR(wait_op(op, &doc), S_OK);
  EXPECT(doc && strstr(doc, "\"Name\":\"vm-ünï-𝄞\"") && strstr(doc, "\"Owner\":\"ówner-😀-𝄞\"") &&
             strstr(doc, "\"Id\":\"vm-ünï-𝄞\"") && strstr(doc, "\"State\":\"Running\""),
         "properties: %s", doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(call_modify(sys, op, MEM_2048), S_OK);
  EXPECT(HcsGetOperationType(op) == HcsOperationTypeModify, "type modify");
  EXPECT_HR(wait_op(op, &doc), S_OK);
  EXPECT(doc == NULL, "modify doc %s", doc);
  EXPECT_HR(call_opts(HcsPauseComputeSystem, sys, op, NULL), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(call_opts(HcsSaveComputeSystem, sys, op, "{\"SaveType\":\"ToFile\",\"SaveStateFilePath\":\"/tmp/ünï-𝄞.vmrs\"}"),
            S_OK);
  EXPECT(HcsGetOperationType(op) == HcsOperationTypeSave, "type save");
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(call_opts(HcsResumeComputeSystem, sys, op, ""), S_OK); /* empty optional doc = absent */
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(call_opts(HcsShutDownComputeSystem, sys, op, NULL), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT(rec_wait(&r, 1, 5000), "no exit event");
  EXPECT(r.types[0] == HcsEventSystemExited && r.data[0] && strstr(r.data[0], "\"ExitType\":\"GracefulExit\""),
         "event 0x%x %s", r.types[0], r.data[0] ? r.data[0] : "(null)");
  EXPECT(r.ops[0] == NULL, "event Operation set");
  PWSTR w = NULL;
  EXPECT_HR(HcsWaitForComputeSystemExit(sys, 1000, &w), S_OK);
  doc = take_doc(w);
  EXPECT(doc && strstr(doc, "GracefulExit"), "exit doc %s", doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(call_opts(HcsTerminateComputeSystem, sys, op, NULL), S_OK);
  EXPECT_HR(wait_op(op, &doc), HCS_E_SYSTEM_ALREADY_STOPPED);
  EXPECT(doc && strstr(doc, "\"Error\":-2143878896"), "ResultError %s", doc ? doc : "(null)");
  free(doc);
  HcsCloseComputeSystem(sys);
  HcsCloseOperation(op);
  rec_free(&r);
  return NULL;
}

static const char *case_callback_thread(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-thread"), NULL, true, true, &sys), S_OK);
  rec r;
  rec_init(&r);
  r.close_op_in_cb = true;
  HCS_OPERATION op = HcsCreateOperation(&r, on_complete);
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  EXPECT(rec_wait(&r, 1, 5000), "no completion callback");
  EXPECT(!pthread_equal(r.thread, pthread_self()), "completion ran on the caller's thread");
  EXPECT(r.ops[0] == op && r.ctx == &r, "callback arguments");
  EXPECT_HR(r.result_in_cb, S_OK);
  sleep_ms(20);
  EXPECT_HR(HcsGetOperationResult(op, NULL), E_HANDLE); /* closed inside the callback */
  rec ev;
  rec_init(&ev);
  EXPECT_HR(HcsSetComputeSystemCallback(sys, 0, &ev, on_event), S_OK);
  HCS_OPERATION op2 = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_opts(HcsTerminateComputeSystem, sys, op2, NULL), S_OK);
  EXPECT(rec_wait(&ev, 1, 5000), "no event");
  EXPECT(!pthread_equal(ev.thread, pthread_self()), "event ran on the caller's thread");
  EXPECT(ev.types[0] == HcsEventSystemExited && ev.data[0] && strstr(ev.data[0], "ForcedExit"), "exit event");
  EXPECT_HR(wait_op(op2, NULL), S_OK);
  HcsCloseOperation(op2);
  HcsCloseComputeSystem(sys);
  rec_free(&r);
  rec_free(&ev);
  return NULL;
}

static const char *case_wait_timeout_and_poll(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-wait"), NULL, true, true, &sys), S_OK);
  EXPECT_HR(control_delay("GetProperties", 400, 1), S_OK);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  double t0 = now_ms();
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  EXPECT(now_ms() - t0 < 100, "async call took %.1f ms", now_ms() - t0);
  PWSTR d = (PWSTR)1;
  EXPECT_HR(HcsGetOperationResult(op, &d), HCS_E_OPERATION_PENDING);
  EXPECT(d == NULL, "doc while pending");
  double t1 = now_ms();
  EXPECT_HR(HcsWaitForOperationResult(op, 100, &d), HCS_E_OPERATION_TIMEOUT);
  double waited = now_ms() - t1;
  EXPECT(waited >= 95 && waited < 380, "waited %.1f ms", waited);
  EXPECT_HR(HcsWaitForOperationResult(op, 0, NULL), HCS_E_OPERATION_TIMEOUT);
  int polls = 0;
  while (HcsGetOperationResult(op, NULL) == HCS_E_OPERATION_PENDING && polls < 2000) {
    polls++;
    sleep_ms(5);
  }
  EXPECT(polls > 10, "only %d polls while pending", polls);
  char *doc;
  EXPECT_HR(wait_op(op, &doc), S_OK);
  EXPECT(now_ms() - t0 >= 390, "finished after %.1f ms despite a 400 ms delay", now_ms() - t0);
  EXPECT(doc && strstr(doc, "\"State\":\"Running\""), "doc %s", doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(HcsWaitForOperationResult(op, INFINITE, NULL), S_OK); /* done: returns at once */
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  return NULL;
}

static const char *case_not_started(void) {
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT(op != NULL, "no op");
  PWSTR d = (PWSTR)1;
  EXPECT_HR(HcsGetOperationResult(op, &d), HCS_E_OPERATION_NOT_STARTED);
  EXPECT(d == NULL, "doc set");
  EXPECT_HR(HcsWaitForOperationResult(op, 50, NULL), HCS_E_OPERATION_NOT_STARTED);
  EXPECT(HcsGetOperationType(op) == HcsOperationTypeNone, "type");
  EXPECT(HcsGetOperationId(op) == HCS_INVALID_OPERATION_ID, "id");
  EXPECT(HcsGetComputeSystemFromOperation(op) == NULL, "system");
  EXPECT_HR(HcsCancelOperation(op), HCS_E_OPERATION_NOT_STARTED);
  HcsCloseOperation(op);
  return NULL;
}

static const char *case_already_started_and_reuse(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-reuse"), NULL, true, true, &sys), S_OK);
  EXPECT_HR(control_delay("GetProperties", 300, 1), S_OK);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  UINT64 id1 = HcsGetOperationId(op);
  EXPECT_HR(call_getprops(sys, op, NULL), HCS_E_OPERATION_ALREADY_STARTED);
  EXPECT_HR(call_opts(HcsStartComputeSystem, sys, op, NULL), HCS_E_OPERATION_ALREADY_STARTED);
  EXPECT_HR(HcsEnumerateComputeSystems(NULL, op), HCS_E_OPERATION_ALREADY_STARTED);
  EXPECT_HR(HcsSetOperationCallback(op, NULL, on_complete), HCS_E_OPERATION_ALREADY_STARTED);
  EXPECT(HcsGetOperationType(op) == HcsOperationTypeGetProperties, "type changed");
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(call_modify(sys, op, MEM_2048), S_OK); /* reuse after completion */
  EXPECT(HcsGetOperationId(op) != id1, "same id for a new use");
  EXPECT_HR(wait_op(op, NULL), S_OK);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  return NULL;
}

static const char *case_cancel(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-cancel"), NULL, true, true, &sys), S_OK);
  EXPECT_HR(control_delay("Modify", 3000, 1), S_OK);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_modify(sys, op, MEM_2048), S_OK);
  double t0 = now_ms();
  EXPECT_HR(HcsCancelOperation(op), S_OK);
  char *doc;
  EXPECT_HR(wait_op(op, &doc), ERROR_CANCELLED_HR);
  EXPECT(now_ms() - t0 < 2000, "cancel took %.1f ms", now_ms() - t0);
  EXPECT(doc && strstr(doc, "\"Error\":-2147023673"), "doc %s", doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(HcsCancelOperation(op), E_INVALIDARG); /* completed: nothing to cancel */
  /* the cancelled Modify had no effect */
  EXPECT_HR(call_getprops(sys, op, "{\"PropertyTypes\":[\"Memory\"]}"), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  char q[512], *ans = NULL;
  snprintf(q, sizeof q, "{\"what\":\"system\",\"id\":\"%s\"}", g_idbuf[0]);
  EXPECT_HR(control(64, q, &ans), S_OK);
  EXPECT(ans && strstr(ans, "\"SizeInMB\":1024"), "config after cancel: %.300s", ans ? ans : "(null)");
  free(ans);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  return NULL;
}

static const char *case_close_op_pending(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-closeop"), NULL, true, true, &sys), S_OK);
  EXPECT_HR(control_delay("GetProperties", 300, 1), S_OK);
  rec r;
  rec_init(&r);
  HCS_OPERATION op = HcsCreateOperation(&r, on_complete);
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  double t0 = now_ms();
  HcsCloseOperation(op);
  EXPECT(now_ms() - t0 < 50, "HcsCloseOperation blocked %.1f ms", now_ms() - t0);
  EXPECT_HR(HcsGetOperationResult(op, NULL), E_HANDLE);
  sleep_ms(600);
  EXPECT(r.count == 0, "callback ran after close");
  HCS_OPERATION op2 = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_getprops(sys, op2, NULL), S_OK);
  EXPECT_HR(wait_op(op2, NULL), S_OK);
  HcsCloseOperation(op2);
  HcsCloseComputeSystem(sys);
  rec_free(&r);
  return NULL;
}

static const char *case_close_system_ops_pending(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-closesys"), NULL, true, true, &sys), S_OK);
  EXPECT_HR(control_delay("GetProperties", 300, 3), S_OK);
  rec r;
  rec_init(&r);
  HCS_OPERATION ops[3];
  for (int i = 0; i < 3; i++) {
    ops[i] = HcsCreateOperation(&r, on_complete);
    EXPECT_HR(call_getprops(sys, ops[i], NULL), S_OK);
  }
  HcsCloseComputeSystem(sys);
  EXPECT(HcsGetComputeSystemFromOperation(ops[0]) == NULL, "closed system still returned");
  EXPECT_HR(call_getprops(sys, HcsCreateOperation(NULL, NULL), NULL), E_HANDLE);
  for (int i = 0; i < 3; i++) {
    char *doc = NULL;
    EXPECT_HR(wait_op(ops[i], &doc), E_HANDLE); /* hcsd: the token was closed before they ran */
    EXPECT(doc && strstr(doc, "\"Error\":-2147024890"), "doc %s", doc ? doc : "(null)");
    free(doc);
  }
  EXPECT(rec_wait(&r, 3, 2000), "callbacks: %d", r.count);
  for (int i = 0; i < 3; i++) HcsCloseOperation(ops[i]);
  rec_free(&r);
  return NULL;
}

static const char *case_close_system_in_callback(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-closecb"), NULL, true, true, &sys), S_OK);
  rec r;
  rec_init(&r);
  r.close_self = sys;
  EXPECT_HR(HcsSetComputeSystemCallback(sys, 0, &r, on_event), S_OK);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_opts(HcsTerminateComputeSystem, sys, op, NULL), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  double end = now_ms() + 5000;
  bool done = false;
  while (!done && now_ms() < end) {
    pthread_mutex_lock(&r.mu);
    done = r.done;
    pthread_mutex_unlock(&r.mu);
    sleep_ms(2);
  }
  EXPECT(done, "callback that closes its own system never returned (self-deadlock)");
  EXPECT_HR(call_getprops(sys, op, NULL), E_HANDLE);
  EXPECT(r.count == 1, "%d events", r.count);
  HcsCloseOperation(op);
  rec_free(&r);
  return NULL;
}

static const char *case_close_system_while_callback_running(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-closewhile"), NULL, true, true, &sys), S_OK);
  rec r;
  rec_init(&r);
  r.sleep_ms = 300;
  EXPECT_HR(HcsSetComputeSystemCallback(sys, 0, &r, on_event), S_OK);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_opts(HcsTerminateComputeSystem, sys, op, NULL), S_OK);
  EXPECT(rec_wait(&r, 1, 5000), "no event");
  double t0 = now_ms();
  HcsCloseComputeSystem(sys);
  double took = now_ms() - t0;
  pthread_mutex_lock(&r.mu);
  bool done = r.done;
  pthread_mutex_unlock(&r.mu);
  EXPECT(done, "HcsCloseComputeSystem returned while the callback was still running");
  EXPECT(took >= 100, "close took only %.1f ms", took);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  HcsCloseOperation(op);
  rec_free(&r);
  return NULL;
}

static const char *case_operation_callback_option(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-opcb"), NULL, true, true, &sys), S_OK);
  rec r;
  rec_init(&r);
  EXPECT_HR(HcsSetComputeSystemCallback(sys, HcsEventOptionEnableOperationCallbacks, &r, on_event), S_OK);
  EXPECT_HR(HcsSetComputeSystemCallback(sys, 0, &r, on_event), HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  EXPECT(rec_wait(&r, 1, 5000), "no OperationCallback event");
  EXPECT(r.types[0] == HcsEventOperationCallback && r.ops[0] == op && r.data[0] == NULL,
         "event 0x%x op %p data %s", r.types[0], (void *)r.ops[0], r.data[0] ? r.data[0] : "(null)");
  EXPECT(!pthread_equal(r.thread, pthread_self()), "event on caller thread");
  EXPECT_HR(HcsGetOperationResult(op, NULL), S_OK);
  rec r2;
  rec_init(&r2);
  HCS_OPERATION own = HcsCreateOperation(&r2, on_complete);
  EXPECT_HR(call_getprops(sys, own, NULL), HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET);
  HCS_OPERATION notif = HcsCreateOperationWithNotifications(HcsOperationOptionNone, &r2, on_event);
  EXPECT_HR(call_getprops(sys, notif, NULL), HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET);
  EXPECT_HR(HcsGetOperationResult(own, NULL), HCS_E_OPERATION_NOT_STARTED);
  /* unregister with a NULL callback; then an op with its own callback is accepted */
  EXPECT_HR(HcsSetComputeSystemCallback(sys, 0, NULL, NULL), S_OK);
  EXPECT_HR(call_getprops(sys, own, NULL), S_OK);
  EXPECT(rec_wait(&r2, 1, 5000), "own callback not called");
  EXPECT_HR(HcsSetComputeSystemCallback(sys, 0x8, &r, on_event), E_INVALIDARG);
  HcsCloseOperation(op);
  HcsCloseOperation(own);
  HcsCloseOperation(notif);
  HcsCloseComputeSystem(sys);
  rec_free(&r);
  rec_free(&r2);
  return NULL;
}

static const char *case_operation_with_notifications(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-notif"), NULL, true, true, &sys), S_OK);
  rec r;
  rec_init(&r);
  EXPECT(HcsCreateOperationWithNotifications(0x10, &r, on_event) == NULL, "bad options accepted");
  HCS_OPERATION op = HcsCreateOperationWithNotifications(HcsOperationOptionProgressUpdate, &r, on_event);
  EXPECT(op != NULL, "no op");
  EXPECT(HcsGetOperationContext(op) == &r, "context");
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  EXPECT(rec_wait(&r, 1, 5000), "no event");
  EXPECT(r.types[0] == HcsEventOperationCallback && r.ops[0] == op && r.ctx == &r, "event 0x%x", r.types[0]);
  EXPECT(!pthread_equal(r.thread, pthread_self()), "event on caller thread");
  EXPECT_HR(HcsGetOperationResult(op, NULL), S_OK);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  rec_free(&r);
  return NULL;
}

static const char *case_operation_context(void) {
  HCS_OPERATION op = HcsCreateOperation((void *)0x1234, NULL);
  EXPECT(HcsGetOperationContext(op) == (void *)0x1234, "context");
  EXPECT_HR(HcsSetOperationContext(op, (void *)0x5678), S_OK);
  EXPECT(HcsGetOperationContext(op) == (void *)0x5678, "context after set");
  rec r;
  rec_init(&r);
  EXPECT_HR(HcsSetOperationCallback(op, &r, on_complete), S_OK);
  EXPECT(HcsGetOperationContext(op) == &r, "context after SetOperationCallback");
  EXPECT_HR(HcsEnumerateComputeSystems(NULL, op), S_OK);
  EXPECT(rec_wait(&r, 1, 5000), "callback set by HcsSetOperationCallback not called");
  EXPECT(r.ctx == &r && r.ops[0] == op, "callback arguments");
  EXPECT(HcsGetOperationType(op) == HcsOperationTypeEnumerate, "type");
  HcsCloseOperation(op);
  EXPECT_HR(HcsSetOperationContext(op, NULL), E_HANDLE);
  EXPECT(HcsGetOperationContext(op) == NULL, "context of a closed op");
  rec_free(&r);
  return NULL;
}

static const char *case_bad_input(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-bad"), NULL, true, true, &sys), S_OK);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  HCS_SYSTEM out = (HCS_SYSTEM)1;
  char16_t *id = u16("vm-bad-json");
  /* malformed JSON, synchronously */
  const char *bad[] = {"{", "{\"a\":}", "[1,]", "{\"a\":1}x", "01", "\"tab\there\"", "{'a':1}", "tru", "1.", "-",
                       "{\"a\" 1}", "[\"\\x\"]", "\"\\u12G4\""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char16_t *b = u16(bad[i]);
    HRESULT hr = HcsCreateComputeSystem(id, b, op, NULL, &out);
    free(b);
    EXPECT(hr == HCS_E_INVALID_JSON, "create with %s: 0x%08X", bad[i], (unsigned)hr);
    EXPECT(out == NULL, "handle set on failure");
  }
  EXPECT_HR(call_modify(sys, op, "{\"ResourcePath\":"), HCS_E_INVALID_JSON);
  EXPECT_HR(call_modify(sys, op, ""), HCS_E_INVALID_JSON); /* required document: empty is not JSON */
  EXPECT_HR(call_getprops(sys, op, "[1,]"), HCS_E_INVALID_JSON);
  EXPECT_HR(call_opts(HcsStartComputeSystem, sys, op, "nul"), HCS_E_INVALID_JSON);
  EXPECT(HcsGetOperationType(op) == HcsOperationTypeNone, "a rejected call used the op");
  /* valid but unusual JSON passes the syntax check: hcsd judges it (and rejects the unknown key) */
  EXPECT_HR(call_getprops(sys, op, " {\"PropertyTypes\" : [ ] , \"x\":[-0.5e+3,true,false,null,\"\\u00e9\\n\"]} "),
            S_OK);
  char *pdoc = NULL;
  EXPECT_HR(wait_op(op, &pdoc), E_INVALIDARG);
  EXPECT(pdoc && strstr(pdoc, "invalid PropertyQuery"), "hcsd verdict: %s", pdoc ? pdoc : "(null)");
  free(pdoc);
  /* nesting: 600 levels exceed the checker's depth limit; 100 levels are fine (hcsd judges them) */
  char16_t nest[1300];
  for (int i = 0; i < 600; i++) {
    nest[i] = u'[';
    nest[600 + i] = u']';
  }
  nest[1200] = 0;
  EXPECT_HR(HcsGetComputeSystemProperties(sys, op, nest), HCS_E_INVALID_JSON);
  for (int i = 0; i < 100; i++) {
    nest[i] = u'[';
    nest[100 + i] = u']';
  }
  nest[200] = 0;
  EXPECT_HR(HcsGetComputeSystemProperties(sys, op, nest), S_OK);
  EXPECT_HR(wait_op(op, NULL), E_INVALIDARG);
  /* size limit: 4 Mi UTF-16 units pass the size check (then fail the JSON check); one more is E_INVALIDARG */
  size_t lim = 4u * 1024u * 1024u;
  char16_t *big = malloc((lim + 2) * sizeof(char16_t));
  for (size_t i = 0; i < lim + 1; i++) big[i] = u' ';
  big[lim] = 0;
  EXPECT_HR(HcsModifyComputeSystem(sys, op, big, NULL), HCS_E_INVALID_JSON);
  big[lim] = u' ';
  big[lim + 1] = 0;
  EXPECT_HR(HcsModifyComputeSystem(sys, op, big, NULL), E_INVALIDARG);
  EXPECT_HR(HcsCreateComputeSystem(big, u"{}", op, NULL, &out), E_INVALIDARG);
  free(big);
  /* unpaired surrogates */
  const char16_t lone_high[] = {u'{', u'"', 0xD834, u'"', u':', u'1', u'}', 0};
  const char16_t lone_low[] = {u'"', 0xDD1E, u'"', 0};
  const char16_t high_at_end[] = {u'x', 0xD834, 0};
  const char16_t reversed[] = {0xDD1E, 0xD834, 0};
  EXPECT_HR(HcsModifyComputeSystem(sys, op, lone_high, NULL), E_INVALIDARG);
  EXPECT_HR(HcsModifyComputeSystem(sys, op, lone_low, NULL), E_INVALIDARG);
  EXPECT_HR(HcsCreateComputeSystem(high_at_end, u"{}", op, NULL, &out), E_INVALIDARG);
  EXPECT_HR(HcsCreateComputeSystem(reversed, u"{}", op, NULL, &out), E_INVALIDARG);
  /* NULL where a pointer is required */
  EXPECT_HR(HcsCreateComputeSystem(NULL, u"{}", op, NULL, &out), E_POINTER);
  EXPECT_HR(HcsCreateComputeSystem(id, NULL, op, NULL, &out), E_POINTER);
  EXPECT_HR(HcsCreateComputeSystem(id, u"{}", op, NULL, NULL), E_POINTER);
  EXPECT_HR(HcsCreateComputeSystem(id, u"{}", op, (void *)8, &out), E_INVALIDARG); /* reserved SD */
  EXPECT_HR(HcsModifyComputeSystem(sys, op, NULL, NULL), E_POINTER);
  EXPECT_HR(HcsOpenComputeSystem(NULL, GENERIC_ALL, &out), E_POINTER);
  EXPECT_HR(HcsOpenComputeSystem(id, GENERIC_ALL, NULL), E_POINTER);
  EXPECT_HR(HcsOpenComputeSystem(id, 0, &out), E_INVALIDARG);
  EXPECT_HR(HcsGetServiceProperties(NULL, NULL), E_POINTER);
  EXPECT_HR(HcsModifyServiceSettings(NULL, NULL), E_POINTER);
  EXPECT_HR(HcsGetOperationProperties(op, NULL, NULL), E_POINTER);
  EXPECT_HR(HcsAddResourceToOperation(op, HcsResourceTypeFile, NULL, NULL), E_POINTER);
  /* stale and forged handles */
  HCS_OPERATION closed_op = HcsCreateOperation(NULL, NULL);
  HcsCloseOperation(closed_op);
  HCS_SYSTEM closed_sys;
  EXPECT_HR(make_vm(uid(1, "vm-stale"), NULL, false, true, &closed_sys), S_OK);
  HcsCloseComputeSystem(closed_sys);
  HCS_SYSTEM forged_sys[] = {NULL, (HCS_SYSTEM)(uintptr_t)0x12345678, (HCS_SYSTEM)op, closed_sys,
                             (HCS_SYSTEM)((uintptr_t)sys + ((uintptr_t)1 << 32)), (HCS_SYSTEM)(uintptr_t)~(uintptr_t)0};
  HCS_OPERATION forged_op[] = {NULL, (HCS_OPERATION)(uintptr_t)0xA1000001u, (HCS_OPERATION)sys, closed_op,
                               (HCS_OPERATION)((uintptr_t)op ^ ((uintptr_t)1 << 33))};
  for (size_t i = 0; i < sizeof forged_sys / sizeof forged_sys[0]; i++) {
    EXPECT_HR(call_getprops(forged_sys[i], op, NULL), E_HANDLE);
    EXPECT_HR(call_modify(forged_sys[i], op, MEM_2048), E_HANDLE);
    EXPECT_HR(call_opts(HcsStartComputeSystem, forged_sys[i], op, NULL), E_HANDLE);
    EXPECT_HR(HcsSetComputeSystemCallback(forged_sys[i], 0, NULL, on_event), E_HANDLE);
    EXPECT_HR(HcsWaitForComputeSystemExit(forged_sys[i], 0, NULL), E_HANDLE);
    HcsCloseComputeSystem(forged_sys[i]); /* ignored, no crash */
  }
  for (size_t i = 0; i < sizeof forged_op / sizeof forged_op[0]; i++) {
    HCS_OPERATION f = forged_op[i];
    EXPECT_HR(call_getprops(sys, f, NULL), E_HANDLE);
    EXPECT_HR(HcsEnumerateComputeSystems(NULL, f), E_HANDLE);
    EXPECT_HR(HcsCreateComputeSystem(id, u"{}", f, NULL, &out), E_HANDLE);
    EXPECT_HR(HcsGetOperationResult(f, NULL), E_HANDLE);
    EXPECT_HR(HcsWaitForOperationResult(f, 10, NULL), E_HANDLE);
    EXPECT_HR(HcsSetOperationCallback(f, NULL, NULL), E_HANDLE);
    EXPECT_HR(HcsCancelOperation(f), E_HANDLE);
    EXPECT(HcsGetOperationType(f) == HcsOperationTypeNone, "type of forged op");
    EXPECT(HcsGetOperationId(f) == HCS_INVALID_OPERATION_ID, "id of forged op");
    EXPECT(HcsGetComputeSystemFromOperation(f) == NULL, "system of forged op");
    HcsCloseOperation(f); /* ignored, no crash */
  }
  /* the real handles still work */
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  free(id);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  return NULL;
}

static const char *case_enumerate_and_service(void) {
  HCS_SYSTEM sys;
  char owner[64];
  snprintf(owner, sizeof owner, "enum-owner-%d", (int)getpid());
  EXPECT_HR(make_vm(uid(0, "vm-enum-é"), owner, false, true, &sys), S_OK);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  char q[256];
  snprintf(q, sizeof q, "{\"Owners\":[\"%s\"]}", owner);
  char16_t *wq = u16(q);
  EXPECT_HR(HcsEnumerateComputeSystems(wq, op), S_OK);
  free(wq);
  EXPECT(HcsGetComputeSystemFromOperation(op) == NULL, "enumerate has no system");
  char *doc;
  EXPECT_HR(wait_op(op, &doc), S_OK);
  char want[256];
  snprintf(want, sizeof want, "\"Id\":\"%s\"", g_idbuf[0]);
  EXPECT(doc && doc[0] == '[' && strstr(doc, want) && strstr(doc, "\"State\":\"Created\""), "enumerate: %s",
         doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(HcsEnumerateComputeSystems(u"{\"Owners\":[\"nobody-here\"]}", op), S_OK);
  EXPECT_HR(wait_op(op, &doc), S_OK);
  EXPECT(doc && strcmp(doc, "[]") == 0, "enumerate nobody: %s", doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(HcsEnumerateComputeSystems(u"{bad", op), HCS_E_INVALID_JSON);
  PWSTR w = NULL;
  EXPECT_HR(HcsGetServiceProperties(NULL, &w), S_OK);
  doc = take_doc(w);
  EXPECT(doc && strstr(doc, "\"SupportedSchemaVersions\":[{\"Major\":2,\"Minor\":6}]"), "service: %s",
         doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(HcsGetServiceProperties(u"{\"PropertyTypes\":[\"QoSCapabilities\"]}", &w), S_OK);
  doc = take_doc(w);
  EXPECT(doc && strstr(doc, "ProcessorQoSSupported"), "qos: %s", doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(HcsGetServiceProperties(u"{\"PropertyTypes\":", &w), HCS_E_INVALID_JSON);
  EXPECT_HR(HcsModifyServiceSettings(u"{]", &w), HCS_E_INVALID_JSON);
  HRESULT hr = HcsModifyServiceSettings(u"{\"Settings\":{}}", &w);
  doc = take_doc(w);
  EXPECT(hr == E_INVALIDARG && doc && strstr(doc, "\"Error\":-2147024809") &&
             strstr(doc, "invalid ModificationRequest: PropertyType: is required"),
         "modify service: 0x%08X %s", (unsigned)hr, doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(HcsModifyServiceSettings(u"{\"PropertyType\":\"Memory\"}", NULL), S_OK); /* result is optional */
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  return NULL;
}

static const char *g_self;

static int run_child(const char *mode, const char *id) {
  pid_t pid = fork();
  if (pid == 0) {
    execl(g_self, g_self, mode, id, (char *)NULL);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *case_two_processes(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-shared-𝄞"), NULL, true, true, &sys), S_OK);
  int rc = run_child("--child-open", g_idbuf[0]);
  EXPECT(rc == 0, "child exited %d", rc);
  /* the child's Close left our handle and the VM alone */
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  char *doc;
  EXPECT_HR(wait_op(op, &doc), S_OK);
  EXPECT(doc && strstr(doc, "\"State\":\"Running\""), "after child: %s", doc ? doc : "(null)");
  free(doc);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  return NULL;
}

static int child_open(const char *id) {
  char16_t *wid = u16(id);
  HCS_SYSTEM sys;
  HRESULT hr = HcsOpenComputeSystem(wid, GENERIC_ALL, &sys);
  if (hr != S_OK) {
    fprintf(stderr, "child: open 0x%08X\n", (unsigned)hr);
    return 1;
  }
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  char *doc = NULL;
  hr = HcsGetComputeSystemProperties(sys, op, NULL);
  if (hr == S_OK) hr = wait_op(op, &doc);
  char want[300];
  snprintf(want, sizeof want, "\"Id\":\"%s\"", id);
  if (hr != S_OK || !doc || !strstr(doc, want) || !strstr(doc, "\"State\":\"Running\"")) {
    fprintf(stderr, "child: props 0x%08X %s\n", (unsigned)hr, doc ? doc : "(null)");
    return 2;
  }
  free(doc);
  hr = HcsEnumerateComputeSystems(NULL, op);
  if (hr == S_OK) hr = wait_op(op, &doc);
  if (hr != S_OK || !doc || !strstr(doc, want)) {
    fprintf(stderr, "child: enumerate 0x%08X %s\n", (unsigned)hr, doc ? doc : "(null)");
    return 3;
  }
  free(doc);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  free(wid);
  return 0;
}

static int child_submit_exit(const char *id) {
  char16_t *wid = u16(id);
  HCS_SYSTEM sys;
  if (HcsOpenComputeSystem(wid, GENERIC_ALL, &sys) != S_OK) return 1;
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  if (call_modify(sys, op, MEM_2048) != S_OK) return 2;
  sleep_ms(50); /* let the request reach hcsd */
  _exit(0);     /* no close, no wait: the connection just ends */
}

static const char *case_client_exit_mid_operation(void) {
  HCS_SYSTEM sys;
  const char *id = uid(0, "vm-midop");
  EXPECT_HR(make_vm(id, NULL, true, true, &sys), S_OK);
  EXPECT_HR(control_delay("Modify", 500, 1), S_OK);
  int rc = run_child("--child-submit-exit", id);
  EXPECT(rc == 0, "child exited %d", rc);
  sleep_ms(800); /* past the delay: a surviving request would have run by now */
  char q[512], *ans = NULL;
  snprintf(q, sizeof q, "{\"what\":\"system\",\"id\":\"%s\"}", id);
  EXPECT_HR(control(64, q, &ans), S_OK);
  EXPECT(ans && strstr(ans, "\"SizeInMB\":1024") && strstr(ans, "\"handleCount\":1") &&
             strstr(ans, "\"state\":\"Running\""),
         "inspection: %.400s", ans ? ans : "(null)");
  free(ans);
  /* a second open + enumerate still see it */
  HCS_SYSTEM again;
  char16_t *wid = u16(id);
  EXPECT_HR(HcsOpenComputeSystem(wid, GENERIC_ALL, &again), S_OK);
  free(wid);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(HcsEnumerateComputeSystems(NULL, op), S_OK);
  char *doc;
  EXPECT_HR(wait_op(op, &doc), S_OK);
  EXPECT(doc && strstr(doc, id), "enumerate: %s", doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(call_getprops(again, op, NULL), S_OK);
  EXPECT_HR(wait_op(op, &doc), S_OK);
  EXPECT(doc && strstr(doc, "\"State\":\"Running\""), "props: %s", doc ? doc : "(null)");
  free(doc);
  HcsCloseComputeSystem(again);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  return NULL;
}

static const char *case_create_in_flight(void) {
  /* calls on a handle whose Create is in flight are queued and sent once it is bound */
  EXPECT_HR(control_delay("Create", 300, 1), S_OK);
  HCS_OPERATION cop = HcsCreateOperation(NULL, NULL);
  HCS_SYSTEM sys = NULL;
  char16_t *wid = u16(uid(0, "vm-inflight"));
  char *cfg = vm_config(NULL, true);
  char16_t *wcfg = u16(cfg);
  EXPECT_HR(HcsCreateComputeSystem(wid, wcfg, cop, NULL, &sys), S_OK);
  rec r;
  rec_init(&r);
  EXPECT_HR(HcsSetComputeSystemCallback(sys, 0, &r, on_event), S_OK);
  HCS_OPERATION sop = HcsCreateOperation(NULL, NULL), pop = HcsCreateOperation(NULL, NULL);
  HCS_OPERATION cancelled = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_opts(HcsStartComputeSystem, sys, sop, NULL), S_OK);
  EXPECT_HR(call_getprops(sys, pop, NULL), S_OK);
  EXPECT_HR(call_modify(sys, cancelled, MEM_2048), S_OK);
  EXPECT_HR(HcsGetOperationResult(sop, NULL), HCS_E_OPERATION_PENDING);
  EXPECT_HR(HcsCancelOperation(cancelled), S_OK); /* never sent: completes at once */
  EXPECT_HR(HcsWaitForOperationResult(cancelled, 0, NULL), ERROR_CANCELLED_HR);
  EXPECT_HR(HcsGetOperationResult(cop, NULL), HCS_E_OPERATION_PENDING);
  EXPECT_HR(wait_op(cop, NULL), S_OK);
  EXPECT_HR(wait_op(sop, NULL), S_OK);
  char *doc;
  EXPECT_HR(wait_op(pop, &doc), S_OK);
  EXPECT(doc && strstr(doc, "\"State\":\"Running\""), "props: %s", doc ? doc : "(null)");
  free(doc);
  HcsCloseComputeSystem(sys);
  /* Close while the Create is in flight: hcsd gets the Close once the token exists */
  EXPECT_HR(control_delay("Create", 300, 1), S_OK);
  HCS_SYSTEM sys2 = NULL;
  free(wid);
  wid = u16(uid(1, "vm-inflight-closed"));
  EXPECT_HR(HcsCreateComputeSystem(wid, wcfg, cop, NULL, &sys2), S_OK);
  HcsCloseComputeSystem(sys2);
  EXPECT_HR(wait_op(cop, NULL), S_OK);
  sleep_ms(200);
  char *ans = NULL;
  EXPECT_HR(control(64, "{\"what\":\"systems\"}", &ans), S_OK);
  EXPECT(ans && !strstr(ans, g_idbuf[1]), "system closed during create still exists: %.300s", ans ? ans : "(null)");
  free(ans);
  /* a failed Create leaves a handle that only Close accepts */
  HCS_SYSTEM sys3 = NULL;
  free(wid);
  wid = u16(uid(2, "vm-failed"));
  EXPECT_HR(HcsCreateComputeSystem(wid, u"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1}}", cop, NULL, &sys3), S_OK);
  EXPECT_HR(call_opts(HcsStartComputeSystem, sys3, sop, NULL), S_OK); /* queued */
  EXPECT_HR(wait_op(cop, &doc), E_INVALIDARG);
  EXPECT(doc && strstr(doc, "ErrorMessage"), "create failure doc %s", doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(wait_op(sop, NULL), HCS_E_SYSTEM_NOT_FOUND);
  EXPECT_HR(call_opts(HcsStartComputeSystem, sys3, sop, NULL), HCS_E_SYSTEM_NOT_FOUND);
  HcsCloseComputeSystem(sys3);
  /* duplicate id */
  HCS_SYSTEM a, b;
  EXPECT_HR(make_vm(uid(3, "vm-dup"), NULL, false, true, &a), S_OK);
  free(wid);
  wid = u16(g_idbuf[3]);
  EXPECT_HR(HcsCreateComputeSystem(wid, wcfg, cop, NULL, &b), S_OK);
  EXPECT_HR(wait_op(cop, NULL), HCS_E_SYSTEM_ALREADY_EXISTS);
  HcsCloseComputeSystem(b);
  HcsCloseComputeSystem(a);
  free(wid);
  free(cfg);
  free(wcfg);
  HcsCloseOperation(cop);
  HcsCloseOperation(sop);
  HcsCloseOperation(pop);
  HcsCloseOperation(cancelled);
  rec_free(&r);
  return NULL;
}

static const char *case_namespace_variants(void) {
  rec r;
  rec_init(&r);
  HCS_CREATE_OPTIONS_1 opts = {HcsCreateOptions_1, NULL, NULL, HcsEventOptionNone, &r, on_event};
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  char16_t *wid = u16(uid(0, "vm-ns"));
  char *cfg = vm_config(NULL, true);
  char16_t *wcfg = u16(cfg);
  HCS_SYSTEM sys = NULL, bad = NULL;
  HCS_CREATE_OPTIONS_1 wrong = opts;
  wrong.Version = 2;
  EXPECT_HR(HcsCreateComputeSystemInNamespace(u"ns", wid, wcfg, op, (const HCS_CREATE_OPTIONS *)&wrong, &bad),
            E_INVALIDARG);
  EXPECT_HR(HcsCreateComputeSystemInNamespace(u"ns", wid, wcfg, op, (const HCS_CREATE_OPTIONS *)&opts, &sys), S_OK);
  EXPECT_HR(HcsSetComputeSystemCallback(sys, 0, &r, on_event), HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  HCS_SYSTEM opened = NULL;
  EXPECT_HR(HcsOpenComputeSystemInNamespace(NULL, wid, GENERIC_ALL, &opened), S_OK);
  EXPECT_HR(HcsOpenComputeSystemInNamespace(u"ns", wid, GENERIC_ALL, NULL), E_POINTER);
  EXPECT_HR(HcsEnumerateComputeSystemsInNamespace(u"", NULL, op), S_OK);
  char *doc;
  EXPECT_HR(wait_op(op, &doc), S_OK);
  EXPECT(doc && strstr(doc, g_idbuf[0]), "enumerate: %s", doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(call_opts(HcsStartComputeSystem, opened, op, NULL), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(call_opts(HcsCrashComputeSystem, opened, op, "{\"Type\":\"CrashGuest\"}"), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT(rec_wait(&r, 3, 5000), "events: %d", r.count); /* pre-registered callback */
  EXPECT(r.types[0] == HcsEventSystemCrashInitiated && r.types[1] == HcsEventSystemCrashReport &&
             r.types[2] == HcsEventSystemExited && strstr(r.data[2], "UnexpectedExit"),
         "events 0x%x 0x%x 0x%x", r.types[0], r.types[1], r.types[2]);
  HcsCloseComputeSystem(opened);
  HcsCloseComputeSystem(sys);
  free(wid);
  free(cfg);
  free(wcfg);
  HcsCloseOperation(op);
  rec_free(&r);
  return NULL;
}

static const char *case_wait_for_exit(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-exit"), NULL, true, true, &sys), S_OK);
  PWSTR w = (PWSTR)1;
  double t0 = now_ms();
  EXPECT_HR(HcsWaitForComputeSystemExit(sys, 100, &w), HCS_E_OPERATION_TIMEOUT);
  EXPECT(now_ms() - t0 >= 95, "returned early");
  EXPECT(w == NULL, "doc on timeout");
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_opts(HcsTerminateComputeSystem, sys, op, NULL), S_OK);
  EXPECT_HR(HcsWaitForComputeSystemExit(sys, INFINITE, &w), S_OK);
  char *doc = take_doc(w);
  EXPECT(doc && strstr(doc, "\"ExitType\":\"ForcedExit\"") && strstr(doc, "\"Status\":0"), "exit %s",
         doc ? doc : "(null)");
  free(doc);
  EXPECT_HR(HcsWaitForComputeSystemExit(sys, 0, NULL), S_OK); /* sticky */
  EXPECT_HR(wait_op(op, NULL), S_OK);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  return NULL;
}

static const char *case_operation_properties_and_resources(void) {
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  PWSTR w = NULL;
  EXPECT_HR(HcsGetOperationProperties(op, NULL, &w), S_OK);
  char *doc = take_doc(w);
  EXPECT(doc && strcmp(doc, "{\"OperationType\":\"None\",\"Status\":\"NotStarted\"}") == 0, "props %s", doc);
  free(doc);
  EXPECT_HR(HcsGetOperationProperties(op, u"{", &w), HCS_E_INVALID_JSON);
  EXPECT_HR(HcsEnumerateComputeSystems(NULL, op), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(HcsGetOperationProperties(op, u"{}", &w), S_OK);
  doc = take_doc(w);
  char want[160];
  snprintf(want, sizeof want, "{\"OperationId\":%llu,\"OperationType\":\"Enumerate\",\"Status\":\"Completed\",\"Result\":0}",
           (unsigned long long)HcsGetOperationId(op));
  EXPECT(doc && strcmp(doc, want) == 0, "props %s", doc);
  free(doc);
  EXPECT_HR(HcsAddResourceToOperation(op, HcsResourceTypeSocket, u"hcs:/VirtualMachine/LiveMigrationSocket",
                                      (HANDLE)(uintptr_t)5),
            S_OK);
  EXPECT_HR(HcsAddResourceToOperation(op, 9, u"x", NULL), E_INVALIDARG);
  EXPECT_HR(HcsAddResourceToOperation((HCS_OPERATION)(uintptr_t)77, HcsResourceTypeFile, u"x", NULL), E_HANDLE);
  HcsCloseOperation(op);
  EXPECT_HR(HcsGetOperationProperties(op, NULL, &w), E_HANDLE);
  return NULL;
}

static const char *case_unimplemented_exports(void) {
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  HCS_PROCESS_INFORMATION pi;
  PWSTR w = (PWSTR)1;
  EXPECT_HR(HcsGetOperationResultAndProcessInfo(op, &pi, &w), E_INVALIDARG);
  EXPECT(w == NULL, "doc");
  EXPECT_HR(HcsWaitForOperationResultAndProcessInfo(op, 10, &pi, &w), E_INVALIDARG);
  EXPECT_HR(HcsGetOperationResultAndProcessInfo((HCS_OPERATION)(uintptr_t)3, &pi, &w), E_HANDLE);
  EXPECT_HR(HcsWaitForOperationResultAndProcessInfo(NULL, 10, &pi, &w), E_HANDLE);
  EXPECT(HcsGetProcessFromOperation(op) == NULL, "process from op");
  PCWSTR pc = (PCWSTR)1;
  EXPECT_HR(HcsGetProcessorCompatibilityFromSavedState(u"/tmp/x.vmrs", &pc), E_NOTIMPL);
  EXPECT(pc == NULL, "compat string");
  HCS_SYSTEM s = NULL;
  HCS_PROCESS p = (HCS_PROCESS)1;
  EXPECT_HR(HcsInitializeLiveMigrationOnSource(s, op, NULL), E_NOTIMPL);
  EXPECT_HR(HcsStartLiveMigrationOnSource(s, op, NULL), E_NOTIMPL);
  EXPECT_HR(HcsStartLiveMigrationTransfer(s, op, NULL), E_NOTIMPL);
  EXPECT_HR(HcsFinalizeLiveMigration(s, op, NULL), E_NOTIMPL);
  EXPECT_HR(HcsCancelLiveMigration(s, op, NULL), E_NOTIMPL);
  EXPECT_HR(HcsCreateProcess(s, u"{}", op, NULL, &p), E_NOTIMPL);
  EXPECT(p == NULL, "process handle");
  EXPECT_HR(HcsOpenProcess(s, 1, GENERIC_ALL, &p), E_NOTIMPL);
  HcsCloseProcess(p);
  EXPECT_HR(HcsTerminateProcess(p, op, NULL), E_NOTIMPL);
  EXPECT_HR(HcsSignalProcess(p, op, NULL), E_NOTIMPL);
  EXPECT_HR(HcsGetProcessInfo(p, op), E_NOTIMPL);
  EXPECT_HR(HcsGetProcessProperties(p, op, NULL), E_NOTIMPL);
  EXPECT_HR(HcsModifyProcess(p, op, u"{}"), E_NOTIMPL);
  EXPECT_HR(HcsSetProcessCallback(p, 0, NULL, on_event), E_NOTIMPL);
  EXPECT_HR(HcsWaitForProcessExit(p, 0, &w), E_NOTIMPL);
  EXPECT_HR(HcsSubmitWerReport(u"{}"), E_NOTIMPL);
  EXPECT_HR(HcsCreateEmptyGuestStateFile(u"/tmp/a.vmgs"), E_NOTIMPL);
  EXPECT_HR(HcsCreateEmptyRuntimeStateFile(u"/tmp/a.vmrs"), E_NOTIMPL);
  EXPECT_HR(HcsGrantVmAccess(u"vm", u"/tmp/f"), E_NOTIMPL);
  EXPECT_HR(HcsRevokeVmAccess(u"vm", u"/tmp/f"), E_NOTIMPL);
  EXPECT_HR(HcsGrantVmGroupAccess(u"/tmp/f"), E_NOTIMPL);
  EXPECT_HR(HcsRevokeVmGroupAccess(u"/tmp/f"), E_NOTIMPL);
  HcsCloseOperation(op);
  return NULL;
}

static const char *case_free_functions(void) {
  PWSTR w = NULL;
  EXPECT_HR(HcsGetServiceProperties(NULL, &w), S_OK);
  EXPECT(w != NULL, "no doc");
  EXPECT(LocalFree(w) == NULL, "LocalFree must return NULL on success");
  EXPECT(LocalFree(NULL) == NULL, "LocalFree(NULL)");
  EXPECT_HR(HcsGetServiceProperties(NULL, &w), S_OK);
  CoTaskMemFree(w);
  CoTaskMemFree(NULL);
  return NULL;
}

static const char *case_burst(void) {
  HCS_SYSTEM sys;
  EXPECT_HR(make_vm(uid(0, "vm-burst"), NULL, true, true, &sys), S_OK);
  enum { N = 200 };
  rec r;
  rec_init(&r);
  HCS_OPERATION ops[N];
  for (int i = 0; i < N; i++) {
    ops[i] = HcsCreateOperation(&r, on_complete);
    EXPECT_HR(i % 2 ? call_getprops(sys, ops[i], NULL) : call_modify(sys, ops[i], MEM_2048), S_OK);
  }
  EXPECT(rec_wait(&r, N, 10000), "%d of %d callbacks", r.count, N);
  for (int i = 0; i < N; i++) {
    EXPECT_HR(HcsGetOperationResult(ops[i], NULL), S_OK);
    HcsCloseOperation(ops[i]);
  }
  HcsCloseComputeSystem(sys);
  rec_free(&r);
  return NULL;
}

static const char *case_kill_hcsd(void) {
  const char *pidstr = getenv("UVMKIT_HCSD_PID");
  const char *sock2 = getenv("UVMKIT_HCSD_SOCKET2");
  EXPECT(pidstr && sock2, "needs UVMKIT_HCSD_PID and UVMKIT_HCSD_SOCKET2");
  HCS_SYSTEM sys, quiet;
  EXPECT_HR(make_vm(uid(0, "vm-killed"), NULL, true, true, &sys), S_OK);
  EXPECT_HR(make_vm(uid(1, "vm-killed-nocb"), NULL, false, true, &quiet), S_OK);
  rec ev;
  rec_init(&ev);
  EXPECT_HR(HcsSetComputeSystemCallback(sys, 0, &ev, on_event), S_OK);
  /* all four calls below are held, so none can be answered before the kill */
  EXPECT_HR(control_delay("GetProperties", 60000, 4), S_OK);
  rec done;
  rec_init(&done);
  HCS_OPERATION ops[4];
  for (int i = 0; i < 3; i++) {
    ops[i] = HcsCreateOperation(&done, on_complete);
    EXPECT_HR(call_getprops(sys, ops[i], NULL), S_OK);
  }
  ops[3] = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_getprops(quiet, ops[3], NULL), S_OK);
  EXPECT_HR(HcsGetOperationResult(ops[0], NULL), HCS_E_OPERATION_PENDING);
  /* a thread blocked in a wait is released too */
  double t0 = now_ms();
  kill((pid_t)atoi(pidstr), SIGKILL);
  for (int i = 0; i < 4; i++) {
    PWSTR w = NULL;
    EXPECT_HR(HcsWaitForOperationResult(ops[i], 5000, &w), HCS_E_SERVICE_DISCONNECT);
    char *doc = take_doc(w);
    EXPECT(doc && strstr(doc, "\"Error\":-2143878882"), "doc %s", doc ? doc : "(null)");
    free(doc);
  }
  EXPECT(now_ms() - t0 < 3000, "disconnect took %.1f ms", now_ms() - t0);
  EXPECT(rec_wait(&done, 3, 3000), "completion callbacks %d", done.count);
  EXPECT(rec_wait(&ev, 1, 3000), "no ServiceDisconnect");
  sleep_ms(100);
  EXPECT(rec_count_type(&ev, HcsEventServiceDisconnect) == 1 && ev.count == 1, "events: %d", ev.count);
  EXPECT(ev.data[0] == NULL, "ServiceDisconnect data");
  /* old handles: synchronous HCS_E_SERVICE_DISCONNECT */
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  EXPECT_HR(call_getprops(sys, op, NULL), HCS_E_SERVICE_DISCONNECT);
  EXPECT_HR(call_opts(HcsTerminateComputeSystem, quiet, op, NULL), HCS_E_SERVICE_DISCONNECT);
  EXPECT_HR(HcsWaitForComputeSystemExit(sys, INFINITE, NULL), HCS_E_SERVICE_DISCONNECT);
  EXPECT_HR(HcsGetOperationResult(op, NULL), HCS_E_OPERATION_NOT_STARTED);
  /* the daemon is gone: new calls fail synchronously with HCS_E_SERVICE_NOT_AVAILABLE */
  HCS_SYSTEM fresh = (HCS_SYSTEM)1;
  char16_t *wid = u16(uid(2, "vm-after"));
  char *cfg = vm_config(NULL, true);
  char16_t *wcfg = u16(cfg);
  EXPECT_HR(HcsCreateComputeSystem(wid, wcfg, op, NULL, &fresh), HCS_E_SERVICE_NOT_AVAILABLE);
  EXPECT(fresh == NULL, "handle");
  EXPECT_HR(HcsOpenComputeSystem(wid, GENERIC_ALL, &fresh), HCS_E_SERVICE_NOT_AVAILABLE);
  EXPECT_HR(HcsEnumerateComputeSystems(NULL, op), HCS_E_SERVICE_NOT_AVAILABLE);
  PWSTR w = NULL;
  EXPECT_HR(HcsGetServiceProperties(NULL, &w), HCS_E_SERVICE_NOT_AVAILABLE);
  /* point at another daemon: the next Create reconnects */
  setenv("UVMKIT_HCSD_SOCKET", sock2, 1);
  EXPECT_HR(HcsCreateComputeSystem(wid, wcfg, op, NULL, &fresh), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(HcsStartComputeSystem(fresh, op, NULL), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(call_getprops(sys, op, NULL), HCS_E_SERVICE_DISCONNECT); /* old handles stay dead */
  HcsCloseComputeSystem(sys);
  HcsCloseComputeSystem(quiet);
  HcsCloseComputeSystem(fresh);
  for (int i = 0; i < 4; i++) HcsCloseOperation(ops[i]);
  HcsCloseOperation(op);
  free(wid);
  free(cfg);
  free(wcfg);
  rec_free(&ev);
  rec_free(&done);
  return NULL;
}

static const char *case_large_document(void) {
  /* an Owner of 60,000 non-BMP characters (120,000 UTF-16 units, 240 KB of UTF-8) round-trips exactly */
  enum { CH = 60000 };
  char *owner = malloc(CH * 4 + 16);
  size_t o = 0;
  for (int i = 0; i < CH; i++) {
    const char *c = i % 3 == 0 ? "𝄞" : i % 3 == 1 ? "😀" : "𐍈";
    memcpy(owner + o, c, 4);
    o += 4;
  }
  owner[o] = 0;
  char *cfg = vm_config(owner, true);
  (void)cfg;
  free(cfg);
  size_t cap = o + 2048;
  char *big = malloc(cap);
  snprintf(big, cap,
           "{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"%s\",\"ShouldTerminateOnLastHandleClosed\":true,"
           "\"VirtualMachine\":{\"Chipset\":{\"Uefi\":{}},"
           "\"ComputeTopology\":{\"Memory\":{\"SizeInMB\":1024},\"Processor\":{\"Count\":2}}}}",
           owner);
  char16_t *wcfg = u16(big);
  char16_t *wid = u16(uid(0, "vm-large"));
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  HCS_SYSTEM sys = NULL;
  EXPECT_HR(HcsCreateComputeSystem(wid, wcfg, op, NULL, &sys), S_OK);
  EXPECT_HR(wait_op(op, NULL), S_OK);
  EXPECT_HR(call_getprops(sys, op, NULL), S_OK);
  PWSTR w = NULL;
  EXPECT_HR(HcsWaitForOperationResult(op, 10000, &w), S_OK);
  /* compare in UTF-16: the Owner value must be the exact code-unit sequence */
  char16_t *want = u16(owner);
  size_t wl = 0;
  while (want[wl]) wl++;
  EXPECT(wl == 2 * CH, "test conversion");
  bool found = false;
  for (size_t i = 0; w && w[i] && !found; i++) {
    if (w[i] != u'"' || w[i + 1] != want[0]) continue;
    size_t k = 0;
    while (k < wl && w[i + 1 + k] == want[k]) k++;
    found = k == wl && w[i + 1 + wl] == u'"';
  }
  EXPECT(found, "Owner did not round-trip");
  LocalFree(w);
  free(want);
  free(owner);
  free(big);
  free(wcfg);
  free(wid);
  HcsCloseOperation(op);
  HcsCloseComputeSystem(sys);
  return NULL;
}

typedef struct race_arg {
  const char *id;
  int rounds;
  int failures;
} race_arg;

static void on_event_noop(HCS_EVENT *ev, void *ctx) {
  (void)ev;
  (void)ctx;
  sleep_ms(1);
}

static void on_complete_noop(HCS_OPERATION op, void *ctx) {
  (void)op;
  (void)ctx;
}

static void *race_thread(void *p) {
  race_arg *a = p;
  char16_t *wid = u16(a->id);
  for (int r = 0; r < a->rounds; r++) {
    HCS_SYSTEM sys;
    if (HcsOpenComputeSystem(wid, GENERIC_ALL, &sys) != S_OK) {
      a->failures++;
      continue;
    }
    HcsSetComputeSystemCallback(sys, r % 2 ? HcsEventOptionEnableOperationCallbacks : 0, NULL, on_event_noop);
    HCS_OPERATION ops[6];
    for (int i = 0; i < 6; i++) {
      ops[i] = r % 2 ? HcsCreateOperation(NULL, NULL) : HcsCreateOperation(NULL, on_complete_noop);
      if (call_getprops(sys, ops[i], NULL) != S_OK) a->failures++;
      if (i % 3 == 0) HcsCloseOperation(ops[i]); /* closed while pending */
    }
    if (r % 3 == 0) HcsWaitForOperationResult(ops[1], 1000, NULL);
    HcsCloseComputeSystem(sys); /* with ops in flight */
    for (int i = 0; i < 6; i++) {
      if (i % 3 == 0) continue;
      HRESULT hr = HcsWaitForOperationResult(ops[i], 5000, NULL);
      if (hr != S_OK && hr != E_HANDLE) a->failures++;
      HcsCloseOperation(ops[i]);
    }
  }
  free(wid);
  return NULL;
}

static const char *case_concurrent_close_race(void) {
  HCS_SYSTEM sys;
  const char *id = uid(0, "vm-race");
  EXPECT_HR(make_vm(id, NULL, true, true, &sys), S_OK);
  enum { T = 4 };
  pthread_t th[T];
  race_arg args[T];
  for (int i = 0; i < T; i++) {
    args[i] = (race_arg){id, 25, 0};
    pthread_create(&th[i], NULL, race_thread, &args[i]);
  }
  for (int i = 0; i < T; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < T; i++) EXPECT(args[i].failures == 0, "thread %d: %d failures", i, args[i].failures);
  char q[512], *ans = NULL;
  snprintf(q, sizeof q, "{\"what\":\"system\",\"id\":\"%s\"}", id);
  EXPECT_HR(control(64, q, &ans), S_OK);
  EXPECT(ans && strstr(ans, "\"handleCount\":1") && strstr(ans, "\"state\":\"Running\""), "after the race: %.300s",
         ans ? ans : "(null)");
  free(ans);
  HcsCloseComputeSystem(sys);
  return NULL;
}

typedef struct tcase {
  const char *name;
  const char *(*fn)(void);
  bool default_on;
} tcase;

static const tcase CASES[] = {
    {"internal_units", case_internal_units, true},
    {"not_started", case_not_started, true},
    {"operation_context", case_operation_context, true},
    {"unicode_lifecycle", case_unicode_lifecycle, true},
    {"callback_thread", case_callback_thread, true},
    {"wait_timeout_and_poll", case_wait_timeout_and_poll, true},
    {"already_started_and_reuse", case_already_started_and_reuse, true},
    {"cancel", case_cancel, true},
    {"close_op_pending", case_close_op_pending, true},
    {"close_system_ops_pending", case_close_system_ops_pending, true},
    {"close_system_in_callback", case_close_system_in_callback, true},
    {"close_system_while_callback_running", case_close_system_while_callback_running, true},
    {"operation_callback_option", case_operation_callback_option, true},
    {"operation_with_notifications", case_operation_with_notifications, true},
    {"bad_input", case_bad_input, true},
    {"enumerate_and_service", case_enumerate_and_service, true},
    {"two_processes", case_two_processes, true},
    {"client_exit_mid_operation", case_client_exit_mid_operation, true},
    {"create_in_flight", case_create_in_flight, true},
    {"namespace_variants", case_namespace_variants, true},
    {"wait_for_exit", case_wait_for_exit, true},
    {"operation_properties_and_resources", case_operation_properties_and_resources, true},
    {"unimplemented_exports", case_unimplemented_exports, true},
    {"free_functions", case_free_functions, true},
    {"burst", case_burst, true},
    {"large_document", case_large_document, true},
    {"concurrent_close_race", case_concurrent_close_race, true},
    {"kill_hcsd", case_kill_hcsd, false},
};

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "not ok watchdog: the test program hung\n";
  if (write(1, msg, sizeof msg - 1) < 0) _exit(3);
  _exit(3);
}

static bool listed(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *e = strchr(p, ',');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == n && strncmp(p, name, n) == 0) return true;
    p = e ? e + 1 : NULL;
  }
  return false;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  g_self = "/proc/self/exe";
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    g_self = self;
  }
  if (argc == 3 && strcmp(argv[1], "--child-open") == 0) return child_open(argv[2]);
  if (argc == 3 && strcmp(argv[1], "--child-submit-exit") == 0) return child_submit_exit(argv[2]);
  const char *only = argc == 3 && strcmp(argv[1], "--only") == 0 ? argv[2] : NULL;
  signal(SIGALRM, on_alarm);
  alarm(170);
  int failed = 0, passed = 0;
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
    if (only ? !listed(only, CASES[i].name) : !CASES[i].default_on) continue;
    const char *why = CASES[i].fn();
    control_clear();
    if (why) {
      printf("not ok %s: %s\n", CASES[i].name, why);
      failed++;
    } else {
      printf("ok %s\n", CASES[i].name);
      passed++;
    }
  }
  printf("done %d passed %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
