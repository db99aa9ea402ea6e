/*
 * computecore.h — the computecore.dll ABI as exported by libcomputecore.so (the uvmkit HCS
 * emulator shim). Types and values follow the Windows SDK's ComputeDefs.h / ComputeCore.h.
 */
#ifndef UVMKIT_COMPUTECORE_H
#define UVMKIT_COMPUTECORE_H

#include <stdint.h>
#include <uchar.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t HRESULT;
typedef uint32_t DWORD;
typedef uint64_t UINT64;
typedef char16_t WCHAR;
typedef const char16_t *PCWSTR;
typedef char16_t *PWSTR;
typedef void *HANDLE;

typedef struct HCS_OPERATION__ *HCS_OPERATION;
typedef struct HCS_SYSTEM__ *HCS_SYSTEM;
typedef struct HCS_PROCESS__ *HCS_PROCESS;

typedef int32_t HCS_OPERATION_TYPE;
enum {
  HcsOperationTypeNone = -1,
  HcsOperationTypeEnumerate = 0,
  HcsOperationTypeCreate = 1,
  HcsOperationTypeStart = 2,
  HcsOperationTypeShutdown = 3,
  HcsOperationTypePause = 4,
  HcsOperationTypeResume = 5,
  HcsOperationTypeSave = 6,
  HcsOperationTypeTerminate = 7,
  HcsOperationTypeModify = 8,
  HcsOperationTypeGetProperties = 9,
  HcsOperationTypeCreateProcess = 10,
  HcsOperationTypeSignalProcess = 11,
  HcsOperationTypeGetProcessInfo = 12,
  HcsOperationTypeGetProcessProperties = 13,
  HcsOperationTypeModifyProcess = 14,
  HcsOperationTypeCrash = 15,
  HcsOperationTypeLiveMigration = 19,
};

typedef uint32_t HCS_EVENT_TYPE;
#define HcsEventInvalid 0x00000000u
#define HcsEventSystemExited 0x00000001u
#define HcsEventSystemCrashInitiated 0x00000002u
#define HcsEventSystemCrashReport 0x00000003u
#define HcsEventSystemRdpEnhancedModeStateChanged 0x00000004u
#define HcsEventSystemSiloJobCreated 0x00000005u
#define HcsEventSystemGuestConnectionClosed 0x00000006u
#define HcsEventProcessExited 0x00010000u
#define HcsEventOperationCallback 0x01000000u
#define HcsEventServiceDisconnect 0x02000000u
#define HcsEventGroupVmLifecycle 0x80000002u
#define HcsEventGroupLiveMigration 0x80000003u
#define HcsEventGroupOperationInfo 0xC0000001u

typedef uint32_t HCS_EVENT_OPTIONS;
#define HcsEventOptionNone 0x0u
#define HcsEventOptionEnableOperationCallbacks 0x1u
#define HcsEventOptionEnableVmLifecycle 0x2u
#define HcsEventOptionEnableLiveMigrationEvents 0x4u

typedef uint32_t HCS_OPERATION_OPTIONS;
#define HcsOperationOptionNone 0x0u
#define HcsOperationOptionProgressUpdate 0x1u

typedef uint32_t HCS_RESOURCE_TYPE;
#define HcsResourceTypeNone 0u
#define HcsResourceTypeFile 1u
#define HcsResourceTypeJob 2u
#define HcsResourceTypeComObject 3u
#define HcsResourceTypeSocket 4u

typedef struct HCS_EVENT {
  HCS_EVENT_TYPE Type;
  PCWSTR EventData;
  HCS_OPERATION Operation;
} HCS_EVENT;

typedef struct HCS_PROCESS_INFORMATION {
  DWORD ProcessId;
  DWORD Reserved;
  HANDLE StdInput;
  HANDLE StdOutput;
  HANDLE StdError;
} HCS_PROCESS_INFORMATION;

typedef uint32_t HCS_CREATE_OPTIONS;
#define HcsCreateOptions_1 0x00010000u

typedef void (*HCS_OPERATION_COMPLETION)(HCS_OPERATION operation, void *context);
typedef void (*HCS_EVENT_CALLBACK)(HCS_EVENT *event, void *context);

typedef struct HCS_CREATE_OPTIONS_1 {
  HCS_CREATE_OPTIONS Version;
  HANDLE UserToken;
  const void *SecurityDescriptor;
  HCS_EVENT_OPTIONS CallbackOptions;
  void *CallbackContext;
  HCS_EVENT_CALLBACK Callback;
} HCS_CREATE_OPTIONS_1;

#define HCS_INVALID_OPERATION_ID ((UINT64)-1)
#define GENERIC_ALL 0x10000000u
#define INFINITE 0xFFFFFFFFu

/* HRESULTs used by the shim (as int32). */
#define HR(x) ((HRESULT)(uint32_t)(x))
#define S_OK 0
#define E_NOTIMPL HR(0x80004001u)
#define E_POINTER HR(0x80004003u)
#define E_FAIL HR(0x80004005u)
#define E_HANDLE HR(0x80070006u)
#define E_OUTOFMEMORY HR(0x8007000Eu)
#define E_INVALIDARG HR(0x80070057u)
#define HRESULT_ERROR_CANCELLED HR(0x800704C7u)
#define HCS_E_INVALID_STATE HR(0x80370105u)
#define HCS_E_INVALID_JSON HR(0x8037010Du)
#define HCS_E_SYSTEM_NOT_FOUND HR(0x8037010Eu)
#define HCS_E_SYSTEM_ALREADY_STOPPED HR(0x80370110u)
#define HCS_E_SERVICE_NOT_AVAILABLE HR(0x80370114u)
#define HCS_E_OPERATION_NOT_STARTED HR(0x80370115u)
#define HCS_E_OPERATION_ALREADY_STARTED HR(0x80370116u)
#define HCS_E_OPERATION_PENDING HR(0x80370117u)
#define HCS_E_OPERATION_TIMEOUT HR(0x80370118u)
#define HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET HR(0x80370119u)
#define HCS_E_SERVICE_DISCONNECT HR(0x8037011Eu)

/* ---- 1a. Operation management ---- */
HCS_OPERATION HcsCreateOperation(const void *context, HCS_OPERATION_COMPLETION callback);
HCS_OPERATION HcsCreateOperationWithNotifications(HCS_OPERATION_OPTIONS eventTypes, const void *context,
                                                  HCS_EVENT_CALLBACK callback);
void HcsCloseOperation(HCS_OPERATION operation);
void *HcsGetOperationContext(HCS_OPERATION operation);
HRESULT HcsSetOperationContext(HCS_OPERATION operation, const void *context);
HCS_SYSTEM HcsGetComputeSystemFromOperation(HCS_OPERATION operation);
HCS_PROCESS HcsGetProcessFromOperation(HCS_OPERATION operation);
HCS_OPERATION_TYPE HcsGetOperationType(HCS_OPERATION operation);
UINT64 HcsGetOperationId(HCS_OPERATION operation);
HRESULT HcsGetOperationResult(HCS_OPERATION operation, PWSTR *resultDocument);
HRESULT HcsGetOperationResultAndProcessInfo(HCS_OPERATION operation, HCS_PROCESS_INFORMATION *processInformation,
                                            PWSTR *resultDocument);
HRESULT HcsWaitForOperationResult(HCS_OPERATION operation, DWORD timeoutMs, PWSTR *resultDocument);
HRESULT HcsWaitForOperationResultAndProcessInfo(HCS_OPERATION operation, DWORD timeoutMs,
                                                HCS_PROCESS_INFORMATION *processInformation, PWSTR *resultDocument);
HRESULT HcsSetOperationCallback(HCS_OPERATION operation, const void *context, HCS_OPERATION_COMPLETION callback);
HRESULT HcsCancelOperation(HCS_OPERATION operation);
HRESULT HcsGetOperationProperties(HCS_OPERATION operation, PCWSTR options, PWSTR *resultDocument);
HRESULT HcsAddResourceToOperation(HCS_OPERATION operation, HCS_RESOURCE_TYPE type, PCWSTR uri, HANDLE handle);
HRESULT HcsGetProcessorCompatibilityFromSavedState(PCWSTR runtimeFileName, PCWSTR *processorFeaturesString);

/* ---- 1b. Compute system ---- */
HRESULT HcsEnumerateComputeSystems(PCWSTR query, HCS_OPERATION operation);
HRESULT HcsEnumerateComputeSystemsInNamespace(PCWSTR idNamespace, PCWSTR query, HCS_OPERATION operation);
HRESULT HcsCreateComputeSystem(PCWSTR id, PCWSTR configuration, HCS_OPERATION operation,
                               const void *securityDescriptor, HCS_SYSTEM *computeSystem);
HRESULT HcsCreateComputeSystemInNamespace(PCWSTR idNamespace, PCWSTR id, PCWSTR configuration,
                                          HCS_OPERATION operation, const HCS_CREATE_OPTIONS *options,
                                          HCS_SYSTEM *computeSystem);
HRESULT HcsOpenComputeSystem(PCWSTR id, DWORD requestedAccess, HCS_SYSTEM *computeSystem);
HRESULT HcsOpenComputeSystemInNamespace(PCWSTR idNamespace, PCWSTR id, DWORD requestedAccess,
                                        HCS_SYSTEM *computeSystem);
void HcsCloseComputeSystem(HCS_SYSTEM computeSystem);
HRESULT HcsStartComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsShutDownComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsTerminateComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsCrashComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsPauseComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsResumeComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsSaveComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsGetComputeSystemProperties(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR propertyQuery);
HRESULT HcsModifyComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR configuration,
                               HANDLE identity);
HRESULT HcsWaitForComputeSystemExit(HCS_SYSTEM computeSystem, DWORD timeoutMs, PWSTR *result);
HRESULT HcsSetComputeSystemCallback(HCS_SYSTEM computeSystem, HCS_EVENT_OPTIONS callbackOptions,
                                    const void *context, HCS_EVENT_CALLBACK callback);

/* ---- 1c. Live migration ---- */
HRESULT HcsInitializeLiveMigrationOnSource(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsStartLiveMigrationOnSource(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsStartLiveMigrationTransfer(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsFinalizeLiveMigration(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsCancelLiveMigration(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options);

/* ---- 1d. Processes ---- */
HRESULT HcsCreateProcess(HCS_SYSTEM computeSystem, PCWSTR processParameters, HCS_OPERATION operation,
                         const void *securityDescriptor, HCS_PROCESS *process);
HRESULT HcsOpenProcess(HCS_SYSTEM computeSystem, DWORD processId, DWORD requestedAccess, HCS_PROCESS *process);
void HcsCloseProcess(HCS_PROCESS process);
HRESULT HcsTerminateProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsSignalProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR options);
HRESULT HcsGetProcessInfo(HCS_PROCESS process, HCS_OPERATION operation);
HRESULT HcsGetProcessProperties(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR propertyQuery);
HRESULT HcsModifyProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR settings);
HRESULT HcsSetProcessCallback(HCS_PROCESS process, HCS_EVENT_OPTIONS callbackOptions, void *context,
                              HCS_EVENT_CALLBACK callback);
HRESULT HcsWaitForProcessExit(HCS_PROCESS computeSystem, DWORD timeoutMs, PWSTR *result);

/* ---- 1e. Service and host utilities ---- */
HRESULT HcsGetServiceProperties(PCWSTR propertyQuery, PWSTR *result);
HRESULT HcsModifyServiceSettings(PCWSTR settings, PWSTR *result);
HRESULT HcsSubmitWerReport(PCWSTR settings);
HRESULT HcsCreateEmptyGuestStateFile(PCWSTR guestStateFilePath);
HRESULT HcsCreateEmptyRuntimeStateFile(PCWSTR runtimeStateFilePath);
HRESULT HcsGrantVmAccess(PCWSTR vmId, PCWSTR filePath);
HRESULT HcsRevokeVmAccess(PCWSTR vmId, PCWSTR filePath);
HRESULT HcsGrantVmGroupAccess(PCWSTR filePath);
HRESULT HcsRevokeVmGroupAccess(PCWSTR filePath);

/* ---- free functions for returned strings (Windows semantics) ---- */
void *LocalFree(void *memory); /* returns NULL on success */
void CoTaskMemFree(void *memory);

#ifdef __cplusplus
}
#endif
#endif
