/*
 * uvmkit-relay: the guest half of hcsd's HvSocket relay. `serve` multiplexes guest programs'
 * Unix-socket connections over one virtio-serial port (PROTOCOL-RELAY.md in @uvmkit/hcs-emulator);
 * `dial` and `echo` are the guest-side API's smallest clients, for tests and diagnostics.
 */
#ifndef UVMKIT_RELAY_H
#define UVMKIT_RELAY_H

#define RELAY_DEFAULT_PORT "/dev/virtio-ports/uvmkit.relay"
#define RELAY_DEFAULT_SOCK "/run/uvmkit/relay.sock"

struct relay_opts {
  const char *port; /* a virtio-serial port, or (host tests) a Unix socket standing in for one */
  const char *sock; /* the guest-side API socket */
  int verbose;
};

int relay_serve(const struct relay_opts *o);
int relay_dial(const char *sock, const char *guid);
int relay_echo(const char *sock, const char *guid, const char *path);

#endif
