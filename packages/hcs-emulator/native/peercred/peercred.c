/*
 * uvmkit-peercred — print the credentials of the peer of the Unix socket on fd 3.
 *
 * hcsd (Node, which has no SO_PEERCRED API) runs this once per accepted connection with the
 * connection's socket as fd 3 and reads one line: "<uid> <gid> <pid>\n". The kernel recorded the
 * peer's credentials at connect() time, so the answer cannot be forged by the peer and does not
 * depend on /proc. Exit status 0 on success, 1 when fd 3 is not a connected Unix socket.
 */
#include <stdio.h>
#include <sys/socket.h>

int main(void) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(3, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
    perror("uvmkit-peercred: getsockopt(SO_PEERCRED)");
    return 1;
  }
  printf("%u %u %d\n", (unsigned)cred.uid, (unsigned)cred.gid, (int)cred.pid);
  return 0;
}
