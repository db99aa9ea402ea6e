/*
 * modify.c — ModifySettings routing (gcs-protocol.md §5, §10) as the Linux GCS routes it.
 *
 * `Request` must be an object (a string or broken JSON is 0xC037010D); an empty RequestType is
 * "Add". On the null container: MappedVirtualDisk, SCSIDevice (Remove), MappedDirectory,
 * VPMemDevice, VPCIDevice (Add), Network, CombinedLayers, SecurityPolicy, SecurityPolicyFragment,
 * PodCgroupMemoryLimit (Update); any other ResourceType (HvSocket, NetworkNamespace, WCOW types,
 * unknown) is 0x80004005 "invalid ResourceType". On another id only ContainerConstraints is
 * routed (to a container: none exist, 0xC037010E); anything else is E_FAIL.
 * Resources are serialised by one lock (mount tables and netlink state stay consistent).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcs.h"

static pthread_mutex_t modify_lock = PTHREAD_MUTEX_INITIALIZER;
static bool policy_set;

uint64_t root_mem_reserve_bytes = 75ull * 1024 * 1024;

/* The containers cgroup's memory.max = MemTotal - the root reserve (what the Linux GCS sets on
 * /containers at start, and again on PodCgroupMemoryLimit after memory was hot-added). */
int cgroup_update_memory_limit(gerr *e) {
  char info[8192];
  if (read_text("/proc/meminfo", info, sizeof info) < 0)
    return GFAIL(e, HR_E_FAIL, "/proc/meminfo: %s", strerror(errno));
  const char *m = strstr(info, "MemTotal:");
  unsigned long long kb = 0;
  if (m == NULL || sscanf(m, "MemTotal: %llu kB", &kb) != 1)
    return GFAIL(e, HR_E_FAIL, "/proc/meminfo has no MemTotal");
  unsigned long long total = kb * 1024ull;
  unsigned long long limit = total > root_mem_reserve_bytes ? total - root_mem_reserve_bytes : total;
  char dir[4096], file[4200], value[32];
  snprintf(dir, sizeof dir, "%s/containers", cfg.cgroup);
  if (mkdir_p(dir, 0755) != 0) return GFAIL(e, HR_E_FAIL, "cgroup %s: %s", dir, strerror(errno));
  snprintf(file, sizeof file, "%s/memory.max", dir);
  snprintf(value, sizeof value, "%llu", limit);
  if (write_text(file, value) != 0) return GFAIL(e, HR_E_FAIL, "%s: %s", file, strerror(errno));
  LOGI("cgroup %s: memory.max = %llu (MemTotal %llu - reserve %llu)", dir, limit, total,
       (unsigned long long)root_mem_reserve_bytes);
  return 0;
}

static int security_policy(const json_value *s, gerr *e) {
  const char *enforcer, *policy;
  if (f_str(s, "EnforcerType", &enforcer, e) != 0 || f_str(s, "EncodedSecurityPolicy", &policy, e) != 0) return -1;
  if (policy_set) return GFAIL(e, HR_E_FAIL, "security policy has already been set");
  policy_set = true;
  LOGW("security policy recorded (enforcer %s, %zu bytes): uvmkit-gcs does not enforce policies",
       enforcer[0] ? enforcer : "default", strlen(policy));
  return 0;
}

static int policy_fragment(const json_value *s, gerr *e) {
  const char *fragment;
  if (f_str(s, "Fragment", &fragment, e) != 0) return -1;
  return GFAIL(e, HR_E_FAIL, "failed to inject the policy fragment: COSE validation is not supported by uvmkit-gcs");
}

int rpc_modify_settings(request *r, json_writer *out, gerr *e) {
  (void)out;
  const json_value *req = json_get(r->root, "Request");
  if (req != NULL && req->type != JSON_OBJECT && req->type != JSON_NULL)
    return GFAIL(e, HR_INVALID_JSON, "failed to unmarshal ModifySettings: Request is a %s, not an object",
                 json_type_name(req));
  const char *resource, *rtype;
  const json_value *s;
  if (f_str(req, "ResourceType", &resource, e) != 0 || f_str(req, "RequestType", &rtype, e) != 0) return -1;
  const json_value *sv = json_get(req, "Settings");
  if (sv != NULL && sv->type != JSON_OBJECT && sv->type != JSON_NULL)
    return GFAIL(e, HR_INVALID_JSON, "failed to unmarshal Settings of %s: a %s, not an object", resource,
                 json_type_name(sv));
  s = sv != NULL && sv->type == JSON_OBJECT ? sv : NULL;
  if (rtype[0] == '\0') rtype = "Add";
  if (!r->null_container) {
    if (strcmp(resource, "ContainerConstraints") != 0)
      return GFAIL(e, HR_E_FAIL, "invalid ResourceType %s for a container modify", resource);
    return GFAIL(e, HR_SYSTEM_NOT_FOUND, "container %s does not exist", r->container_id);
  }
  bool add = strcmp(rtype, "Add") == 0, remove = strcmp(rtype, "Remove") == 0, update = strcmp(rtype, "Update") == 0;
#define NEED(cond)                                                                                   \
  do {                                                                                               \
    if (!(cond)) return GFAIL(e, HR_E_FAIL, "invalid RequestType %s for ResourceType %s", rtype, resource); \
  } while (0)
  int rc;
  pthread_mutex_lock(&modify_lock);
  if (strcmp(resource, "MappedVirtualDisk") == 0) {
    if (!add && !remove) goto bad_rt;
    rc = res_mapped_virtual_disk(add, s, e);
  } else if (strcmp(resource, "SCSIDevice") == 0) {
    if (!remove) goto bad_rt;
    rc = res_scsi_device_remove(s, e);
  } else if (strcmp(resource, "MappedDirectory") == 0) {
    if (!add && !remove) goto bad_rt;
    rc = res_mapped_directory(add, s, e);
  } else if (strcmp(resource, "VPMemDevice") == 0) {
    if (!add && !remove) goto bad_rt;
    rc = res_vpmem_device(add, s, e);
  } else if (strcmp(resource, "VPCIDevice") == 0) {
    if (!add) goto bad_rt;
    const char *bus;
    rc = f_str(s, "VMBusGUID", &bus, e);
    if (rc == 0)
      rc = GFAIL(e, HR_E_FAIL, "VPCI device %s: this guest has no VMBus (assigned PCI devices are not supported)",
                 bus);
  } else if (strcmp(resource, "Network") == 0) {
    if (!add && !remove) goto bad_rt;
    rc = res_network(add, s, e);
  } else if (strcmp(resource, "CombinedLayers") == 0) {
    if (!add && !remove) goto bad_rt;
    rc = res_combined_layers(add, s, e);
  } else if (strcmp(resource, "SecurityPolicy") == 0) {
    if (!add) goto bad_rt;
    rc = security_policy(s, e);
  } else if (strcmp(resource, "SecurityPolicyFragment") == 0) {
    if (!add) goto bad_rt;
    rc = policy_fragment(s, e);
  } else if (strcmp(resource, "PodCgroupMemoryLimit") == 0) {
    if (!update) goto bad_rt;
    rc = cgroup_update_memory_limit(e);
  } else {
    rc = GFAIL(e, HR_E_FAIL, "invalid ResourceType %s", resource);
  }
  pthread_mutex_unlock(&modify_lock);
  if (rc == 0) LOGI("ModifySettings %s %s: done", rtype, resource);
  else LOGW("ModifySettings %s %s: 0x%08x %s", rtype, resource, e->hr, e->msg);
  return rc;
bad_rt:
  pthread_mutex_unlock(&modify_lock);
  NEED(false);
  return -1;
#undef NEED
}
