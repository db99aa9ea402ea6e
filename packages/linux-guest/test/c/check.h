/* check.h — a minimal assertion harness for the C unit tests: each CHECK is counted; a failing
 * one prints its location; the program's last line is "N passed, N failed" and its exit status
 * is 1 when anything failed. */
#ifndef UVMKIT_CHECK_H
#define UVMKIT_CHECK_H
#include <stdio.h>
#include <string.h>
static int check_passed, check_failed;
#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond) check_passed++;                                                    \
    else {                                                                       \
      check_failed++;                                                            \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)
#define CHECK_STR(a, b)                                                          \
  do {                                                                           \
    const char *a_ = (a), *b_ = (b);                                             \
    if (a_ != NULL && b_ != NULL && strcmp(a_, b_) == 0) check_passed++;         \
    else {                                                                       \
      check_failed++;                                                            \
      fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    }                                                                            \
  } while (0)
static int check_done(void) {
  printf("%d passed, %d failed\n", check_passed, check_failed);
  return check_failed == 0 ? 0 : 1;
}
#endif
