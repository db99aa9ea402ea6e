/* processprng.c — a stand-in bcryptprimitives.dll for Wine 8, which has none: Rust-built Node
 * addons (rolldown, behind vite/vitest; lightningcss) import ProcessPrng from it and fail to
 * load without it. Exports only ProcessPrng, over advapi32's RtlGenRandom (SystemFunction036).
 * Built by scripts/test-windows.sh with mingw-w64 into the Wine prefix's system32. Tests only. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
  while (size > 0) {
    ULONG n = size > 0x40000000u ? 0x40000000u : (ULONG)size;
    if (!SystemFunction036(data, n)) return FALSE;
    data += n;
    size -= n;
  }
  return TRUE;
}
