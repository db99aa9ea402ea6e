/*
 * c-client.c — the C floor for uvmkit's HCS bindings: round trips through libcomputecore to a
 * running hcsd (UVMKIT_HCSD_SOCKET). Creates and starts its own VM, then measures:
 *
 *   getprops / modify, mode=wait      sequential: submit, HcsWaitForOperationResult(INFINITE)
 *   getprops / modify, mode=callback  sequential: submit, completion callback (dispatcher thread)
 *                                     posts a semaphore the main thread waits on
 *   burst                             N GetProperties submitted back to back, each with a
 *                                     completion callback; time until the last callback ran
 *
 * Usage: c-client [--iterations N] [--burst N]
 * Prints human lines and machine-readable ones:
 *   RESULT bench=getprops mode=wait n=2000 rps=... p50_us=... p99_us=...
 *   RESULT bench=burst n=1000 submit_ms=... total_ms=...
 */
#include <math.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "computecore.h"

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static char16_t *u16(const char *s) { /* ASCII only */
  size_t n = strlen(s);
  char16_t *o = malloc((n + 1) * sizeof(char16_t));
  for (size_t i = 0; i <= n; i++) o[i] = (char16_t)(unsigned char)s[i];
  return o;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void die(const char *what, HRESULT hr) {
  fprintf(stderr, "c-client: %s failed: 0x%08X\n", what, (unsigned)hr);
  exit(1);
}

static sem_t g_sem;
static atomic_int g_burst_left;
static sem_t g_burst_done;

static void on_done(HCS_OPERATION op, void *ctx) {
  (void)op;
  (void)ctx;
  sem_post(&g_sem);
}

static void on_burst(HCS_OPERATION op, void *ctx) {
  (void)op;
  (void)ctx;
  if (atomic_fetch_sub(&g_burst_left, 1) == 1) sem_post(&g_burst_done);
}

typedef HRESULT (*submit_fn)(HCS_SYSTEM, HCS_OPERATION, PCWSTR);

static HRESULT modify(HCS_SYSTEM s, HCS_OPERATION op, PCWSTR doc) {
  return HcsModifyComputeSystem(s, op, doc, NULL);
}

static void report(const char *bench, const char *mode, int n, double total_us, double *lat) {
  qsort(lat, (size_t)n, sizeof *lat, cmp_double);
  double p50 = lat[(size_t)(n * 0.50)];
  double p99 = lat[(size_t)fmin(n - 1, floor(n * 0.99))];
  double rps = n / (total_us / 1e6);
  printf("%-9s %-8s %6d ops  %9.0f ops/s  p50 %7.1f us  p99 %7.1f us\n", bench, mode, n, rps, p50, p99);
  printf("RESULT bench=%s mode=%s n=%d rps=%.0f p50_us=%.1f p99_us=%.1f\n", bench, mode, n, rps, p50, p99);
}

static void run(const char *bench, HCS_SYSTEM sys, submit_fn fn, PCWSTR arg, int n, bool callback) {
  double *lat = malloc((size_t)n * sizeof *lat);
  HCS_OPERATION op = callback ? HcsCreateOperation(NULL, on_done) : HcsCreateOperation(NULL, NULL);
  for (int i = 0; i < (n / 5 > 500 ? n / 5 : 500); i++) { /* warm-up (hcsd JIT) */
    HRESULT hr = fn(sys, op, arg);
    if (hr != S_OK) die(bench, hr);
    if (callback) sem_wait(&g_sem);
    hr = HcsWaitForOperationResult(op, INFINITE, NULL);
    if (hr != S_OK) die(bench, hr);
  }
  double start = now_us();
  for (int i = 0; i < n; i++) {
    double t0 = now_us();
    HRESULT hr = fn(sys, op, arg);
    if (hr != S_OK) die(bench, hr);
    PWSTR doc = NULL;
    if (callback) {
      sem_wait(&g_sem);
      hr = HcsGetOperationResult(op, &doc);
    } else {
      hr = HcsWaitForOperationResult(op, INFINITE, &doc);
    }
    lat[i] = now_us() - t0;
    if (hr != S_OK) die(bench, hr);
    LocalFree(doc);
  }
  report(bench, callback ? "callback" : "wait", n, now_us() - start, lat);
  HcsCloseOperation(op);
  free(lat);
}

int main(int argc, char **argv) {
  int iterations = 2000, burst = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--iterations") == 0) iterations = atoi(argv[i + 1]);
    if (strcmp(argv[i], "--burst") == 0) burst = atoi(argv[i + 1]);
  }
  if (iterations < 10) iterations = 10;
  if (burst < 1) burst = 1;
  sem_init(&g_sem, 0, 0);
  sem_init(&g_burst_done, 0, 0);

  char id[64], cfg[1024];
  snprintf(id, sizeof id, "bench-vm-%d", (int)getpid());
  snprintf(cfg, sizeof cfg,
           "{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"ShouldTerminateOnLastHandleClosed\":true,"
           "\"VirtualMachine\":{\"Chipset\":{\"Uefi\":{}},"
           "\"ComputeTopology\":{\"Memory\":{\"SizeInMB\":1024},\"Processor\":{\"Count\":2}},"
           "\"Devices\":{\"Scsi\":{\"df6d0690-79e5-55b6-a5ec-c1e2f77f580a\":{\"Attachments\":{}}}}}}");
  char16_t *wid = u16(id), *wcfg = u16(cfg);
  HCS_OPERATION op = HcsCreateOperation(NULL, NULL);
  HCS_SYSTEM sys = NULL;
  HRESULT hr = HcsCreateComputeSystem(wid, wcfg, op, NULL, &sys);
  if (hr == S_OK) hr = HcsWaitForOperationResult(op, INFINITE, NULL);
  if (hr != S_OK) die("create", hr);
  hr = HcsStartComputeSystem(sys, op, NULL);
  if (hr == S_OK) hr = HcsWaitForOperationResult(op, INFINITE, NULL);
  if (hr != S_OK) die("start", hr);
  HcsCloseOperation(op);

  char16_t *mem = u16("{\"ResourcePath\":\"VirtualMachine/ComputeTopology/Memory/SizeInMB\","
                      "\"RequestType\":\"Update\",\"Settings\":2048}");
  printf("c-client: VM %s running; %d sequential ops per row, burst of %d\n", id, iterations, burst);
  run("getprops", sys, HcsGetComputeSystemProperties, NULL, iterations, false);
  run("getprops", sys, HcsGetComputeSystemProperties, NULL, iterations, true);
  run("modify", sys, modify, mem, iterations, false);
  run("modify", sys, modify, mem, iterations, true);

  HCS_OPERATION *ops = malloc((size_t)burst * sizeof *ops);
  for (int i = 0; i < burst; i++) ops[i] = HcsCreateOperation(NULL, on_burst);
  atomic_store(&g_burst_left, burst);
  double t0 = now_us();
  for (int i = 0; i < burst; i++) {
    hr = HcsGetComputeSystemProperties(sys, ops[i], NULL);
    if (hr != S_OK) die("burst submit", hr);
  }
  double t1 = now_us();
  sem_wait(&g_burst_done);
  double t2 = now_us();
  for (int i = 0; i < burst; i++) {
    hr = HcsGetOperationResult(ops[i], NULL);
    if (hr != S_OK) die("burst result", hr);
    HcsCloseOperation(ops[i]);
  }
  printf("burst     %6d GetProperties submitted at once: submit %.1f ms, all complete after %.1f ms\n", burst,
         (t1 - t0) / 1e3, (t2 - t0) / 1e3);
  printf("RESULT bench=burst n=%d submit_ms=%.2f total_ms=%.2f\n", burst, (t1 - t0) / 1e3, (t2 - t0) / 1e3);

  HcsCloseComputeSystem(sys);
  free(ops);
  free(mem);
  free(wid);
  free(wcfg);
  return 0;
}
