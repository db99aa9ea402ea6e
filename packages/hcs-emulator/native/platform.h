/*
 * platform.h — the little the shim needs from the operating system, behind one neutral interface:
 * a stream connection to hcsd (a Unix socket, or TCP to a loopback address), the environment,
 * the process id, result-string allocation and pinning the module. platform_posix.c implements it
 * for Linux (libcomputecore.so), platform_win.c for Windows (computecore.dll, mingw-w64); each
 * compiles to nothing on the other target. Kept free of <windows.h> and of computecore.h, whose
 * HRESULT/DWORD typedefs clash with the Windows SDK's.
 */
#ifndef UVMKIT_SHIM_PLATFORM_H
#define UVMKIT_SHIM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A connected stream socket (an fd, or a Winsock SOCKET). */
typedef uintptr_t shim_sock;

/* Errors of shim_connect (mapped to HRESULTs by rpc.c). */
enum shim_connect_error {
  SC_OK = 0,
  SC_BAD_ENDPOINT = 1, /* malformed, too long, or a non-loopback TCP address */
  SC_UNSUPPORTED = 2,  /* an endpoint form this platform cannot reach (Unix sockets on Windows) */
  SC_FAILED = 3,       /* socket()/connect() failed: nobody listening */
  SC_TIMEOUT = 4,      /* connect() did not complete within its wait (a stopped hcsd, full backlog) */
  SC_NOT_PRIVATE = 5,  /* the default path's directory or its daemon is not this user's (or root's) */
};

/* Where hcsd listens when $UVMKIT_HCSD_SOCKET is unset: the private per-user runtime directory's
 * `hcsd.sock` (as hcsd and hcs-core derive it); false when this platform has no default. */
bool shim_default_endpoint(char *buf, size_t n);
/* Connect to `endpoint`: `tcp:127.0.0.1:PORT` (IPv4 loopback only) or a Unix socket path, waiting
 * at most `wait_ms`. *is_tcp tells which form it was. With `is_default` (the endpoint is
 * shim_default_endpoint's) its directory must be private to this user and the daemon this user's
 * or root's (SO_PEERCRED). The socket is close-on-exec / not inheritable. */
int shim_connect(const char *endpoint, bool is_default, uint32_t wait_ms, shim_sock *out, bool *is_tcp);
/* Bytes sent (> 0) or -1; retries EINTR; never raises SIGPIPE. */
long shim_send(shim_sock s, const void *buf, size_t len);
/* Bytes received (> 0), 0 at EOF, -1 on error (including a receive timeout); retries EINTR. */
long shim_recv(shim_sock s, void *buf, size_t len);
/* Receive timeout in milliseconds (0 = none). */
void shim_set_recv_timeout(shim_sock s, uint32_t ms);
void shim_shutdown(shim_sock s);
void shim_close(shim_sock s);

/* A malloc'd copy of environment variable `name`, NULL when unset or empty. Reads the live
 * process environment (on Windows not the C runtime's start-up copy: Node sets variables with
 * SetEnvironmentVariableW after the CRT has taken its copy). */
char *shim_getenv(const char *name);
unsigned long shim_pid(void);

/* Result strings handed to the caller, who frees them with LocalFree (Windows: LocalAlloc;
 * elsewhere malloc, freed by the shim's own LocalFree export). */
void *shim_result_alloc(size_t bytes);

/* Keep the module mapped until the process exits: the shim's threads outlive every caller
 * (Linux: -z nodelete at link time, so this does nothing). */
void shim_pin_module(void);

#endif
