/*
 * rpc.c — NegotiateProtocol (§4.4, the Linux GCS's exact reply) and the container-level
 * procedures. No containers exist yet (runc/crun come later): Create of a container answers
 * E_FAIL after the checks the Linux GCS makes first; Start of any id is a no-op (Result 0, as the
 * Linux GCS answers even unknown ids); Shutdown/DeleteContainerState of a container id answer
 * 0xC037010E; Shutdown of the null container powers the VM off with no reply.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "gcs.h"

atomic_bool gcs_shutting_down;

int rpc_negotiate(const json_value *root, json_writer *out, gerr *e) {
  uint64_t min, max;
  if (f_uint(root, "MinimumVersion", 0xFFFFFFFFu, &min, e) != 0) return -1;
  if (f_uint(root, "MaximumVersion", 0xFFFFFFFFu, &max, e) != 0) return -1;
  if (max < 4 || min > 4)
    return GFAIL(e, HR_UNSUPPORTED_VERSION, "bridge: the protocol range %llu..%llu does not include version 4",
                 (unsigned long long)min, (unsigned long long)max);
  jw_key(out, "Version");
  jw_uint(out, max < 4 ? max : 4);
  jw_key(out, "Capabilities");
  jw_raw(out,
         "{\"SupportedSchemaVersions\":[{\"Major\":2,\"Minor\":1}],\"RuntimeOsType\":\"Linux\","
         "\"GuestDefinedCapabilities\":{\"NamespaceAddRequestSupported\":true,\"SignalProcessSupported\":true,"
         "\"DumpStacksSupported\":true,\"DeleteContainerStateSupported\":true}}",
         strlen("{\"SupportedSchemaVersions\":[{\"Major\":2,\"Minor\":1}],\"RuntimeOsType\":\"Linux\","
                "\"GuestDefinedCapabilities\":{\"NamespaceAddRequestSupported\":true,\"SignalProcessSupported\":true,"
                "\"DumpStacksSupported\":true,\"DeleteContainerStateSupported\":true}}"));
  return 0;
}

/* Parse an AnyInString field (§4.1) into `doc`. */
static int inner_doc(const json_value *root, const char *key, json_doc *doc, gerr *e) {
  const char *text;
  if (f_str(root, key, &text, e) != 0) return -1;
  if (json_parse(doc, text, strlen(text)) != 0)
    return GFAIL(e, HR_INVALID_JSON, "failed to unmarshal %s: %s", key, doc->error);
  return 0;
}

int rpc_create(request *r, json_writer *out, gerr *e) {
  (void)out;
  json_doc d = {0};
  if (inner_doc(r->root, "ContainerConfig", &d, e) != 0) {
    json_free(&d);
    return -1;
  }
  int rc;
  if (r->null_container) {
    rc = GFAIL(e, HR_SYSTEM_EXISTS, "the utility VM (container %s) already exists", NULL_CONTAINER_ID);
  } else {
    const json_value *sv = json_get(d.root, "SchemaVersion");
    int64_t major = 0, minor = 0;
    json_int(json_get(sv, "Major"), 0, 0xFFFFFFFF, &major);
    json_int(json_get(sv, "Minor"), 0, 0xFFFFFFFF, &minor);
    if (d.root->type != JSON_OBJECT || major < 2 || (major == 2 && minor < 1))
      rc = GFAIL(e, HR_INVALID_JSON, "invalid schema version %lld.%lld: 2.1 or later is required", (long long)major,
                 (long long)minor);
    else
      rc = GFAIL(e, HR_E_FAIL, "container %s: containers are not supported by uvmkit-gcs " GCS_VERSION
                 " (processes run in the utility VM only)",
                 r->container_id);
  }
  json_free(&d);
  return rc;
}

int rpc_start(request *r, json_writer *out, gerr *e) {
  (void)r, (void)out, (void)e;
  return 0;
}

int rpc_shutdown(request *r, json_writer *out, gerr *e) {
  (void)out;
  if (!r->null_container)
    return GFAIL(e, HR_SYSTEM_NOT_FOUND, "container %s does not exist", r->container_id);
  bool forced = r->type == RPC_SHUTDOWN_FORCED;
  LOGW("%s of the utility VM: stopping the bridge%s", forced ? "ShutdownForced" : "ShutdownGraceful",
       cfg.allow_poweroff ? " and powering off" : "");
  atomic_store(&gcs_shutting_down, true);
  if (cfg.allow_poweroff) {
    sync();
    reboot(RB_POWER_OFF);
    LOGE("power off failed");
  }
  _exit(0);
  return 1;
}

int rpc_get_properties(request *r, json_writer *out, gerr *e) {
  (void)out;
  const char *q;
  if (f_str(r->root, "Query", &q, e) != 0) return -1;
  if (q[0] != '\0') {
    json_doc d;
    int bad = json_parse(&d, q, strlen(q));
    json_free(&d);
    if (bad != 0) return GFAIL(e, HR_INVALID_JSON, "failed to unmarshal Query: %s", d.error);
  }
  if (r->null_container) return GFAIL(e, HR_E_FAIL, "GetProperties is not supported on the utility VM");
  return GFAIL(e, HR_SYSTEM_NOT_FOUND, "container %s does not exist", r->container_id);
}

int rpc_delete_container_state(request *r, json_writer *out, gerr *e) {
  (void)out;
  return GFAIL(e, HR_SYSTEM_NOT_FOUND, "container %s does not exist", r->container_id);
}

/* Threads (name, state, wait channel) and processes: the C agent's "goroutine dump". */
int rpc_dump_stacks(request *r, json_writer *out, gerr *e) {
  (void)r, (void)e;
  size_t cap = 48 * 1024, len = 0;
  char *text = malloc(cap);
  if (text == NULL) return GFAIL(e, HR_E_FAIL, "out of memory");
  len += (size_t)snprintf(text + len, cap - len, "uvmkit-gcs %s pid %d\n", GCS_VERSION, getpid());
  DIR *dir = opendir("/proc/self/task");
  if (dir != NULL) {
    struct dirent *de;
    while ((de = readdir(dir)) != NULL && len + 512 < cap) {
      if (de->d_name[0] == '.') continue;
      char path[320], comm[64] = "", wchan[64] = "", stat[256] = "";
      snprintf(path, sizeof path, "/proc/self/task/%s/comm", de->d_name);
      read_text(path, comm, sizeof comm);
      snprintf(path, sizeof path, "/proc/self/task/%s/wchan", de->d_name);
      read_text(path, wchan, sizeof wchan);
      snprintf(path, sizeof path, "/proc/self/task/%s/stat", de->d_name);
      read_text(path, stat, sizeof stat);
      const char *st = strrchr(stat, ')');
      len += (size_t)snprintf(text + len, cap - len, "thread %s [%s] state %c wchan %s\n", de->d_name, comm,
                              st != NULL && st[1] == ' ' ? st[2] : '?', wchan[0] ? wchan : "-");
    }
    closedir(dir);
  }
  if (len + 1024 < cap) process_describe(text + len, cap - len);
  jw_key(out, "GuestStacks");
  jw_str(out, text);
  free(text);
  return 0;
}
