/* platform_win.c — platform.h for Windows (computecore.dll built with mingw-w64): Winsock for the
 * hcsd connection (TCP to loopback only: Windows has no reachable Unix socket to hcsd), kernel32
 * for the environment, LocalAlloc and module pinning. */
#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "tcp_endpoint.h"

static bool g_wsa_started; /* shim_connect runs under the shim's lock */

bool shim_default_endpoint(char *buf, size_t n) {
  (void)buf;
  (void)n;
  return false; /* Windows reaches hcsd over TCP only: $UVMKIT_HCSD_SOCKET must name it */
}

int shim_connect(const char *endpoint, bool is_default, uint32_t wait_ms, shim_sock *out, bool *is_tcp) {
  (void)is_default; /* there is no default endpoint on Windows */
  (void)wait_ms;    /* loopback TCP: a refused connect answers at once */
  *is_tcp = tcp_endpoint_is_tcp(endpoint);
  if (!*is_tcp) return SC_UNSUPPORTED;
  uint16_t port;
  if (!tcp_endpoint_parse(endpoint, &port)) return SC_BAD_ENDPOINT;
  if (!g_wsa_started) {
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return SC_FAILED;
    g_wsa_started = true;
  }
  SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return SC_FAILED;
  struct sockaddr_in in;
  memset(&in, 0, sizeof in);
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&in, sizeof in) != 0) {
    closesocket(s);
    return SC_FAILED;
  }
  BOOL one = TRUE;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
  *out = (shim_sock)s;
  return SC_OK;
}

long shim_send(shim_sock s, const void *buf, size_t len) {
  int chunk = len > 0x40000000u ? 0x40000000 : (int)len;
  int n = send((SOCKET)s, buf, chunk, 0);
  return n > 0 ? (long)n : -1;
}

long shim_recv(shim_sock s, void *buf, size_t len) {
  int chunk = len > 0x40000000u ? 0x40000000 : (int)len;
  int n = recv((SOCKET)s, buf, chunk, 0);
  return n < 0 ? -1 : (long)n;
}

void shim_set_recv_timeout(shim_sock s, uint32_t ms) {
  DWORD v = ms;
  setsockopt((SOCKET)s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&v, sizeof v);
}

void shim_shutdown(shim_sock s) {
  shutdown((SOCKET)s, SD_BOTH);
}

void shim_close(shim_sock s) {
  closesocket((SOCKET)s);
}

char *shim_getenv(const char *name) {
  DWORD n = GetEnvironmentVariableA(name, NULL, 0);
  if (n <= 1) return NULL; /* unset (0) or empty (1: just the NUL) */
  char *v = malloc(n);
  if (v == NULL) return NULL;
  DWORD got = GetEnvironmentVariableA(name, v, n);
  if (got == 0 || got >= n) {
    free(v);
    return NULL;
  }
  return v;
}

unsigned long shim_pid(void) {
  return (unsigned long)GetCurrentProcessId();
}

void *shim_result_alloc(size_t bytes) {
  return LocalAlloc(LMEM_FIXED, bytes);
}

void shim_pin_module(void) {
  HMODULE self;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                     (LPCWSTR)(void *)&shim_pin_module, &self);
}
#endif
