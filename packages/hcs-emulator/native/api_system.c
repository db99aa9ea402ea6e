/* api_system.c — §1b compute-system exports. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define H(x) ((uintptr_t)(x))

/* The HRESULT for a call on a system handle that cannot reach hcsd (g_mu held). */
static HRESULT system_unusable(const sys_t *s) {
  if (s->bind == BIND_DISCONNECTED || (s->conn != NULL && s->conn->dead)) return HCS_E_SERVICE_DISCONNECT;
  if (s->bind == BIND_FAILED) return HCS_E_SYSTEM_NOT_FOUND;
  return S_OK;
}

/* Completion-routing rule of HcsEventOptionEnableOperationCallbacks (g_mu held). */
static HRESULT routing(const sys_t *s, op_t *op) {
  bool routed = s->callback_set && (s->callback_options & HcsEventOptionEnableOperationCallbacks);
  if (routed && (op->callback != NULL || op->event_callback != NULL)) return HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET;
  op->route_to_system = routed;
  return S_OK;
}

/* Shared body of every asynchronous call on a system handle. */
static HRESULT system_call(HCS_SYSTEM system, HCS_OPERATION operation, uint8_t method, HCS_OPERATION_TYPE type,
                           PCWSTR arg, int arg_kind) {
  shim_init();
  if (arg == NULL && (arg_kind == ARG_JSON || arg_kind == ARG_STRING)) return E_POINTER;
  pthread_mutex_lock(&g_mu);
  bool ok = handle_lookup(H(system), HK_SYS) && handle_lookup(H(operation), HK_OP);
  pthread_mutex_unlock(&g_mu);
  if (!ok) return E_HANDLE;
  u8str a;
  HRESULT hr = arg_convert(arg, arg_kind, &a);
  if (hr != S_OK) return hr;
  pthread_mutex_lock(&g_mu);
  sys_t *s = handle_lookup(H(system), HK_SYS);
  op_t *op = handle_lookup(H(operation), HK_OP);
  if (s == NULL || op == NULL) {
    hr = E_HANDLE;
  } else if (op->state == OP_PENDING) {
    hr = HCS_E_OPERATION_ALREADY_STARTED;
  } else if ((hr = system_unusable(s)) == S_OK && (hr = routing(s, op)) == S_OK) {
    op_begin(op, type, s);
    op->route_to_system = s->callback_set && (s->callback_options & HcsEventOptionEnableOperationCallbacks);
    conn_ref(s->conn);
    rpc_submit_op(op, s->conn, s, method, s->token, &a, 1, NULL);
  }
  pthread_mutex_unlock(&g_mu);
  free(a.data);
  return hr;
}

#define LIFECYCLE(name, method, type)                                                  \
  HRESULT name(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {    \
    return system_call(computeSystem, operation, method, type, options, ARG_JSON_OPTIONAL); \
  }

LIFECYCLE(HcsStartComputeSystem, M_START, HcsOperationTypeStart)
LIFECYCLE(HcsShutDownComputeSystem, M_SHUTDOWN, HcsOperationTypeShutdown)
LIFECYCLE(HcsTerminateComputeSystem, M_TERMINATE, HcsOperationTypeTerminate)
LIFECYCLE(HcsCrashComputeSystem, M_CRASH, HcsOperationTypeCrash)
LIFECYCLE(HcsPauseComputeSystem, M_PAUSE, HcsOperationTypePause)
LIFECYCLE(HcsResumeComputeSystem, M_RESUME, HcsOperationTypeResume)
LIFECYCLE(HcsSaveComputeSystem, M_SAVE, HcsOperationTypeSave)

HRESULT HcsGetComputeSystemProperties(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR propertyQuery) {
  return system_call(computeSystem, operation, M_GETPROPS, HcsOperationTypeGetProperties, propertyQuery,
                     ARG_JSON_OPTIONAL);
}

HRESULT HcsModifyComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR configuration,
                               HANDLE identity) {
  (void)identity; /* an access token; ignored */
  return system_call(computeSystem, operation, M_MODIFY, HcsOperationTypeModify, configuration, ARG_JSON);
}

HRESULT HcsEnumerateComputeSystems(PCWSTR query, HCS_OPERATION operation) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  bool ok = handle_lookup(H(operation), HK_OP) != NULL;
  pthread_mutex_unlock(&g_mu);
  if (!ok) return E_HANDLE;
  u8str a;
  HRESULT hr = arg_convert(query, ARG_JSON_OPTIONAL, &a);
  if (hr != S_OK) return hr;
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  conn_t *c = NULL;
  if (op == NULL) {
    hr = E_HANDLE;
  } else if (op->state == OP_PENDING) {
    hr = HCS_E_OPERATION_ALREADY_STARTED;
  } else if ((c = rpc_connection(&hr)) != NULL) {
    op_begin(op, HcsOperationTypeEnumerate, NULL);
    rpc_submit_op(op, c, NULL, M_ENUMERATE, 0, &a, 1, NULL);
  }
  pthread_mutex_unlock(&g_mu);
  free(a.data);
  return hr;
}

HRESULT HcsEnumerateComputeSystemsInNamespace(PCWSTR idNamespace, PCWSTR query, HCS_OPERATION operation) {
  if (idNamespace != NULL) {
    u8str ns;
    HRESULT hr = arg_convert(idNamespace, ARG_STRING, &ns);
    if (hr != S_OK) return hr;
    free(ns.data); /* hcsd has a single namespace */
  }
  return HcsEnumerateComputeSystems(query, operation);
}

static HRESULT create_system(PCWSTR id, PCWSTR configuration, HCS_OPERATION operation,
                             const HCS_CREATE_OPTIONS_1 *options, HCS_SYSTEM *computeSystem) {
  shim_init();
  if (id == NULL || configuration == NULL || computeSystem == NULL) return E_POINTER;
  *computeSystem = NULL;
  if (options != NULL && options->Version != HcsCreateOptions_1) return E_INVALIDARG;
  pthread_mutex_lock(&g_mu);
  bool ok = handle_lookup(H(operation), HK_OP) != NULL;
  pthread_mutex_unlock(&g_mu);
  if (!ok) return E_HANDLE;
  u8str a[2];
  HRESULT hr = arg_convert(id, ARG_STRING, &a[0]);
  if (hr != S_OK) return hr;
  hr = arg_convert(configuration, ARG_JSON, &a[1]);
  if (hr != S_OK) {
    free(a[0].data);
    return hr;
  }
  pthread_mutex_lock(&g_mu);
  op_t *op = handle_lookup(H(operation), HK_OP);
  conn_t *c = NULL;
  sys_t *s = NULL;
  if (op == NULL) {
    hr = E_HANDLE;
  } else if (op->state == OP_PENDING) {
    hr = HCS_E_OPERATION_ALREADY_STARTED;
  } else if (options != NULL && options->Callback != NULL &&
             (options->CallbackOptions & HcsEventOptionEnableOperationCallbacks) &&
             (op->callback != NULL || op->event_callback != NULL)) {
    hr = HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET;
  } else if ((c = rpc_connection(&hr)) != NULL) {
    s = sys_new();
    uintptr_t h = s ? handle_alloc(HK_SYS, s) : 0;
    if (h == 0) {
      if (s) sys_unref(s);
      conn_unref(c);
      hr = E_OUTOFMEMORY;
    } else {
      s->handle = h;
      s->bind = BIND_CREATING;
      s->conn = c;
      conn_ref(c);
      if (options != NULL && options->Callback != NULL) {
        s->callback = options->Callback;
        s->callback_context = options->CallbackContext;
        s->callback_options = options->CallbackOptions;
        s->callback_set = true;
      }
      *computeSystem = (HCS_SYSTEM)h;
      op_begin(op, HcsOperationTypeCreate, s);
      routing(s, op);
      rpc_submit_op(op, c, NULL, M_CREATE, 0, a, 2, s);
    }
  }
  pthread_mutex_unlock(&g_mu);
  args_free(a, 2);
  return hr;
}

HRESULT HcsCreateComputeSystem(PCWSTR id, PCWSTR configuration, HCS_OPERATION operation,
                               const void *securityDescriptor, HCS_SYSTEM *computeSystem) {
  if (securityDescriptor != NULL) return E_INVALIDARG; /* reserved, must be NULL */
  return create_system(id, configuration, operation, NULL, computeSystem);
}

HRESULT HcsCreateComputeSystemInNamespace(PCWSTR idNamespace, PCWSTR id, PCWSTR configuration,
                                          HCS_OPERATION operation, const HCS_CREATE_OPTIONS *options,
                                          HCS_SYSTEM *computeSystem) {
  if (idNamespace != NULL) {
    u8str ns;
    HRESULT hr = arg_convert(idNamespace, ARG_STRING, &ns);
    if (hr != S_OK) return hr;
    free(ns.data);
  }
  return create_system(id, configuration, operation, (const HCS_CREATE_OPTIONS_1 *)options, computeSystem);
}

HRESULT HcsOpenComputeSystem(PCWSTR id, DWORD requestedAccess, HCS_SYSTEM *computeSystem) {
  shim_init();
  if (id == NULL || computeSystem == NULL) return E_POINTER;
  *computeSystem = NULL;
  if (requestedAccess != GENERIC_ALL) return E_INVALIDARG;
  u8str a;
  HRESULT hr = arg_convert(id, ARG_STRING, &a);
  if (hr != S_OK) return hr;
  pthread_mutex_lock(&g_mu);
  conn_t *c = rpc_connection(&hr);
  sys_t *s = c ? sys_new() : NULL;
  if (c != NULL && s == NULL) {
    conn_unref(c);
    hr = E_OUTOFMEMORY;
  } else if (c != NULL) {
    s->bind = BIND_CREATING; /* bound (or failed) by the reader thread when the answer arrives */
    s->conn = c;             /* takes the reference */
    sync_call sc;
    hr = rpc_call_sync(c, M_OPEN, 0, &a, 1, &sc, s);
    free(sc.doc);
    if (hr >= 0 && s->bind != BIND_BOUND) hr = s->bind == BIND_DISCONNECTED ? HCS_E_SERVICE_DISCONNECT : E_FAIL;
    uintptr_t h = hr >= 0 ? handle_alloc(HK_SYS, s) : 0;
    if (hr >= 0 && h == 0) {
      rpc_close_token(c, s->token, false);
      hr = E_OUTOFMEMORY;
    }
    if (h != 0) {
      s->handle = h;
      *computeSystem = (HCS_SYSTEM)h;
      hr = S_OK;
    } else {
      sys_unref(s); /* unlinks it */
    }
  }
  pthread_mutex_unlock(&g_mu);
  free(a.data);
  return hr;
}

HRESULT HcsOpenComputeSystemInNamespace(PCWSTR idNamespace, PCWSTR id, DWORD requestedAccess,
                                        HCS_SYSTEM *computeSystem) {
  if (idNamespace != NULL) {
    u8str ns;
    HRESULT hr = arg_convert(idNamespace, ARG_STRING, &ns);
    if (hr != S_OK) return hr;
    free(ns.data);
  }
  return HcsOpenComputeSystem(id, requestedAccess, computeSystem);
}

void HcsCloseComputeSystem(HCS_SYSTEM computeSystem) {
  shim_init();
  pthread_mutex_lock(&g_mu);
  sys_t *s = handle_lookup(H(computeSystem), HK_SYS);
  if (s == NULL) {
    pthread_mutex_unlock(&g_mu);
    return;
  }
  handle_free(s->handle);
  s->handle = 0;
  s->callback_set = false;
  s->callback = NULL;
  pthread_cond_broadcast(&g_cv); /* wakes HcsWaitForComputeSystemExit */
  /* Wait for a callback running on this handle, unless we are that callback's thread. */
  if (!dispatch_on_own_thread()) {
    while (s->callbacks_running > 0) cond_wait_ms(INFINITE, NULL);
  }
  if (s->bind == BIND_CREATING || s->flushing) {
    s->close_when_bound = true; /* sent once the Create answered and the queued calls went out */
  } else if (s->bind == BIND_BOUND) {
    rpc_close_token(s->conn, s->token, true);
  }
  sys_unlink(s);
  sys_unref(s);
  pthread_mutex_unlock(&g_mu);
}

HRESULT HcsWaitForComputeSystemExit(HCS_SYSTEM computeSystem, DWORD timeoutMs, PWSTR *result) {
  shim_init();
  if (result) *result = NULL;
  pthread_mutex_lock(&g_mu);
  sys_t *s = handle_lookup(H(computeSystem), HK_SYS);
  if (s == NULL) {
    pthread_mutex_unlock(&g_mu);
    return E_HANDLE;
  }
  sys_ref(s);
  struct timespec dl;
  if (timeoutMs != INFINITE) deadline_after(&dl, timeoutMs);
  HRESULT hr;
  for (;;) {
    if (s->exited) {
      hr = out_doc(result, s->exit_doc, s->exit_doc_len);
      break;
    }
    if (s->handle == 0) {
      hr = E_HANDLE;
      break;
    }
    if ((hr = system_unusable(s)) != S_OK) break;
    if (timeoutMs == 0 || (timeoutMs != INFINITE && deadline_passed(&dl))) {
      hr = HCS_E_OPERATION_TIMEOUT;
      break;
    }
    cond_wait_ms(timeoutMs, timeoutMs == INFINITE ? NULL : &dl);
  }
  sys_unref(s);
  pthread_mutex_unlock(&g_mu);
  return hr;
}

HRESULT HcsSetComputeSystemCallback(HCS_SYSTEM computeSystem, HCS_EVENT_OPTIONS callbackOptions, const void *context,
                                    HCS_EVENT_CALLBACK callback) {
  shim_init();
  if ((callbackOptions & ~(HcsEventOptionEnableOperationCallbacks | HcsEventOptionEnableVmLifecycle |
                           HcsEventOptionEnableLiveMigrationEvents)) != 0)
    return E_INVALIDARG;
  pthread_mutex_lock(&g_mu);
  sys_t *s = handle_lookup(H(computeSystem), HK_SYS);
  HRESULT hr = S_OK;
  if (s == NULL) {
    hr = E_HANDLE;
  } else if (callback == NULL) {
    s->callback_set = false; /* unregisters (no waiting: HcsCloseComputeSystem drains) */
    s->callback = NULL;
  } else if (s->callback_set) {
    hr = HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET;
  } else {
    s->callback = callback;
    s->callback_context = (void *)context;
    s->callback_options = callbackOptions;
    s->callback_set = true;
  }
  pthread_mutex_unlock(&g_mu);
  return hr;
}
