/*
 * log.c — the agent's logs as JSON lines ({"level","msg","time"}, the shape of the Linux GCS's
 * `-log-format json`): to stderr and, when enabled, to the host's log service (vsock port 109)
 * through the relay. Lines wait in a bounded buffer (256 KiB; newer lines are dropped and
 * counted when it is full) while the log stream is (re)dialled with a capped backoff.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gcs.h"

#define LOG_BUF (256u * 1024u)

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log_cond = PTHREAD_COND_INITIALIZER;
static char ring[LOG_BUF];
static size_t ring_len;
static unsigned long dropped;
static bool streaming;

static const char *level_name(int l) {
  switch (l) {
    case 0: return "debug";
    case 1: return "info";
    case 2: return "warning";
    default: return "error";
  }
}

void logf_(int level, const char *fmt, ...) {
  if (level < cfg.log_level) return;
  char msg[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[48];
  snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  char line[4096];
  json_writer w;
  jw_init(&w, line, sizeof line - 1);
  jw_obj(&w);
  jw_key(&w, "level");
  jw_str(&w, level_name(level));
  jw_key(&w, "msg");
  jw_str(&w, msg);
  jw_key(&w, "time");
  jw_str(&w, when);
  jw_key(&w, "pid");
  jw_int(&w, getpid());
  jw_obj_end(&w);
  if (w.overflow) return;
  line[w.len++] = '\n';
  if (cfg.log_stderr) {
    ssize_t r = write(2, line, w.len);
    (void)r;
  }
  if (!cfg.log_stream) return;
  pthread_mutex_lock(&log_lock);
  if (ring_len + w.len <= LOG_BUF) {
    memcpy(ring + ring_len, line, w.len);
    ring_len += w.len;
    pthread_cond_signal(&log_cond);
  } else {
    dropped++;
  }
  pthread_mutex_unlock(&log_lock);
}

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void *log_thread(void *arg) {
  (void)arg;
  int backoff = 100;
  static char chunk[LOG_BUF];
  for (;;) {
    char why[160];
    int fd = relay_dial(LOG_PORT, 5000, why, sizeof why);
    if (fd < 0) {
      sleep_ms(backoff);
      backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
      continue;
    }
    backoff = 100;
    pthread_mutex_lock(&log_lock);
    streaming = true;
    pthread_mutex_unlock(&log_lock);
    for (;;) {
      pthread_mutex_lock(&log_lock);
      while (ring_len == 0 && dropped == 0) pthread_cond_wait(&log_cond, &log_lock);
      size_t n = ring_len;
      memcpy(chunk, ring, n);
      ring_len = 0;
      unsigned long d = dropped;
      dropped = 0;
      pthread_mutex_unlock(&log_lock);
      if (d > 0) {
        char note[160];
        int k = snprintf(note, sizeof note,
                         "{\"level\":\"warning\",\"msg\":\"%lu log lines were dropped (buffer full)\"}\n", d);
        if (send_all(fd, note, (size_t)k) != 0) break;
      }
      if (send_all(fd, chunk, n) != 0) break; /* these lines are lost with the stream */
    }
    close(fd);
    pthread_mutex_lock(&log_lock);
    streaming = false;
    pthread_mutex_unlock(&log_lock);
  }
  return NULL;
}

void log_init(void) {}

void log_start_stream(void) {
  if (!cfg.log_stream) return;
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 256 * 1024);
  if (pthread_create(&t, &a, log_thread, NULL) != 0) LOGE("cannot start the log stream thread");
  pthread_attr_destroy(&a);
}
