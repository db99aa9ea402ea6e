/*
 * process.c — processes in the utility VM (gcs-protocol.md §4.5, §7, §10): ExecuteProcess
 * addressed to the null container (or with CreateInUtilityVM), WaitForProcess, SignalProcess,
 * ResizeConsole.
 *
 * ExecuteProcess: ProcessParameters (an AnyInString document: CommandArgs or CommandLine,
 * ApplicationName, Environment, WorkingDirectory, User, EmulateConsole, ConsoleSize, Create*Pipe,
 * or an OciProcess) is resolved first; then the stdio relay ports of VsockStdioRelaySettings are
 * dialled (stdin, stdout, stderr) BEFORE the reply; then the child is forked (own session; with a
 * console a pty whose master carries stdin and stdout) and exec'd; an exec failure is reported
 * through a close-on-exec pipe and fails the request. Output streams are half-closed
 * (shutdown(SHUT_WR)) at EOF; stdin EOF closes the child's stdin.
 *
 * WaitForProcess answers ExitCode (WEXITSTATUS, or 128+signal) once the process has exited and its
 * output has been relayed (at most 5 s more), 0xC0370109 when TimeoutInMs (0xFFFFFFFF = infinite)
 * passes first, 0x80070490 for an unknown pid; the first answered wait forgets the process.
 * One reaper thread waits for every child; the table lock is held across fork and registration.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "gcs.h"

#define MAX_ARGS 1024
#define MAX_ENV 1024
#define MAX_GROUPS 64
#define MAX_PROCS 1024
#define OUTPUT_GRACE_MS 5000

extern char **environ;

pthread_mutex_t gcs_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t gcs_cond;

typedef struct proc {
  pid_t pid;
  bool exited;
  bool in_table;
  bool reported;
  bool helper;
  int status;
  uint32_t exit_code;
  uint64_t exit_ms;
  int outputs;    /* output pumps running */
  int pumps;      /* all pumps running (the entry is freed when 0 and out of the table) */
  int waiters;
  int tty;        /* pty master for ResizeConsole, or -1 */
  int stdin_sock; /* shut down at exit so the stdin pump ends, or -1 */
  struct proc *next;
} proc;

static proc *procs;
static int nprocs, nchildren;
static pthread_cond_t reap_cond = PTHREAD_COND_INITIALIZER;

static proc *find_locked(pid_t pid) {
  for (proc *p = procs; p != NULL; p = p->next)
    if (p->pid == pid && p->in_table) return p;
  return NULL;
}

static void maybe_free_locked(proc *p) {
  if (p->in_table || p->pumps > 0) return;
  if (p->tty >= 0) close(p->tty);
  free(p);
}

static void remove_locked(proc *p) {
  for (proc **pp = &procs; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == p) {
      *pp = p->next;
      break;
    }
  }
  p->in_table = false;
  nprocs--;
  maybe_free_locked(p);
}

static void *reaper(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&gcs_lock);
    while (nchildren == 0) pthread_cond_wait(&reap_cond, &gcs_lock);
    pthread_mutex_unlock(&gcs_lock);
    int st;
    pid_t pid = waitpid(-1, &st, 0);
    if (pid < 0) {
      if (errno == ECHILD) {
        pthread_mutex_lock(&gcs_lock);
        nchildren = 0;
        pthread_mutex_unlock(&gcs_lock);
      }
      continue;
    }
    pthread_mutex_lock(&gcs_lock);
    nchildren--;
    proc *p = find_locked(pid);
    if (p != NULL) {
      p->exited = true;
      p->status = st;
      p->exit_code = WIFEXITED(st) ? (uint32_t)WEXITSTATUS(st) : WIFSIGNALED(st) ? 128u + (uint32_t)WTERMSIG(st) : 255u;
      p->exit_ms = now_ms();
      if (p->stdin_sock >= 0) shutdown(p->stdin_sock, SHUT_RDWR);
      if (!p->helper) LOGI("process %d exited with code %u", (int)pid, p->exit_code);
    }
    pthread_cond_broadcast(&gcs_cond);
    pthread_mutex_unlock(&gcs_lock);
  }
  return NULL;
}

void process_init(void) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&gcs_cond, &ca);
  pthread_condattr_destroy(&ca);
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 128 * 1024);
  if (pthread_create(&t, &a, reaper, NULL) != 0) LOGE("cannot start the reaper thread");
  pthread_attr_destroy(&a);
}

static void timed_wait_locked(uint64_t until_ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  uint64_t ms = until_ms > now ? until_ms - now : 0;
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(&gcs_cond, &gcs_lock, &ts);
}

/* ---- what to run ---- */

typedef struct {
  const char *argv[MAX_ARGS + 1];
  size_t argc;
  char *env_store[MAX_ENV + 1]; /* owned "K=V" strings */
  size_t envc;
  bool inherit_env;
  const char *cwd;
  bool set_user;
  uid_t uid;
  gid_t gid;
  gid_t groups[MAX_GROUPS];
  int ngroups;
  bool tty;
  unsigned short rows, cols;
  char exe[PATH_MAX];
} spec;

static void spec_free(spec *s) {
  for (size_t i = 0; i < s->envc; i++) free(s->env_store[i]);
  s->envc = 0;
}

static int add_env(spec *s, const char *k, size_t klen, const char *v, gerr *e) {
  if (s->envc >= MAX_ENV) return GFAIL(e, HR_E_INVALIDARG, "more than %d environment variables", MAX_ENV);
  size_t vlen = strlen(v);
  char *kv = malloc(klen + vlen + 2);
  if (kv == NULL) return GFAIL(e, HR_E_FAIL, "out of memory");
  memcpy(kv, k, klen);
  kv[klen] = '=';
  memcpy(kv + klen + 1, v, vlen + 1);
  s->env_store[s->envc++] = kv;
  return 0;
}

static bool all_digits(const char *s) {
  if (*s == '\0') return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

/* Look a name or number up in /etc/passwd or /etc/group: field 3 (id) and 4 (gid). */
static bool lookup(const char *file, const char *who, unsigned long *id, unsigned long *gid) {
  FILE *f = fopen(file, "re");
  if (f == NULL) return false;
  char line[1024];
  bool found = false;
  bool numeric = all_digits(who);
  while (!found && fgets(line, sizeof line, f) != NULL) {
    char *save = NULL;
    char *name = strtok_r(line, ":", &save);
    strtok_r(NULL, ":", &save);
    char *ids = strtok_r(NULL, ":", &save);
    char *gids = strtok_r(NULL, ":\n", &save);
    if (name == NULL || ids == NULL) continue;
    if (numeric ? strcmp(ids, who) == 0 : strcmp(name, who) == 0) {
      *id = strtoul(ids, NULL, 10);
      if (gid != NULL) *gid = gids != NULL ? strtoul(gids, NULL, 10) : *id;
      found = true;
    }
  }
  fclose(f);
  return found;
}

static void supplementary_groups(spec *s, const char *user) {
  FILE *f = fopen("/etc/group", "re");
  if (f == NULL) return;
  char line[4096];
  while (s->ngroups < MAX_GROUPS && fgets(line, sizeof line, f) != NULL) {
    char *save = NULL;
    strtok_r(line, ":", &save);
    strtok_r(NULL, ":", &save);
    char *gid = strtok_r(NULL, ":", &save);
    char *members = strtok_r(NULL, "\n", &save);
    if (gid == NULL || members == NULL) continue;
    char *s2 = NULL;
    for (char *m = strtok_r(members, ",", &s2); m != NULL; m = strtok_r(NULL, ",", &s2)) {
      if (strcmp(m, user) == 0) {
        s->groups[s->ngroups++] = (gid_t)strtoul(gid, NULL, 10);
        break;
      }
    }
  }
  fclose(f);
}

/* "", "name", "uid", "name:group", "uid:gid". */
static int resolve_user(spec *s, const char *user, gerr *e) {
  if (user[0] == '\0') return 0;
  char u[256], g[256] = "";
  if (strlen(user) >= sizeof u) return GFAIL(e, HR_E_INVALIDARG, "User is too long");
  strcpy(u, user);
  char *colon = strchr(u, ':');
  if (colon != NULL) {
    *colon = '\0';
    snprintf(g, sizeof g, "%s", colon + 1);
  }
  unsigned long uid = 0, gid = 0;
  if (!lookup("/etc/passwd", u, &uid, &gid)) {
    if (!all_digits(u)) return GFAIL(e, HR_E_FAIL, "unable to find user %s: no matching entries in passwd file", u);
    uid = strtoul(u, NULL, 10);
    gid = 0;
  } else if (!all_digits(u)) {
    supplementary_groups(s, u);
  }
  if (g[0] != '\0') {
    unsigned long gg;
    if (lookup("/etc/group", g, &gg, NULL)) gid = gg;
    else if (all_digits(g)) gid = strtoul(g, NULL, 10);
    else return GFAIL(e, HR_E_FAIL, "unable to find group %s: no matching entries in group file", g);
  }
  s->set_user = true;
  s->uid = (uid_t)uid;
  s->gid = (gid_t)gid;
  return 0;
}

/* Split a CommandLine on blanks, honouring "..." and '...' (into a static-sized store). */
static int split_command_line(const char *line, char *store, size_t cap, spec *s, gerr *e) {
  size_t o = 0;
  const char *p = line;
  while (*p) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) break;
    if (s->argc >= MAX_ARGS) return GFAIL(e, HR_E_INVALIDARG, "too many arguments");
    s->argv[s->argc++] = store + o;
    char q = 0;
    while (*p && (q || (*p != ' ' && *p != '\t'))) {
      if (!q && (*p == '"' || *p == '\'')) q = *p;
      else if (q && *p == q) q = 0;
      else if (o + 1 < cap) store[o++] = *p;
      p++;
    }
    if (o + 1 >= cap) return GFAIL(e, HR_E_INVALIDARG, "CommandLine is too long");
    store[o++] = '\0';
  }
  return 0;
}

static int resolve_exe(spec *s, const char *app, gerr *e) {
  const char *name = app[0] != '\0' ? app : s->argv[0];
  if (strchr(name, '/') != NULL) {
    if (strlen(name) >= sizeof s->exe) return GFAIL(e, HR_E_INVALIDARG, "executable path too long");
    strcpy(s->exe, name);
    return 0;
  }
  const char *path = NULL;
  char *const *env = s->inherit_env ? environ : s->env_store;
  for (size_t i = 0; env[i] != NULL; i++)
    if (strncmp(env[i], "PATH=", 5) == 0) path = env[i] + 5;
  if (path == NULL) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  while (*path) {
    const char *end = strchr(path, ':');
    size_t n = end ? (size_t)(end - path) : strlen(path);
    if (n > 0 && n + strlen(name) + 2 < sizeof s->exe) {
      snprintf(s->exe, sizeof s->exe, "%.*s/%s", (int)n, path, name);
      if (access(s->exe, X_OK) == 0) return 0;
    }
    path += n;
    if (*path == ':') path++;
  }
  return GFAIL(e, HR_E_FAIL, "exec: \"%s\": executable file not found in $PATH", name);
}

/* ProcessParameters → spec. `store` keeps CommandLine pieces alive. */
static int parse_params(const json_value *pp, spec *s, char *store, size_t cap, bool *pipes, gerr *e) {
  const json_value *oci;
  const char *app, *cmdline, *cwd, *user;
  bool console;
  if (f_obj(pp, "OciProcess", &oci, e) != 0 || f_str(pp, "ApplicationName", &app, e) != 0 ||
      f_str(pp, "CommandLine", &cmdline, e) != 0 || f_str(pp, "WorkingDirectory", &cwd, e) != 0 ||
      f_str(pp, "User", &user, e) != 0 || f_bool(pp, "EmulateConsole", &console, e) != 0 ||
      f_bool(pp, "CreateStdInPipe", &pipes[0], e) != 0 || f_bool(pp, "CreateStdOutPipe", &pipes[1], e) != 0 ||
      f_bool(pp, "CreateStdErrPipe", &pipes[2], e) != 0)
    return -1;
  s->tty = console;
  s->inherit_env = true;
  s->cwd = cwd[0] != '\0' ? cwd : "/";
  const json_value *size;
  if (f_arr(pp, "ConsoleSize", &size, e) != 0) return -1;
  if (size != NULL && size->child != NULL && size->child->next != NULL) {
    uint64_t h = 0, w = 0;
    json_uint(size->child, 0xFFFF, &h);
    json_uint(size->child->next, 0xFFFF, &w);
    s->rows = (unsigned short)h;
    s->cols = (unsigned short)w;
  }
  if (oci != NULL) {
    size_t n;
    bool term;
    const char *ocwd;
    if (f_strs(oci, "Args", s->argv, MAX_ARGS, &s->argc, e) != 0 || f_str(oci, "Cwd", &ocwd, e) != 0 ||
        f_bool(oci, "Terminal", &term, e) != 0)
      return -1;
    const char *envs[MAX_ENV];
    if (f_strs(oci, "Env", envs, MAX_ENV, &n, e) != 0) return -1;
    if (n > 0) s->inherit_env = false;
    for (size_t i = 0; i < n; i++) {
      const char *eq = strchr(envs[i], '=');
      if (eq == NULL) continue;
      if (add_env(s, envs[i], (size_t)(eq - envs[i]), eq + 1, e) != 0) return -1;
    }
    if (ocwd[0] != '\0') s->cwd = ocwd;
    if (term) s->tty = true;
    const json_value *u, *cs;
    if (f_obj(oci, "User", &u, e) != 0 || f_obj(oci, "ConsoleSize", &cs, e) != 0) return -1;
    if (u != NULL) {
      uint64_t uid, gid;
      if (f_uint(u, "UID", 0xFFFFFFFFu, &uid, e) != 0 || f_uint(u, "GID", 0xFFFFFFFFu, &gid, e) != 0) return -1;
      s->set_user = true;
      s->uid = (uid_t)uid;
      s->gid = (gid_t)gid;
    }
    if (cs != NULL) {
      uint64_t h, w;
      if (f_uint(cs, "Height", 0xFFFF, &h, e) != 0 || f_uint(cs, "Width", 0xFFFF, &w, e) != 0) return -1;
      s->rows = (unsigned short)h;
      s->cols = (unsigned short)w;
    }
  } else {
    if (f_strs(pp, "CommandArgs", s->argv, MAX_ARGS, &s->argc, e) != 0) return -1;
    if (s->argc == 0 && split_command_line(cmdline, store, cap, s, e) != 0) return -1;
    const json_value *env;
    if (f_obj(pp, "Environment", &env, e) != 0) return -1;
    if (env != NULL && env->child != NULL) {
      s->inherit_env = false;
      for (const json_value *m = env->child; m != NULL; m = m->next) {
        if (m->type != JSON_STRING)
          return GFAIL(e, HR_INVALID_JSON, "json: cannot unmarshal %s into Environment values of type string",
                       json_type_name(m));
        if (strlen(m->key) != m->key_len || strlen(m->s) != m->len || m->key_len == 0 || strchr(m->key, '='))
          return GFAIL(e, HR_E_INVALIDARG, "invalid environment variable name");
        if (add_env(s, m->key, m->key_len, m->s, e) != 0) return -1;
      }
    }
    if (resolve_user(s, user, e) != 0) return -1;
  }
  if (s->argc == 0) return GFAIL(e, HR_E_INVALIDARG, "no command: CommandArgs and CommandLine are empty");
  s->argv[s->argc] = NULL;
  s->env_store[s->envc] = NULL;
  return resolve_exe(s, app, e);
}

/* ---- spawning ---- */

static void child(const spec *s, int in, int out, int err, int tty_slave, int status_fd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
  setsid();
  if (tty_slave >= 0) ioctl(tty_slave, TIOCSCTTY, 0);
  int fds[3] = {in, out, err};
  /* Move the three above 2 first so dup2 cannot clobber one with another. */
  for (int i = 0; i < 3; i++) {
    int d = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    if (d < 0) goto fail;
    fds[i] = d;
  }
  for (int i = 0; i < 3; i++)
    if (dup2(fds[i], i) < 0) goto fail;
  for (int fd = 3; fd < 4096; fd++)
    if (fd != status_fd) close(fd);
  if (s->set_user) {
    if (setgroups((size_t)s->ngroups, s->groups) != 0 && errno != EPERM) goto fail;
    if (setgid(s->gid) != 0 || setuid(s->uid) != 0) goto fail;
  }
  if (chdir(s->cwd) != 0) goto fail;
  execve(s->exe, (char *const *)s->argv, s->inherit_env ? environ : (char *const *)s->env_store);
fail: {
  int errnum = errno;
  ssize_t w = write(status_fd, &errnum, sizeof errnum);
  (void)w;
  _exit(127);
}
}

/* fork+exec; registers the process. Returns the proc (locked table released) or NULL with *e. */
static proc *spawn(const spec *s, int in, int out, int err, int tty_slave, bool helper, gerr *e) {
  int st[2];
  if (pipe2(st, O_CLOEXEC) != 0) {
    GFAIL(e, HR_E_FAIL, "pipe: %s", strerror(errno));
    return NULL;
  }
  proc *p = calloc(1, sizeof *p);
  if (p == NULL) {
    close(st[0]);
    close(st[1]);
    GFAIL(e, HR_E_FAIL, "out of memory");
    return NULL;
  }
  p->tty = -1;
  p->stdin_sock = -1;
  p->helper = helper;
  pthread_mutex_lock(&gcs_lock);
  if (nprocs >= MAX_PROCS) {
    /* Forget the oldest exited process nobody waited for. */
    proc *old = NULL;
    for (proc *q = procs; q != NULL; q = q->next)
      if (q->exited && q->waiters == 0) old = q;
    if (old != NULL) remove_locked(old);
  }
  if (nprocs >= MAX_PROCS) {
    pthread_mutex_unlock(&gcs_lock);
    close(st[0]);
    close(st[1]);
    free(p);
    GFAIL(e, HR_E_FAIL, "too many processes (%d)", MAX_PROCS);
    return NULL;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(st[0]);
    child(s, in, out, err, tty_slave, st[1]);
  }
  if (pid < 0) {
    int errnum = errno;
    pthread_mutex_unlock(&gcs_lock);
    close(st[0]);
    close(st[1]);
    free(p);
    GFAIL(e, HR_E_FAIL, "fork: %s", strerror(errnum));
    return NULL;
  }
  p->pid = pid;
  p->in_table = true;
  p->next = procs;
  procs = p;
  nprocs++;
  nchildren++;
  pthread_cond_signal(&reap_cond);
  pthread_mutex_unlock(&gcs_lock);
  close(st[1]);
  int errnum = 0;
  ssize_t r;
  do r = read(st[0], &errnum, sizeof errnum);
  while (r < 0 && errno == EINTR);
  close(st[0]);
  if (r == (ssize_t)sizeof errnum) {
    /* exec failed: the child exits 127; forget it once reaped. */
    pthread_mutex_lock(&gcs_lock);
    while (!p->exited) pthread_cond_wait(&gcs_cond, &gcs_lock);
    remove_locked(p);
    pthread_mutex_unlock(&gcs_lock);
    GFAIL(e, errnum == ENOENT ? HR_E_FAIL : hr_from_errno(errnum), "failed to run %s: %s", s->exe, strerror(errnum));
    return NULL;
  }
  return p;
}

int run_helper(char *const argv[], gerr *e) {
  spec *s = calloc(1, sizeof *s);
  if (s == NULL) return GFAIL(e, HR_E_FAIL, "out of memory");
  for (size_t i = 0; argv[i] != NULL && i < MAX_ARGS; i++) s->argv[s->argc++] = argv[i];
  s->inherit_env = true;
  s->cwd = "/";
  int rc = -1;
  if (resolve_exe(s, "", e) == 0) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    proc *p = spawn(s, null, null, null, -1, true, e);
    if (null >= 0) close(null);
    if (p != NULL) {
      pthread_mutex_lock(&gcs_lock);
      while (!p->exited) pthread_cond_wait(&gcs_cond, &gcs_lock);
      rc = (int)p->exit_code;
      remove_locked(p);
      pthread_mutex_unlock(&gcs_lock);
    }
  }
  free(s);
  return rc;
}

/* ---- stdio pumps ---- */

typedef struct {
  proc *p;
  int from, to;
  bool output; /* from the process to the host */
} pump;

static void *pump_thread(void *arg) {
  pump *pu = arg;
  char *buf = malloc(32 * 1024);
  while (buf != NULL) {
    ssize_t r = read(pu->from, buf, 32 * 1024);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break; /* EOF, or EIO from a pty whose slave is closed */
    ssize_t off = 0;
    while (off < r) {
      ssize_t w = pu->output ? send(pu->to, buf + off, (size_t)(r - off), MSG_NOSIGNAL)
                             : write(pu->to, buf + off, (size_t)(r - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) goto done;
      off += w;
    }
  }
done:
  free(buf);
  pthread_mutex_lock(&gcs_lock);
  proc *p = pu->p;
  if (pu->output) {
    shutdown(pu->to, SHUT_WR);
    close(pu->to);
    close(pu->from);
    p->outputs--;
  } else {
    close(pu->to);
    if (p->stdin_sock == pu->from) p->stdin_sock = -1;
    close(pu->from);
  }
  p->pumps--;
  pthread_cond_broadcast(&gcs_cond);
  maybe_free_locked(p);
  pthread_mutex_unlock(&gcs_lock);
  free(pu);
  return NULL;
}

/* Start a pump (the caller counted it in p->pumps/outputs); closes both fds if it cannot. */
static void start_pump(proc *p, int from, int to, bool output) {
  pump *pu = malloc(sizeof *pu);
  pthread_t t;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&a, 128 * 1024);
  if (pu != NULL) {
    *pu = (pump){p, from, to, output};
    /* A new thread starts with its creator's name: create it under its own, so it is never seen
       as a worker (a worker is named "gcs-worker"), then take the creator's back. */
    char self[16] = "";
    pthread_getname_np(pthread_self(), self, sizeof self);
    pthread_setname_np(pthread_self(), "gcs-stdio");
    int rc = pthread_create(&t, &a, pump_thread, pu);
    pthread_setname_np(pthread_self(), self);
    if (rc == 0) {
      pthread_attr_destroy(&a);
      return;
    }
    free(pu);
  }
  pthread_attr_destroy(&a);
  LOGE("cannot start a stdio relay thread for process %d", (int)p->pid);
  close(from);
  close(to);
  pthread_mutex_lock(&gcs_lock);
  if (output) p->outputs--;
  else if (p->stdin_sock == from) p->stdin_sock = -1;
  p->pumps--;
  pthread_cond_broadcast(&gcs_cond);
  maybe_free_locked(p);
  pthread_mutex_unlock(&gcs_lock);
}

static bool addressed_to_uvm(request *r, const json_value *pp) {
  bool in_uvm = false;
  gerr ignore;
  if (pp != NULL) f_bool(pp, "CreateInUtilityVM", &in_uvm, &ignore);
  return r->null_container || in_uvm;
}

int rpc_execute_process(request *r, json_writer *out, gerr *e) {
  const json_value *settings, *relay;
  const char *params_text;
  if (f_obj(r->root, "Settings", &settings, e) != 0 || f_str(settings, "ProcessParameters", &params_text, e) != 0 ||
      f_obj(settings, "VsockStdioRelaySettings", &relay, e) != 0)
    return -1;
  uint64_t ports[3] = {0, 0, 0};
  if (f_uint(relay, "StdIn", 0xFFFFFFFFu, &ports[0], e) != 0 || f_uint(relay, "StdOut", 0xFFFFFFFFu, &ports[1], e) != 0 ||
      f_uint(relay, "StdErr", 0xFFFFFFFFu, &ports[2], e) != 0)
    return -1;
  json_doc pd = {0};
  if (json_parse(&pd, params_text, strlen(params_text)) != 0 || pd.root->type != JSON_OBJECT) {
    GFAIL(e, HR_INVALID_JSON, "failed to unmarshal ProcessParameters: %s", pd.root == NULL ? pd.error : "not an object");
    json_free(&pd);
    return -1;
  }
  if (!addressed_to_uvm(r, pd.root)) {
    json_free(&pd);
    return GFAIL(e, HR_SYSTEM_NOT_FOUND, "container %s does not exist", r->container_id);
  }
  spec *s = calloc(1, sizeof *s);
  size_t store_cap = strlen(params_text) + 16;
  char *store = malloc(store_cap);
  int socks[3] = {-1, -1, -1};
  int child_fds[3] = {-1, -1, -1}, parent_fds[3] = {-1, -1, -1};
  int master = -1, slave = -1;
  int rc = -1;
  bool pipes[3] = {false, false, false};
  if (s == NULL || store == NULL) {
    GFAIL(e, HR_E_FAIL, "out of memory");
    goto out;
  }
  if (parse_params(pd.root, s, store, store_cap, pipes, e) != 0) goto out;
  /* Dial the stdio relays before answering (stdin, stdout, stderr). */
  for (int i = 0; i < 3; i++) {
    if (ports[i] == 0) continue;
    char why[256];
    socks[i] = relay_dial((uint32_t)ports[i], 10000, why, sizeof why);
    if (socks[i] < 0) {
      GFAIL(e, HR_E_FAIL, "failed to connect the %s relay (vsock port %llu): %s",
            i == 0 ? "stdin" : i == 1 ? "stdout" : "stderr", (unsigned long long)ports[i], why);
      goto out;
    }
  }
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) {
    GFAIL(e, HR_E_FAIL, "/dev/null: %s", strerror(errno));
    goto out;
  }
  if (s->tty) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
      GFAIL(e, HR_E_FAIL, "pty: %s", strerror(errno));
      close(null);
      goto out;
    }
    char name[128];
    if (ptsname_r(master, name, sizeof name) != 0 || (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
      GFAIL(e, HR_E_FAIL, "pty: %s", strerror(errno));
      close(null);
      goto out;
    }
    if (s->rows > 0 && s->cols > 0) {
      struct winsize ws = {.ws_row = s->rows, .ws_col = s->cols};
      ioctl(master, TIOCSWINSZ, &ws);
    }
    child_fds[0] = slave;
    child_fds[1] = slave;
    child_fds[2] = slave;
  } else {
    for (int i = 0; i < 3; i++) {
      if (socks[i] < 0) continue;
      int pp[2];
      if (pipe2(pp, O_CLOEXEC) != 0) {
        GFAIL(e, HR_E_FAIL, "pipe: %s", strerror(errno));
        close(null);
        goto out;
      }
      child_fds[i] = i == 0 ? pp[0] : pp[1];
      parent_fds[i] = i == 0 ? pp[1] : pp[0];
    }
  }
  proc *p = spawn(s, child_fds[0] >= 0 ? child_fds[0] : null, child_fds[1] >= 0 ? child_fds[1] : null,
                  child_fds[2] >= 0 ? child_fds[2] : null, slave, false, e);
  close(null);
  if (p == NULL) goto out;
  LOGI("process %d started: %s%s", (int)p->pid, s->exe, s->tty ? " (console)" : "");
  /* Hand the streams to pumps. */
  pthread_mutex_lock(&gcs_lock);
  if (s->tty) p->tty = dup(master);
  int in_to = -1, out_from = -1;
  if (s->tty) {
    if (socks[0] >= 0) in_to = dup(master);
    if (socks[1] >= 0) out_from = dup(master);
  } else {
    in_to = parent_fds[0];
    out_from = parent_fds[1];
    parent_fds[0] = parent_fds[1] = -1;
  }
  struct job {
    int from, to;
    bool output;
  } jobs[3];
  int njobs = 0;
  if (socks[0] >= 0 && in_to >= 0) {
    p->stdin_sock = socks[0];
    if (p->exited) shutdown(socks[0], SHUT_RDWR);
    jobs[njobs++] = (struct job){socks[0], in_to, false};
    socks[0] = -1;
  }
  if (socks[1] >= 0 && out_from >= 0) {
    jobs[njobs++] = (struct job){out_from, socks[1], true};
    socks[1] = -1;
    p->outputs++;
  }
  if (socks[2] >= 0 && !s->tty) {
    jobs[njobs++] = (struct job){parent_fds[2], socks[2], true};
    parent_fds[2] = -1;
    socks[2] = -1;
    p->outputs++;
  }
  p->pumps += njobs;
  pid_t pid = p->pid;
  pthread_mutex_unlock(&gcs_lock);
  for (int i = 0; i < njobs; i++) start_pump(p, jobs[i].from, jobs[i].to, jobs[i].output);
  jw_key(out, "ProcessId");
  jw_uint(out, (uint64_t)pid);
  rc = 0;
out:
  for (int i = 0; i < 3; i++) {
    if (socks[i] >= 0) {
      shutdown(socks[i], SHUT_WR);
      close(socks[i]);
    }
    if (!s || !s->tty) {
      if (child_fds[i] >= 0) close(child_fds[i]);
    }
    if (parent_fds[i] >= 0) close(parent_fds[i]);
  }
  if (slave >= 0) close(slave);
  if (master >= 0) close(master);
  if (s != NULL) spec_free(s);
  free(s);
  free(store);
  json_free(&pd);
  return rc;
}

static int find_pid(request *r, uint64_t *pid, gerr *e) {
  if (f_uint(r->root, "ProcessId", 0xFFFFFFFFu, pid, e) != 0) return -1;
  return 0;
}

int rpc_wait_for_process(request *r, json_writer *out, gerr *e) {
  uint64_t pid, timeout;
  if (find_pid(r, &pid, e) != 0 || f_uint(r->root, "TimeoutInMs", 0xFFFFFFFFu, &timeout, e) != 0) return -1;
  if (!r->null_container) return GFAIL(e, HR_SYSTEM_NOT_FOUND, "container %s does not exist", r->container_id);
  uint64_t start = now_ms();
  bool infinite = timeout == 0xFFFFFFFFu;
  pthread_mutex_lock(&gcs_lock);
  proc *p = find_locked((pid_t)pid);
  if (p == NULL || p->helper) {
    pthread_mutex_unlock(&gcs_lock);
    return GFAIL(e, HR_NOT_FOUND, "process %llu not found", (unsigned long long)pid);
  }
  p->waiters++;
  for (;;) {
    uint64_t now = now_ms();
    if (p->exited && (p->outputs == 0 || now >= p->exit_ms + OUTPUT_GRACE_MS)) break;
    if (!conn_alive(r->c)) {
      p->waiters--;
      pthread_mutex_unlock(&gcs_lock);
      return 1; /* the bridge is gone: nobody to answer */
    }
    if (!infinite && now >= start + timeout) {
      p->waiters--;
      pthread_mutex_unlock(&gcs_lock);
      return GFAIL(e, HR_TIMEOUT, "timed out waiting for process %llu to exit", (unsigned long long)pid);
    }
    uint64_t until = now + 1000;
    if (!infinite && start + timeout < until) until = start + timeout;
    if (p->exited && p->exit_ms + OUTPUT_GRACE_MS < until) until = p->exit_ms + OUTPUT_GRACE_MS;
    timed_wait_locked(until);
  }
  uint32_t code = p->exit_code;
  p->waiters--;
  p->reported = true;
  if (p->waiters == 0 && p->in_table) remove_locked(p);
  pthread_mutex_unlock(&gcs_lock);
  jw_key(out, "ExitCode");
  jw_uint(out, code);
  return 0;
}

int rpc_signal_process(request *r, json_writer *out, gerr *e) {
  (void)out;
  uint64_t pid;
  const json_value *opts;
  int64_t sig = 0;
  if (find_pid(r, &pid, e) != 0 || f_obj(r->root, "Options", &opts, e) != 0) return -1;
  if (opts != NULL && f_int(opts, "Signal", INT32_MIN, INT32_MAX, &sig, e) != 0) return -1;
  if (!r->null_container || cfg.strict_null_container)
    return GFAIL(e, HR_SYSTEM_NOT_FOUND, "container %s does not exist", r->container_id);
  if (sig == 0) sig = SIGKILL;
  pthread_mutex_lock(&gcs_lock);
  proc *p = find_locked((pid_t)pid);
  if (p == NULL || p->exited || p->helper) {
    pthread_mutex_unlock(&gcs_lock);
    return GFAIL(e, HR_NOT_FOUND, "process %llu not found", (unsigned long long)pid);
  }
  int rc = kill((pid_t)pid, (int)sig);
  int errnum = errno;
  pthread_mutex_unlock(&gcs_lock);
  if (rc != 0) return GFAIL(e, hr_from_errno(errnum), "signal %lld to process %llu: %s", (long long)sig,
                            (unsigned long long)pid, strerror(errnum));
  LOGI("signal %lld sent to process %llu", (long long)sig, (unsigned long long)pid);
  return 0;
}

int rpc_resize_console(request *r, json_writer *out, gerr *e) {
  (void)out;
  uint64_t pid, h, w;
  if (find_pid(r, &pid, e) != 0 || f_uint(r->root, "Height", 0xFFFF, &h, e) != 0 ||
      f_uint(r->root, "Width", 0xFFFF, &w, e) != 0)
    return -1;
  if (!r->null_container || cfg.strict_null_container)
    return GFAIL(e, HR_SYSTEM_NOT_FOUND, "container %s does not exist", r->container_id);
  pthread_mutex_lock(&gcs_lock);
  proc *p = find_locked((pid_t)pid);
  if (p == NULL || p->exited || p->helper) {
    pthread_mutex_unlock(&gcs_lock);
    return GFAIL(e, HR_NOT_FOUND, "process %llu not found", (unsigned long long)pid);
  }
  if (p->tty < 0) {
    pthread_mutex_unlock(&gcs_lock);
    return GFAIL(e, HR_E_FAIL, "process %llu has no console", (unsigned long long)pid);
  }
  struct winsize ws = {.ws_row = (unsigned short)h, .ws_col = (unsigned short)w};
  int rc = ioctl(p->tty, TIOCSWINSZ, &ws);
  int errnum = errno;
  pthread_mutex_unlock(&gcs_lock);
  if (rc != 0) return GFAIL(e, HR_E_FAIL, "resize console: %s", strerror(errnum));
  return 0;
}

void process_describe(char *buf, size_t cap) {
  size_t len = 0;
  pthread_mutex_lock(&gcs_lock);
  len += (size_t)snprintf(buf + len, cap - len, "processes: %d\n", nprocs);
  for (proc *p = procs; p != NULL && len + 128 < cap; p = p->next)
    len += (size_t)snprintf(buf + len, cap - len, "process %d %s%s waiters %d outputs %d\n", (int)p->pid,
                            p->exited ? "exited" : "running", p->tty >= 0 ? " console" : "", p->waiters, p->outputs);
  pthread_mutex_unlock(&gcs_lock);
}
