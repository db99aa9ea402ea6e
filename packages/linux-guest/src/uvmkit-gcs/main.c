/*
 * uvmkit-gcs — the guest agent of a Linux utility VM. See README.md ("uvmkit-gcs") for the
 * command line and what init passes. Start-up: logs (stderr + the log service, port 109), the
 * child reaper, the entropy service (port 1: its bytes are added to the kernel pool with
 * RNDADDENTROPY, or written to the random device when that is refused), then the bridge
 * (port 0x40000000) forever, re-dialled after every loss.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "gcs.h"

gcs_config cfg = {
    .relay = "/run/uvmkit/relay.sock",
    .sysfs = "/sys",
    .dev = "/dev",
    .cgroup = "/sys/fs/cgroup",
    .random_device = "/dev/urandom",
    .resolv_conf = "/etc/resolv.conf",
    .device_timeout_ms = 10000,
    .max_backoff_ms = 1000,
    .log_level = 1,
    .entropy = true,
    .log_stream = true,
    .log_stderr = true,
};

static void usage(FILE *f) {
  fprintf(f,
          "usage: uvmkit-gcs [options]\n"
          "  --relay PATH            relay socket (default /run/uvmkit/relay.sock, or $UVMKIT_RELAY_SOCK)\n"
          "  --loglevel LEVEL        debug|info|warning|error (default info)\n"
          "  --no-entropy            do not read the entropy service (vsock port 1)\n"
          "  --no-log-stream         do not send logs to the log service (vsock port 109)\n"
          "  --no-log-stderr         do not copy logs to stderr\n"
          "  --allow-poweroff        Shutdown of the null container powers the VM off\n"
          "  --strict-null-container SignalProcess/ResizeConsole on the null container answer 0xC037010E\n"
          "  --device-timeout MS     wait for hot-added devices (default 10000)\n"
          "  --max-backoff MS        cap of the bridge re-dial backoff (default 1000)\n"
          "  --root-mem-reserve-bytes N  memory kept out of the containers cgroup (default 78643200)\n"
          "  --sysfs DIR --dev DIR --cgroup DIR --random-device PATH --resolv-conf PATH\n"
          "  --share-bind-root DIR   (tests) MappedDirectory bind-mounts DIR/<ShareName>\n"
          "  -v4, --version\n");
}

static int level_of(const char *s) {
  if (strcmp(s, "debug") == 0 || strcmp(s, "trace") == 0) return 0;
  if (strcmp(s, "info") == 0) return 1;
  if (strcmp(s, "warning") == 0 || strcmp(s, "warn") == 0) return 2;
  if (strcmp(s, "error") == 0) return 3;
  return -1;
}

static void *entropy_thread(void *arg) {
  (void)arg;
  int fd = -1;
  char why[256] = "";
  for (int attempt = 0; attempt < 20 && fd < 0; attempt++) {
    fd = relay_dial(ENTROPY_PORT, 5000, why, sizeof why);
    if (fd < 0) sleep_ms(250);
  }
  if (fd < 0) {
    LOGW("entropy: no entropy service: %s", why);
    return NULL;
  }
  struct {
    struct rand_pool_info info;
    unsigned char bytes[4096];
  } pool;
  size_t got = 0;
  while (got < sizeof pool.bytes) {
    ssize_t r = read(fd, pool.bytes + got, sizeof pool.bytes - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  if (got == 0) {
    LOGW("entropy: the entropy service sent nothing");
    return NULL;
  }
  int rnd = open(cfg.random_device, O_WRONLY | O_CLOEXEC);
  if (rnd < 0) {
    LOGW("entropy: %s: %s", cfg.random_device, strerror(errno));
    return NULL;
  }
  pool.info.entropy_count = (int)(got * 8);
  pool.info.buf_size = (int)got;
  memmove(pool.info.buf, pool.bytes, got);
  if (ioctl(rnd, RNDADDENTROPY, &pool.info) == 0) {
    LOGI("entropy: %zu bytes added to the kernel pool (credited)", got);
  } else {
    int err = errno;
    ssize_t w = write(rnd, pool.info.buf, got);
    LOGI("entropy: %zu bytes written to %s (RNDADDENTROPY: %s; written %zd)", got, cfg.random_device, strerror(err),
         w);
  }
  close(rnd);
  return NULL;
}

int main(int argc, char **argv) {
  const char *env = getenv("UVMKIT_RELAY_SOCK");
  if (env != NULL && env[0] != '\0') cfg.relay = env;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE()                                                    \
  do {                                                             \
    if (v == NULL) {                                               \
      fprintf(stderr, "uvmkit-gcs: %s needs a value\n", a);        \
      return 2;                                                    \
    }                                                              \
    i++;                                                           \
  } while (0)
    if (strcmp(a, "--relay") == 0) {
      VALUE();
      cfg.relay = v;
    }
    else if (strcmp(a, "--sysfs") == 0) {
      VALUE();
      cfg.sysfs = v;
    }
    else if (strcmp(a, "--dev") == 0) {
      VALUE();
      cfg.dev = v;
    }
    else if (strcmp(a, "--cgroup") == 0) {
      VALUE();
      cfg.cgroup = v;
    }
    else if (strcmp(a, "--random-device") == 0) {
      VALUE();
      cfg.random_device = v;
    }
    else if (strcmp(a, "--resolv-conf") == 0) {
      VALUE();
      cfg.resolv_conf = v;
    }
    else if (strcmp(a, "--share-bind-root") == 0) {
      VALUE();
      cfg.share_bind_root = v;
    }
    else if (strcmp(a, "--device-timeout") == 0) {
      VALUE();
      cfg.device_timeout_ms = atoi(v);
    }
    else if (strcmp(a, "--max-backoff") == 0) {
      VALUE();
      cfg.max_backoff_ms = atoi(v) < 100 ? 100 : atoi(v);
    }
    else if (strcmp(a, "--root-mem-reserve-bytes") == 0) {
      VALUE();
      root_mem_reserve_bytes = strtoull(v, NULL, 10);
    }
    else if (strcmp(a, "--loglevel") == 0 || strcmp(a, "-loglevel") == 0) {
      VALUE();
      cfg.log_level = level_of(v);
      if (cfg.log_level < 0) {
        fprintf(stderr, "uvmkit-gcs: unknown log level %s\n", v);
        return 2;
      }
    } else if (strcmp(a, "--no-entropy") == 0) cfg.entropy = false;
    else if (strcmp(a, "--no-log-stream") == 0) cfg.log_stream = false;
    else if (strcmp(a, "--no-log-stderr") == 0) cfg.log_stderr = false;
    else if (strcmp(a, "--allow-poweroff") == 0) cfg.allow_poweroff = true;
    else if (strcmp(a, "--strict-null-container") == 0) cfg.strict_null_container = true;
    else if (strcmp(a, "-v4") == 0) continue;
    else if (strcmp(a, "--version") == 0) {
      printf("uvmkit-gcs %s (GCS bridge protocol 4)\n", GCS_VERSION);
      return 0;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "uvmkit-gcs: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
#undef VALUE
  }
  if (cfg.device_timeout_ms < 0) cfg.device_timeout_ms = 0;
  struct sigaction ign = {.sa_handler = SIG_IGN}, dfl = {.sa_handler = SIG_DFL};
  sigaction(SIGPIPE, &ign, NULL);
  sigaction(SIGCHLD, &dfl, NULL); /* an inherited SIG_IGN would auto-reap children: no exit codes */
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, NULL);
  log_init();
  log_start_stream();
  LOGI("uvmkit-gcs %s starting (pid %d, relay %s)", GCS_VERSION, getpid(), cfg.relay);
  process_init();
  if (cfg.entropy) {
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, 256 * 1024);
    if (pthread_create(&t, &at, entropy_thread, NULL) != 0) LOGW("entropy: cannot start its thread");
    pthread_attr_destroy(&at);
  }
  bridge_run();
  return 0;
}
