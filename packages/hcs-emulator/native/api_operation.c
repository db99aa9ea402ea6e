/* api_operation.c — §1a operation management exports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define H(op) ((uintptr_t)(op))

static HCS_OPERATION new_operation(void) {
  op_t *op = op_new();
  if (op == NULL) return NULL;
  pthread_mutex_lock(&g_mu);
  uintptr_t h = handle_alloc(HK_OP, op);
  if (h == 0) {
    pthread_mutex_unlock(&g_mu);
    free(op);
    return NULL;
  }
  op->handle = h;
  pthread_mutex_unlock(&g_mu);
  return (HCS_OPERATION)h;
}

HCS_OPERATION HcsCreateOperation(const void *context, HCS_OPERATION_COMPLETION callback) {
  shim_init();
  HCS_OPERATION h = new_operation();
  if (h == NULL) return NULL;
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(h), HK_OP);
  op->context = (void *)context;
  op->callback = callback;
  pthread_mutex_unlock(&g_mu);
  return h;
}

HCS_OPERATION HcsCreateOperationWithNotifications(HCS_OPERATION_OPTIONS eventTypes, const void *context,
                                                  HCS_EVENT_CALLBACK callback) {
  shim_init();
  if (eventTypes > 0x3u) return NULL; /* None, ProgressUpdate, Reserved1 */
  HCS_OPERATION h = new_operation();
  if (h == NULL) return NULL;
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(h), HK_OP);
  op->context = (void *)context;
  op->event_context = (void *)context;
  op->event_callback = callback;
  pthread_mutex_unlock(&g_mu);
  return h;
}

void HcsCloseOperation(HCS_OPERATION operation) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  if (op != NULL) {
    handle_free(op->handle);
    op->handle = 0;
    op_unref(op); /* a pending request or a running callback keeps it alive */
  }
  pthread_mutex_unlock(&g_mu);
}

void *HcsGetOperationContext(HCS_OPERATION operation) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  void *ctx = op ? op->context : NULL;
  pthread_mutex_unlock(&g_mu);
  return ctx;
}

HRESULT HcsSetOperationContext(HCS_OPERATION operation, const void *context) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  if (op) {
    op->context = (void *)context;
    if (op->event_callback) op->event_context = (void *)context;
  }
  pthread_mutex_unlock(&g_mu);
  return op ? S_OK : E_HANDLE;
}

HCS_SYSTEM HcsGetComputeSystemFromOperation(HCS_OPERATION operation) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  uintptr_t sh = 0;
  if (op && op->system_handle && handle_lookup(op->system_handle, HK_SYS)) sh = op->system_handle;
  pthread_mutex_unlock(&g_mu);
  return (HCS_SYSTEM)sh;
}

HCS_PROCESS HcsGetProcessFromOperation(HCS_OPERATION operation) {
  (void)operation; /* no process operations exist in the emulator */
  return NULL;
}

HCS_OPERATION_TYPE HcsGetOperationType(HCS_OPERATION operation) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  HCS_OPERATION_TYPE t = op ? op->type : HcsOperationTypeNone;
  pthread_mutex_unlock(&g_mu);
  return t;
}

UINT64 HcsGetOperationId(HCS_OPERATION operation) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  UINT64 id = op && op->state != OP_NOT_STARTED ? op->id : HCS_INVALID_OPERATION_ID;
  pthread_mutex_unlock(&g_mu);
  return id;
}

/* Wait (timeout_ms, 0 = poll) and hand out the result. g_mu NOT held. */
static HRESULT get_result(HCS_OPERATION operation, uint32_t timeout_ms, bool poll, PWSTR *doc) {
  shim_init();
  if (doc) *doc = NULL;
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  if (op == NULL) {
    pthread_mutex_unlock(&g_mu);
    return E_HANDLE;
  }
  if (op->state == OP_NOT_STARTED) {
    pthread_mutex_unlock(&g_mu);
    return HCS_E_OPERATION_NOT_STARTED;
  }
  op_ref(op);
  if (!poll && op->state == OP_PENDING && timeout_ms != 0) {
    struct timespec dl;
    if (timeout_ms != INFINITE) deadline_after(&dl, timeout_ms);
    while (op->state == OP_PENDING) {
      if (timeout_ms != INFINITE && deadline_passed(&dl)) break;
      cond_wait_ms(timeout_ms, timeout_ms == INFINITE ? NULL : &dl);
    }
  }
  HRESULT hr;
  if (op->state == OP_PENDING) {
    hr = poll ? HCS_E_OPERATION_PENDING : HCS_E_OPERATION_TIMEOUT;
  } else {
    hr = op->result;
    HRESULT ohr = out_doc(doc, op->doc, op->doc_len);
    if (ohr != S_OK) hr = ohr;
  }
  op_unref(op);
  pthread_mutex_unlock(&g_mu);
  return hr;
}

HRESULT HcsGetOperationResult(HCS_OPERATION operation, PWSTR *resultDocument) {
  return get_result(operation, 0, true, resultDocument);
}

HRESULT HcsWaitForOperationResult(HCS_OPERATION operation, DWORD timeoutMs, PWSTR *resultDocument) {
  return get_result(operation, timeoutMs, false, resultDocument);
}

/* The emulator has no process operations, so a valid handle is never of a process type. */
static HRESULT process_info_check(HCS_OPERATION operation, PWSTR *resultDocument) {
  shim_init();
  if (resultDocument) *resultDocument = NULL;
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  HRESULT hr = op == NULL ? E_HANDLE : E_INVALIDARG;
  pthread_mutex_unlock(&g_mu);
  return hr;
}

HRESULT HcsGetOperationResultAndProcessInfo(HCS_OPERATION operation, HCS_PROCESS_INFORMATION *processInformation,
                                            PWSTR *resultDocument) {
  (void)processInformation;
  return process_info_check(operation, resultDocument);
}

HRESULT HcsWaitForOperationResultAndProcessInfo(HCS_OPERATION operation, DWORD timeoutMs,
                                                HCS_PROCESS_INFORMATION *processInformation, PWSTR *resultDocument) {
  (void)timeoutMs;
  (void)processInformation;
  return process_info_check(operation, resultDocument);
}

HRESULT HcsSetOperationCallback(HCS_OPERATION operation, const void *context, HCS_OPERATION_COMPLETION callback) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  HRESULT hr = S_OK;
  if (op == NULL) {
    hr = E_HANDLE;
  } else if (op->state == OP_PENDING) {
    hr = HCS_E_OPERATION_ALREADY_STARTED;
  } else {
    op->context = (void *)context;
    op->callback = callback;
    op->event_callback = NULL;
  }
  pthread_mutex_unlock(&g_mu);
  return hr;
}

HRESULT HcsCancelOperation(HCS_OPERATION operation) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  HRESULT hr = S_OK;
  if (op == NULL) {
    hr = E_HANDLE;
  } else if (op->state == OP_NOT_STARTED) {
    hr = HCS_E_OPERATION_NOT_STARTED;
  } else if (op->state == OP_DONE) {
    hr = E_INVALIDARG; /* nothing to cancel */
  } else if (op->system != NULL && op->system->bind == BIND_CREATING && op->conn != NULL &&
             op->request_id != 0 && op->type != HcsOperationTypeCreate) {
    /* still queued behind its system's Create: never sent, complete it here */
    pending *p = pending_take(op->conn, op->request_id);
    if (p) {
      size_t n;
      char *d = result_error_doc(HRESULT_ERROR_CANCELLED, "the operation was cancelled", &n);
      op_complete(op, HRESULT_ERROR_CANCELLED, d, n);
      op_unref(p->op);
      conn_unref(p->conn);
      free(p);
    }
  } else if (op->conn != NULL && op->request_id != 0) {
    conn_t *c = op->conn;
    conn_ref(c);
    rpc_cancel(c, op->request_id);
    conn_unref(c);
  }
  pthread_mutex_unlock(&g_mu);
  return hr;
}

static const char *type_name(HCS_OPERATION_TYPE t) {
  static const char *names[] = {"Enumerate", "Create",     "Start",  "Shutdown", "Pause",
                                "Resume",    "Save",       "Terminate", "Modify", "GetProperties",
                                "CreateProcess", "SignalProcess", "GetProcessInfo", "GetProcessProperties",
                                "ModifyProcess", "Crash"};
  if (t >= 0 && t < (HCS_OPERATION_TYPE)(sizeof names / sizeof names[0])) return names[t];
  return "None";
}

HRESULT HcsGetOperationProperties(HCS_OPERATION operation, PCWSTR options, PWSTR *resultDocument) {
  shim_init();
  if (resultDocument == NULL) return E_POINTER;
  *resultDocument = NULL;
  u8str opt;
  HRESULT hr = arg_convert(options, ARG_JSON_OPTIONAL, &opt);
  if (hr != S_OK) return hr;
  free(opt.data);
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  if (op == NULL) {
    pthread_mutex_unlock(&g_mu);
    return E_HANDLE;
  }
  static const char *states[] = {"NotStarted", "Pending", "Completed"};
  char buf[256];
  int n;
  if (op->state == OP_NOT_STARTED) {
    n = snprintf(buf, sizeof buf, "{\"OperationType\":\"None\",\"Status\":\"NotStarted\"}");
  } else {
    n = snprintf(buf, sizeof buf, "{\"OperationId\":%llu,\"OperationType\":\"%s\",\"Status\":\"%s\",\"Result\":%d}",
                 (unsigned long long)op->id, type_name(op->type), states[op->state],
                 op->state == OP_DONE ? (int)op->result : 0);
  }
  pthread_mutex_unlock(&g_mu);
  return out_doc(resultDocument, buf, (size_t)n);
}

HRESULT HcsAddResourceToOperation(HCS_OPERATION operation, HCS_RESOURCE_TYPE type, PCWSTR uri, HANDLE handle) {
  shim_init();
  (void)handle; /* accepted and ignored: hcsd has no use for host resources */
  if (uri == NULL) return E_POINTER;
  if (type > HcsResourceTypeSocket) return E_INVALIDARG;
  u8str u;
  HRESULT hr = arg_convert(uri, ARG_STRING, &u);
  if (hr != S_OK) return hr;
  free(u.data);
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  pthread_mutex_unlock(&g_mu);
  return op ? S_OK : E_HANDLE;
}

HRESULT HcsGetProcessorCompatibilityFromSavedState(PCWSTR runtimeFileName, PCWSTR *processorFeaturesString) {
  (void)runtimeFileName;
  if (processorFeaturesString) *processorFeaturesString = NULL;
  return E_NOTIMPL; /* the emulator writes no saved-state files */
}
