/* api_misc.c — §1c live migration, §1d processes, §1e service/host utilities, free functions. */
#include <stdlib.h>

#include "internal.h"

/* ---- 1c. live migration: not emulated ---- */
#define NOTIMPL_SYSTEM_CALL(name)                                                   \
  HRESULT name(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) { \
    (void)computeSystem;                                                            \
    (void)operation;                                                                \
    (void)options;                                                                  \
    return E_NOTIMPL;                                                               \
  }

NOTIMPL_SYSTEM_CALL(HcsInitializeLiveMigrationOnSource)
NOTIMPL_SYSTEM_CALL(HcsStartLiveMigrationOnSource)
NOTIMPL_SYSTEM_CALL(HcsStartLiveMigrationTransfer)
NOTIMPL_SYSTEM_CALL(HcsFinalizeLiveMigration)
NOTIMPL_SYSTEM_CALL(HcsCancelLiveMigration)

/* ---- 1d. processes: not emulated ---- */
HRESULT HcsCreateProcess(HCS_SYSTEM computeSystem, PCWSTR processParameters, HCS_OPERATION operation,
                         const void *securityDescriptor, HCS_PROCESS *process) {
  (void)computeSystem;
  (void)processParameters;
  (void)operation;
  (void)securityDescriptor;
  if (process) *process = NULL;
  return E_NOTIMPL;
}

HRESULT HcsOpenProcess(HCS_SYSTEM computeSystem, DWORD processId, DWORD requestedAccess, HCS_PROCESS *process) {
  (void)computeSystem;
  (void)processId;
  (void)requestedAccess;
  if (process) *process = NULL;
  return E_NOTIMPL;
}

void HcsCloseProcess(HCS_PROCESS process) {
  (void)process; /* no process handle can exist */
}

#define NOTIMPL_PROCESS_CALL(name)                                             \
  HRESULT name(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR options) { \
    (void)process;                                                             \
    (void)operation;                                                           \
    (void)options;                                                             \
    return E_NOTIMPL;                                                          \
  }

NOTIMPL_PROCESS_CALL(HcsTerminateProcess)
NOTIMPL_PROCESS_CALL(HcsSignalProcess)
NOTIMPL_PROCESS_CALL(HcsGetProcessProperties)
NOTIMPL_PROCESS_CALL(HcsModifyProcess)

HRESULT HcsGetProcessInfo(HCS_PROCESS process, HCS_OPERATION operation) {
  (void)process;
  (void)operation;
  return E_NOTIMPL;
}

HRESULT HcsSetProcessCallback(HCS_PROCESS process, HCS_EVENT_OPTIONS callbackOptions, void *context,
                              HCS_EVENT_CALLBACK callback) {
  (void)process;
  (void)callbackOptions;
  (void)context;
  (void)callback;
  return E_NOTIMPL;
}

HRESULT HcsWaitForProcessExit(HCS_PROCESS computeSystem, DWORD timeoutMs, PWSTR *result) {
  (void)computeSystem;
  (void)timeoutMs;
  if (result) *result = NULL;
  return E_NOTIMPL;
}

/* ---- 1e. service: synchronous round trips to hcsd ---- */
static HRESULT service_call(uint8_t method, PCWSTR arg, int kind, PWSTR *result) {
  shim_init();
  if (result) *result = NULL;
  u8str a;
  HRESULT hr = arg_convert(arg, kind, &a);
  if (hr != S_OK) return hr;
  pthread_mutex_lock(&g_mu);
  conn_t *c = rpc_connection(&hr);
  if (c != NULL) {
    sync_call sc;
    hr = rpc_call_sync(c, method, 0, &a, 1, &sc, NULL);
    HRESULT ohr = out_doc(result, sc.doc, sc.doc_len);
    if (hr >= 0 && ohr != S_OK) hr = ohr;
    free(sc.doc);
    conn_unref(c);
  }
  pthread_mutex_unlock(&g_mu);
  free(a.data);
  return hr;
}

HRESULT HcsGetServiceProperties(PCWSTR propertyQuery, PWSTR *result) {
  if (result == NULL) return E_POINTER;
  return service_call(M_GETSVCPROPS, propertyQuery, ARG_JSON_OPTIONAL, result);
}

HRESULT HcsModifyServiceSettings(PCWSTR settings, PWSTR *result) {
  if (settings == NULL) return E_POINTER;
  return service_call(M_MODIFYSVC, settings, ARG_JSON, result);
}

/* ---- 1e. host utilities: not emulated ---- */
HRESULT HcsSubmitWerReport(PCWSTR settings) {
  (void)settings;
  return E_NOTIMPL;
}
HRESULT HcsCreateEmptyGuestStateFile(PCWSTR guestStateFilePath) {
  (void)guestStateFilePath;
  return E_NOTIMPL;
}
HRESULT HcsCreateEmptyRuntimeStateFile(PCWSTR runtimeStateFilePath) {
  (void)runtimeStateFilePath;
  return E_NOTIMPL;
}
HRESULT HcsGrantVmAccess(PCWSTR vmId, PCWSTR filePath) {
  (void)vmId;
  (void)filePath;
  return E_NOTIMPL;
}
HRESULT HcsRevokeVmAccess(PCWSTR vmId, PCWSTR filePath) {
  (void)vmId;
  (void)filePath;
  return E_NOTIMPL;
}
HRESULT HcsGrantVmGroupAccess(PCWSTR filePath) {
  (void)filePath;
  return E_NOTIMPL;
}
HRESULT HcsRevokeVmGroupAccess(PCWSTR filePath) {
  (void)filePath;
  return E_NOTIMPL;
}

/* ---- free functions ----
 * Off Windows every string the shim returns is malloc'd and freed here. On Windows they come
 * from LocalAlloc and callers free them with kernel32's LocalFree, as with the real DLL. */
#ifndef _WIN32
void *LocalFree(void *memory) {
  free(memory);
  return NULL;
}

void CoTaskMemFree(void *memory) {
  free(memory);
}
#endif
