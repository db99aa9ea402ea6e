/*
 * Loads a libcomputecore.so with dlopen and exercises it a little: resolves exports, creates and
 * closes an operation, and calls HcsGetServiceProperties with no hcsd listening (the shim must
 * answer HCS_E_SERVICE_NOT_AVAILABLE). Cross-compiled for arm64 and run under qemu-aarch64 by
 * test/prebuilds.test.ts, it shows that the arm64 prebuilt loads and runs.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

typedef void *(*create_op_fn)(const void *, void *);
typedef void (*close_op_fn)(void *);
typedef int32_t (*svc_props_fn)(const void *, void **);

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: load-shim <libcomputecore.so>\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  static const char *const names[] = {"HcsCreateOperation", "HcsCloseOperation", "HcsCreateComputeSystem",
                                      "HcsGetServiceProperties", "HcsModifyComputeSystem", "LocalFree"};
  int found = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (dlsym(lib, names[i]) != NULL) found++;
  }
  create_op_fn create_op = (create_op_fn)dlsym(lib, "HcsCreateOperation");
  close_op_fn close_op = (close_op_fn)dlsym(lib, "HcsCloseOperation");
  svc_props_fn svc_props = (svc_props_fn)dlsym(lib, "HcsGetServiceProperties");
  if (create_op == NULL || close_op == NULL || svc_props == NULL) return 1;
  void *op = create_op(NULL, NULL);
  if (op == NULL) return 1;
  close_op(op);
  void *result = NULL;
  int32_t hr = svc_props(NULL, &result);
  printf("exports %d/%zu; operation ok; HcsGetServiceProperties 0x%08X\n", found, sizeof names / sizeof names[0],
         (unsigned)hr);
  return 0;
}
