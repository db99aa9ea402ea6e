/* harness.h — helpers for the shim's C tests (independent of the shim's own internals). */
#ifndef SHIM_TEST_HARNESS_H
#define SHIM_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "computecore.h"

/* malloc'd UTF-16 copy of a UTF-8 string (test-side converter). */
char16_t *u16(const char *utf8);
/* malloc'd UTF-8 copy of a UTF-16 string (NULL → NULL). */
char *u8(const char16_t *s);
/* u8 + LocalFree of the input. */
char *take_doc(PWSTR doc);

/* A VM configuration document (UTF-8, malloc'd). owner may be NULL. */
char *vm_config(const char *owner, bool terminate_on_last_close);

/* Raw control requests to hcsd over the socket of UVMKIT_HCSD_SOCKET (method 64/65/66).
   Returns the HRESULT and (optionally) the answer document (malloc'd). */
HRESULT control(uint8_t method, const char *json, char **answer);
HRESULT control_delay(const char *method, int ms, int count);
HRESULT control_clear(void);

/* Milliseconds on a monotonic clock. */
double now_ms(void);
void sleep_ms(int ms);

/* Wait for an operation (INFINITE bounded by the harness: 10 s) and return its HRESULT + doc (UTF-8). */
HRESULT wait_op(HCS_OPERATION op, char **doc);

/* Create (+ optionally start) a VM through the shim and return the handle. */
HRESULT make_vm(const char *id, const char *owner, bool start, bool terminate_on_last_close, HCS_SYSTEM *out);

/* units.c */
const char *case_internal_units(void);

#endif
