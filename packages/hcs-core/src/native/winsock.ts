/**
 * Internal module. The ws2_32.dll declarations behind the Windows HvSocket transport
 * (`hvsocket/windows.ts`). Like `computecore.ts`, this is one of the two modules that touch
 * native code; it loads nothing until `loadWinsock()` is called, and only on Windows.
 */

/** A Windows `SOCKET` (pointer-sized). */
export type Sock = bigint;

/** The ws2_32 exports the transport uses (x64: one calling convention). */
export interface Ws2 {
  WSAStartup(version: number, data: Buffer): number;
  socket(af: number, type: number, protocol: number): Sock;
  bind(s: Sock, addr: Buffer, len: number): number;
  listen(s: Sock, backlog: number): number;
  accept(s: Sock, addr: null, len: null): Sock;
  connect(s: Sock, addr: Buffer, len: number): number;
  ioctlsocket(s: Sock, cmd: number, arg: number[]): number;
  recv(s: Sock, buf: Buffer, len: number, flags: number): number;
  send(s: Sock, buf: Buffer, len: number, flags: number): number;
  shutdown(s: Sock, how: number): number;
  closesocket(s: Sock): number;
  WSAGetLastError(): number;
  WSAPoll(fds: Buffer, n: number, timeout: number): number;
}

/** Load ws2_32.dll and declare its exports (WSAStartup is left to the caller). */
export async function loadWinsock(): Promise<Ws2> {
  const koffi = (await import('koffi')).default;
  const lib = koffi.load('ws2_32.dll');
  const f = (decl: string) => lib.func(decl);
  return {
    WSAStartup: f('int WSAStartup(uint16_t version, _Out_ uint8_t *data)'),
    socket: f('uint64_t socket(int af, int type, int protocol)'),
    bind: f('int bind(uint64_t s, const uint8_t *addr, int len)'),
    listen: f('int listen(uint64_t s, int backlog)'),
    accept: f('uint64_t accept(uint64_t s, void *addr, void *len)'),
    connect: f('int connect(uint64_t s, const uint8_t *addr, int len)'),
    ioctlsocket: f('int ioctlsocket(uint64_t s, int cmd, _Inout_ uint32_t *arg)'),
    recv: f('int recv(uint64_t s, _Out_ uint8_t *buf, int len, int flags)'),
    send: f('int send(uint64_t s, const uint8_t *buf, int len, int flags)'),
    shutdown: f('int shutdown(uint64_t s, int how)'),
    closesocket: f('int closesocket(uint64_t s)'),
    WSAGetLastError: f('int WSAGetLastError()'),
    WSAPoll: f('int WSAPoll(_Inout_ uint8_t *fds, uint32_t n, int timeout)'),
  } as unknown as Ws2;
}
