/*
 * storage.c — the mount resources of ModifySettings (gcs-protocol.md §5):
 *
 * - MappedVirtualDisk: SCSI controller index i is the i-th virtio-scsi host (sysfs
 *   class/scsi_host/host<N>/proc_name == "virtio_scsi", in host-number order, i.e. probe order);
 *   the disk is bus/scsi/devices/<host>:0:0:<lun>/block/<name>, waited for up to
 *   --device-timeout (after one targeted sysfs scan: a LUN the scan does not find fails at once); mounted at MountPath (ext4/xfs/erofs probed, or Filesystem; ReadOnly;
 *   Options as mount flags/data; EnsureFilesystem runs mkfs.<fs> on an empty disk; BlockDev
 *   bind-mounts the device node itself). Remove unmounts.
 * - SCSIDevice Remove: writes 1 to the device's sysfs `delete` (the hot-unplug cleanup).
 * - MappedDirectory: the share's tag over 9p (trans=virtio) or virtiofs, whichever the guest has
 *   (or, with --share-bind-root, a bind mount of <root>/<ShareName>: for host tests).
 * - VPMemDevice: <dev>/pmem<N>, read-only, with dax where the filesystem allows it.
 * - CombinedLayers: overlayfs of the layers (lowerdir in the given order) with ScratchPath/upper
 *   and ScratchPath/work, read-only without a scratch.
 * A Remove of something that is not mounted succeeds (§10).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gcs.h"

#define MAX_OPTIONS 64

/* ---- mount helpers ---- */

static const struct {
  const char *name;
  unsigned long set, clear;
} flag_table[] = {
    {"ro", MS_RDONLY, 0},        {"rw", 0, MS_RDONLY},          {"nosuid", MS_NOSUID, 0},
    {"suid", 0, MS_NOSUID},      {"nodev", MS_NODEV, 0},        {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},    {"exec", 0, MS_NOEXEC},        {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS}, {"noatime", MS_NOATIME, 0},   {"atime", 0, MS_NOATIME},
    {"nodiratime", MS_NODIRATIME, 0}, {"relatime", MS_RELATIME, 0}, {"strictatime", MS_STRICTATIME, 0},
    {"dirsync", MS_DIRSYNC, 0},  {"defaults", 0, 0},
};

static int mount_options(const char **opts, size_t n, unsigned long *flags, char *data, size_t cap, gerr *e) {
  size_t len = strlen(data);
  for (size_t i = 0; i < n; i++) {
    bool known = false;
    for (size_t k = 0; k < sizeof flag_table / sizeof flag_table[0]; k++) {
      if (strcmp(opts[i], flag_table[k].name) == 0) {
        *flags = (*flags | flag_table[k].set) & ~flag_table[k].clear;
        known = true;
      }
    }
    if (known || opts[i][0] == '\0') continue;
    size_t k = strlen(opts[i]);
    if (len + k + 2 >= cap) return GFAIL(e, HR_E_INVALIDARG, "mount options are too long");
    if (len > 0) data[len++] = ',';
    memcpy(data + len, opts[i], k + 1);
    len += k;
  }
  return 0;
}

static int unmount_path(const char *path, bool remove_dir, gerr *e) {
  struct stat st;
  if (lstat(path, &st) != 0) return 0; /* absent */
  if (is_mount_point(path)) {
    if (umount2(path, 0) != 0) return GFAIL(e, HR_E_FAIL, "unmount %s: %s", path, strerror(errno));
  }
  if (remove_dir) {
    if (S_ISDIR(st.st_mode)) rmdir(path);
    else if (S_ISREG(st.st_mode) && st.st_size == 0) unlink(path);
  }
  return 0;
}

/* Create the mount point (a directory, or an empty file for a device bind). */
static int make_target(const char *path, bool file, gerr *e) {
  if (!file) {
    if (mkdir_p(path, 0755) != 0) return GFAIL(e, HR_E_FAIL, "mkdir %s: %s", path, strerror(errno));
    return 0;
  }
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", path);
  char *slash = strrchr(parent, '/');
  if (slash != NULL && slash != parent) {
    *slash = '\0';
    if (mkdir_p(parent, 0755) != 0) return GFAIL(e, HR_E_FAIL, "mkdir %s: %s", parent, strerror(errno));
  }
  int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return GFAIL(e, HR_E_FAIL, "create %s: %s", path, strerror(errno));
  close(fd);
  return 0;
}

static int wait_path(const char *path, uint64_t deadline) {
  for (;;) {
    if (access(path, F_OK) == 0) return 0;
    if (now_ms() >= deadline) return -1;
    sleep_ms(20);
  }
}

/* ext2/3/4, xfs, erofs from the superblock; "" when none is recognised. */
static const char *probe_fs(const char *dev) {
  unsigned char b[2048];
  int fd = open(dev, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  ssize_t n = pread(fd, b, sizeof b, 0);
  close(fd);
  if (n < (ssize_t)sizeof b) return "";
  if (b[0x438] == 0x53 && b[0x439] == 0xEF) return "ext4";
  if (memcmp(b, "XFSB", 4) == 0) return "xfs";
  if (b[1024] == 0xE2 && b[1025] == 0xE1 && b[1026] == 0xF5 && b[1027] == 0xE0) return "erofs";
  return "";
}

/* ---- SCSI ---- */

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* The SCSI host number of virtio-scsi controller `index`, or -1. */
static int scsi_host(unsigned index) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/class/scsi_host", cfg.sysfs);
  DIR *d = opendir(path);
  if (d == NULL) return -1;
  int hosts[64], n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL && n < 64) {
    if (strncmp(de->d_name, "host", 4) != 0 || !isdigit((unsigned char)de->d_name[4])) continue;
    char file[PATH_MAX + 300], name[64];
    snprintf(file, sizeof file, "%s/%s/proc_name", path, de->d_name);
    if (read_text(file, name, sizeof name) < 0 || strcmp(name, "virtio_scsi") != 0) continue;
    hosts[n++] = atoi(de->d_name + 4);
  }
  closedir(d);
  qsort(hosts, (size_t)n, sizeof hosts[0], cmp_int);
  return index < (unsigned)n ? hosts[index] : -1;
}

/* The block device name of (host, lun), or "" if absent. */
static void scsi_block(int host, unsigned lun, char *name, size_t cap) {
  char path[PATH_MAX];
  name[0] = '\0';
  snprintf(path, sizeof path, "%s/bus/scsi/devices/%d:0:0:%u/block", cfg.sysfs, host, lun);
  DIR *d = opendir(path);
  if (d == NULL) return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    size_t k = strnlen(de->d_name, sizeof de->d_name);
    if (k < cap) memcpy(name, de->d_name, k + 1);
    break;
  }
  closedir(d);
}

/* Ask the kernel to scan <host>:0:0:<lun> now (sysfs scan, synchronous: when the write returns, a
 * LUN the host attached is a SCSI device, even if its block device is still probing). True when
 * the scan ran and found no such LUN; false when it is there or no scan could be asked (no `scan`
 * file: it is never created). */
static bool scsi_scan_absent(int host, unsigned lun) {
  char path[PATH_MAX], value[32];
  snprintf(path, sizeof path, "%s/class/scsi_host/host%d/scan", cfg.sysfs, host);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int n = snprintf(value, sizeof value, "0 0 %u", lun);
  ssize_t w = write(fd, value, (size_t)n);
  close(fd);
  if (w != n) return false;
  struct stat st;
  snprintf(path, sizeof path, "%s/bus/scsi/devices/%d:0:0:%u", cfg.sysfs, host, lun);
  return stat(path, &st) != 0 && errno == ENOENT;
}

int res_mapped_virtual_disk(bool add, const json_value *s, gerr *e) {
  const char *mount_path, *filesystem;
  uint64_t lun, controller, partition;
  bool ro, encrypted, block_dev, ensure;
  const char *opts[MAX_OPTIONS];
  size_t nopts;
  if (f_str(s, "MountPath", &mount_path, e) || f_uint(s, "Lun", 0xFF, &lun, e) ||
      f_uint(s, "Controller", 0xFF, &controller, e) || f_uint(s, "Partition", UINT64_MAX, &partition, e) ||
      f_bool(s, "ReadOnly", &ro, e) || f_bool(s, "Encrypted", &encrypted, e) ||
      f_strs(s, "Options", opts, MAX_OPTIONS, &nopts, e) || f_bool(s, "BlockDev", &block_dev, e) ||
      f_bool(s, "EnsureFilesystem", &ensure, e) || f_str(s, "Filesystem", &filesystem, e))
    return -1;
  if (check_path("MountPath", mount_path, e) != 0) return -1;
  if (!add) return unmount_path(mount_path, true, e);
  if (controller > 3) return GFAIL(e, HR_E_INVALIDARG, "SCSI controller index %llu is out of range (0..3)",
                                   (unsigned long long)controller);
  if (encrypted) return GFAIL(e, HR_E_FAIL, "encrypted SCSI disks are not supported by uvmkit-gcs");
  uint64_t deadline = now_ms() + (uint64_t)cfg.device_timeout_ms;
  int host;
  char name[64] = "";
  bool scanned = false, absent = false;
  for (;;) {
    host = scsi_host((unsigned)controller);
    if (host >= 0) scsi_block(host, (unsigned)lun, name, sizeof name);
    if (name[0] != '\0' || now_ms() >= deadline) break;
    /* not there yet: one targeted scan tells a LUN still probing from one the host never attached
     * (the host attaches before it asks the guest), so an absent disk fails now, not at the deadline */
    if (host >= 0 && !scanned) {
      scanned = true;
      absent = scsi_scan_absent(host, (unsigned)lun);
      if (absent) break;
    }
    sleep_ms(20);
  }
  if (absent)
    return GFAIL(e, HR_NOT_FOUND, "no SCSI disk at controller %llu LUN %llu (a scan of SCSI host %d found none)",
                 (unsigned long long)controller, (unsigned long long)lun, host);
  if (name[0] == '\0')
    return GFAIL(e, HR_NOT_FOUND, "no SCSI disk at controller %llu LUN %llu after %d ms%s",
                 (unsigned long long)controller, (unsigned long long)lun, cfg.device_timeout_ms,
                 host < 0 ? " (no such virtio-scsi controller)" : "");
  char dev[PATH_MAX];
  if (partition > 0) snprintf(dev, sizeof dev, "%s/%s%llu", cfg.dev, name, (unsigned long long)partition);
  else snprintf(dev, sizeof dev, "%s/%s", cfg.dev, name);
  if (wait_path(dev, deadline) != 0) return GFAIL(e, HR_NOT_FOUND, "device node %s did not appear", dev);
  if (block_dev) {
    if (make_target(mount_path, true, e) != 0) return -1;
    if (mount(dev, mount_path, NULL, MS_BIND | (ro ? MS_RDONLY : 0), NULL) != 0) {
      int err = errno;
      unlink(mount_path);
      return GFAIL(e, HR_E_FAIL, "bind %s at %s: %s", dev, mount_path, strerror(err));
    }
    LOGI("SCSI %llu:%llu (%s) bound at %s", (unsigned long long)controller, (unsigned long long)lun, dev, mount_path);
    return 0;
  }
  const char *fs = filesystem[0] != '\0' ? filesystem : probe_fs(dev);
  if (ensure && probe_fs(dev)[0] == '\0') {
    const char *mkfs_fs = filesystem[0] != '\0' ? filesystem : "ext4";
    char prog[64];
    snprintf(prog, sizeof prog, "mkfs.%s", mkfs_fs);
    char *argv[] = {prog, dev, NULL};
    char *argv_ext[] = {prog, "-q", "-F", dev, NULL};
    int code = run_helper(strncmp(mkfs_fs, "ext", 3) == 0 ? argv_ext : argv, e);
    if (code < 0) return -1;
    if (code != 0) return GFAIL(e, HR_E_FAIL, "%s %s exited with %d", prog, dev, code);
    fs = mkfs_fs;
  }
  if (fs[0] == '\0') fs = "ext4";
  unsigned long flags = ro ? MS_RDONLY : 0;
  char data[1024] = "";
  if (mount_options(opts, nopts, &flags, data, sizeof data, e) != 0) return -1;
  if (make_target(mount_path, false, e) != 0) return -1;
  /* A disk hot-added a moment ago may still be probing (its node exists, the driver answers
   * ENXIO/ENODEV for a while): retry those until the device deadline. */
  uint64_t mount_deadline = now_ms() + (uint64_t)cfg.device_timeout_ms;
  while (mount(dev, mount_path, fs, flags, data[0] ? data : NULL) != 0) {
    int err = errno;
    if ((err == ENXIO || err == ENODEV || err == ENOENT) && now_ms() < mount_deadline) {
      usleep(20 * 1000);
      continue;
    }
    rmdir(mount_path);
    return GFAIL(e, HR_E_FAIL, "mount %s (%s) at %s: %s", dev, fs, mount_path, strerror(err));
  }
  LOGI("SCSI %llu:%llu (%s, %s) mounted at %s%s", (unsigned long long)controller, (unsigned long long)lun, dev, fs,
       mount_path, flags & MS_RDONLY ? " read-only" : "");
  return 0;
}

int res_scsi_device_remove(const json_value *s, gerr *e) {
  uint64_t lun, controller;
  if (f_uint(s, "Controller", 0xFF, &controller, e) || f_uint(s, "Lun", 0xFF, &lun, e)) return -1;
  int host = scsi_host((unsigned)controller);
  if (host < 0) return 0;
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/bus/scsi/devices/%d:0:0:%llu/delete", cfg.sysfs, host, (unsigned long long)lun);
  if (access(path, F_OK) != 0) return 0; /* already gone */
  if (write_text(path, "1") != 0) return GFAIL(e, HR_E_FAIL, "%s: %s", path, strerror(errno));
  LOGI("SCSI device %d:0:0:%llu deleted", host, (unsigned long long)lun);
  return 0;
}

/* ---- shares ---- */

/* Whether a 9p (kind 0) or virtiofs (kind 1) device carries `tag`. */
static bool has_tag(int kind, const char *tag) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, kind == 0 ? "%s/bus/virtio/drivers/9pnet_virtio" : "%s/fs/virtiofs", cfg.sysfs);
  DIR *d = opendir(path);
  if (d == NULL) return false;
  bool found = false;
  struct dirent *de;
  while (!found && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    char file[PATH_MAX + 300], t[256];
    snprintf(file, sizeof file, "%s/%s/%s", path, de->d_name, kind == 0 ? "mount_tag" : "tag");
    int n = read_text(file, t, sizeof t);
    if (n < 0) continue;
    if (strcmp(t, tag) == 0) found = true;
  }
  closedir(d);
  return found;
}

int res_mapped_directory(bool add, const json_value *s, gerr *e) {
  const char *mount_path, *share;
  int64_t port;
  bool ro;
  if (f_str(s, "MountPath", &mount_path, e) || f_int(s, "Port", INT32_MIN, INT32_MAX, &port, e) ||
      f_str(s, "ShareName", &share, e) || f_bool(s, "ReadOnly", &ro, e))
    return -1;
  if (check_path("MountPath", mount_path, e) != 0) return -1;
  if (!add) return unmount_path(mount_path, true, e);
  if (share[0] == '\0') return GFAIL(e, HR_E_INVALIDARG, "ShareName is required");
  if (strchr(share, '/') != NULL || strcmp(share, "..") == 0 || strcmp(share, ".") == 0 || strlen(share) > 200)
    return GFAIL(e, HR_E_INVALIDARG, "ShareName %s is not a valid share tag", share);
  unsigned long flags = ro ? MS_RDONLY : 0;
  if (cfg.share_bind_root != NULL) {
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", cfg.share_bind_root, share);
    struct stat st;
    if (stat(src, &st) != 0 || !S_ISDIR(st.st_mode)) return GFAIL(e, HR_NOT_FOUND, "no share named %s", share);
    if (make_target(mount_path, false, e) != 0) return -1;
    if (mount(src, mount_path, NULL, MS_BIND, NULL) != 0 ||
        (ro && mount(NULL, mount_path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0)) {
      int err = errno;
      umount2(mount_path, MNT_DETACH);
      rmdir(mount_path);
      return GFAIL(e, HR_E_FAIL, "bind %s at %s: %s", src, mount_path, strerror(err));
    }
    LOGI("share %s bound at %s%s", share, mount_path, ro ? " read-only" : "");
    return 0;
  }
  /* A 9p device lists its tag in sysfs; a virtiofs tag is only visible from kernel 6.10 on, so
   * virtiofs is simply tried. Hot-plugged devices may still be probing: retry until the deadline. */
  uint64_t deadline = now_ms() + (uint64_t)cfg.device_timeout_ms;
  if (make_target(mount_path, false, e) != 0) return -1;
  int rc = -1, err = ENOENT;
  const char *how = "";
  for (;;) {
    bool ninep = has_tag(0, share);
    if (ninep) {
      rc = mount(share, mount_path, "9p", flags, "trans=virtio,version=9p2000.L,msize=262144");
      how = "9p";
    } else {
      rc = mount(share, mount_path, "virtiofs", flags, NULL);
      how = "virtiofs";
    }
    err = errno;
    bool last = now_ms() >= deadline;
    if (rc != 0 && last && !ninep) {
      rc = mount(share, mount_path, "9p", flags, "trans=virtio,version=9p2000.L,msize=262144");
      err = errno;
      how = "9p";
    }
    if (rc == 0 || last || (ninep && err != ENOENT)) break;
    sleep_ms(50);
  }
  if (rc != 0) {
    rmdir(mount_path);
    return GFAIL(e, err == ENOENT || err == ENODEV ? HR_NOT_FOUND : HR_E_FAIL,
                 "mount share %s at %s (%s): %s%s", share, mount_path, how, strerror(err),
                 err == ENOENT ? " (no 9p or virtiofs device has this tag)" : "");
  }
  LOGI("share %s mounted at %s over %s%s (vsock port %lld unused: virtio transport)", share, mount_path, how,
       ro ? " read-only" : "", (long long)port);
  return 0;
}

/* ---- VPMem ---- */

int res_vpmem_device(bool add, const json_value *s, gerr *e) {
  uint64_t n;
  const char *mount_path;
  const json_value *mapping;
  if (f_uint(s, "DeviceNumber", 0xFFFFFFFFu, &n, e) || f_str(s, "MountPath", &mount_path, e) ||
      f_obj(s, "MappingInfo", &mapping, e))
    return -1;
  if (check_path("MountPath", mount_path, e) != 0) return -1;
  if (!add) return unmount_path(mount_path, true, e);
  if (mapping != NULL)
    return GFAIL(e, HR_E_FAIL, "VPMem MappingInfo (several layers on one device) is not supported by uvmkit-gcs");
  char dev[PATH_MAX];
  snprintf(dev, sizeof dev, "%s/pmem%llu", cfg.dev, (unsigned long long)n);
  if (wait_path(dev, now_ms() + (uint64_t)cfg.device_timeout_ms) != 0)
    return GFAIL(e, HR_NOT_FOUND, "no VPMem device %s after %d ms", dev, cfg.device_timeout_ms);
  const char *fs = probe_fs(dev);
  if (fs[0] == '\0') fs = "ext4";
  if (make_target(mount_path, false, e) != 0) return -1;
  bool dax = true;
  int rc = mount(dev, mount_path, fs, MS_RDONLY, "dax");
  if (rc != 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
    dax = false;
    rc = mount(dev, mount_path, fs, MS_RDONLY, NULL);
  }
  if (rc != 0) {
    int err = errno;
    rmdir(mount_path);
    return GFAIL(e, HR_E_FAIL, "mount %s (%s) at %s: %s", dev, fs, mount_path, strerror(err));
  }
  LOGI("VPMem %s (%s) mounted read-only at %s%s", dev, fs, mount_path, dax ? " with dax" : "");
  return 0;
}

/* ---- overlay ---- */

int res_combined_layers(bool add, const json_value *s, gerr *e) {
  const char *cid, *root, *scratch;
  const json_value *layers;
  if (f_str(s, "ContainerID", &cid, e) || f_str(s, "ContainerRootPath", &root, e) || f_arr(s, "Layers", &layers, e) ||
      f_str(s, "ScratchPath", &scratch, e))
    return -1;
  if (check_path("ContainerRootPath", root, e) != 0) return -1;
  if (!add) return unmount_path(root, true, e);
  size_t cap = 8192, len = 0;
  char *lower = malloc(cap);
  if (lower == NULL) return GFAIL(e, HR_E_FAIL, "out of memory");
  lower[0] = '\0';
  int count = 0;
  const char *only = NULL;
  for (const json_value *l = layers ? layers->child : NULL; l != NULL; l = l->next) {
    const char *path;
    if (l->type != JSON_OBJECT) {
      free(lower);
      return GFAIL(e, HR_INVALID_JSON, "json: cannot unmarshal %s into Layers of type Layer", json_type_name(l));
    }
    if (f_str(l, "Path", &path, e) != 0 || check_path("Layers.Path", path, e) != 0) {
      free(lower);
      return -1;
    }
    if (strpbrk(path, ":,") != NULL) {
      free(lower);
      return GFAIL(e, HR_E_INVALIDARG, "layer path %s contains ':' or ','", path);
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
      free(lower);
      return GFAIL(e, HR_NOT_FOUND, "layer %s is not a directory", path);
    }
    size_t k = strlen(path);
    if (len + k + 2 >= cap) {
      free(lower);
      return GFAIL(e, HR_E_INVALIDARG, "too many layers for one overlay");
    }
    if (len > 0) lower[len++] = ':';
    memcpy(lower + len, path, k + 1);
    len += k;
    only = path;
    count++;
  }
  if (count == 0) {
    free(lower);
    return GFAIL(e, HR_E_INVALIDARG, "Layers must name at least one layer");
  }
  if (make_target(root, false, e) != 0) {
    free(lower);
    return -1;
  }
  int rc;
  if (scratch[0] != '\0') {
    if (check_path("ScratchPath", scratch, e) != 0) {
      free(lower);
      return -1;
    }
    if (strpbrk(scratch, ":,") != NULL) {
      free(lower);
      return GFAIL(e, HR_E_INVALIDARG, "ScratchPath %s contains ':' or ','", scratch);
    }
    char upper[PATH_MAX], work[PATH_MAX];
    snprintf(upper, sizeof upper, "%s/upper", scratch);
    snprintf(work, sizeof work, "%s/work", scratch);
    if (mkdir_p(upper, 0755) != 0 || mkdir_p(work, 0755) != 0) {
      free(lower);
      return GFAIL(e, HR_E_FAIL, "scratch %s: %s", scratch, strerror(errno));
    }
    size_t dcap = len + 2 * PATH_MAX + 64;
    char *data = malloc(dcap);
    if (data == NULL) {
      free(lower);
      return GFAIL(e, HR_E_FAIL, "out of memory");
    }
    snprintf(data, dcap, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
    rc = mount("overlay", root, "overlay", 0, data);
    free(data);
  } else if (count == 1) {
    rc = mount(only, root, NULL, MS_BIND, NULL);
    if (rc == 0) rc = mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
  } else {
    size_t dcap = len + 32;
    char *data = malloc(dcap);
    if (data == NULL) {
      free(lower);
      return GFAIL(e, HR_E_FAIL, "out of memory");
    }
    snprintf(data, dcap, "lowerdir=%s", lower);
    rc = mount("overlay", root, "overlay", MS_RDONLY, data);
    free(data);
  }
  int err = errno;
  free(lower);
  if (rc != 0) {
    umount2(root, MNT_DETACH);
    rmdir(root);
    return GFAIL(e, HR_E_FAIL, "overlay at %s: %s", root, strerror(err));
  }
  LOGI("combined layers of %s (%d layers%s) at %s", cid[0] ? cid : "-", count, scratch[0] ? " + scratch" : "", root);
  return 0;
}
