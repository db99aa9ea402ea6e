/*
 * network.c — ResourceType "Network" (LCOWNetworkAdapter, gcs-protocol.md §5) configured in the
 * utility VM's own network namespace, over rtnetlink (no `ip` binary needed):
 * the NIC is the interface whose MAC is MacAddress (waited for up to --device-timeout after a
 * hot-add), else the first non-loopback Ethernet interface; it is brought up, each IPConfigs
 * address added (IPv4 or IPv6, PrefixLength), each Routes entry added (DestinationPrefix via
 * NextHop, Metric; the legacy GatewayAddress as a default route), and DNSServerList/DNSSuffix
 * written to resolv.conf. Remove deletes those addresses and sets the link down; an adapter
 * that is not there succeeds (§10).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gcs.h"

static void norm_mac(const char *in, char *out) {
  size_t i = 0;
  for (; in[i] && i < 17; i++) {
    char c = in[i] == '-' ? ':' : in[i];
    out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  out[i] = '\0';
}

/* Interface name by MAC ("" = first non-loopback Ethernet interface). */
static bool find_if(const char *mac, char *name, size_t cap) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/class/net", cfg.sysfs);
  DIR *d = opendir(path);
  if (d == NULL) return false;
  char want[32] = "";
  if (mac[0]) norm_mac(mac, want);
  char best[256] = "";
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || strcmp(de->d_name, "lo") == 0 || strlen(de->d_name) > IF_NAMESIZE) continue;
    char file[PATH_MAX + 300], v[64];
    if (want[0]) {
      snprintf(file, sizeof file, "%s/%s/address", path, de->d_name);
      if (read_text(file, v, sizeof v) < 0) continue;
      char got[32];
      norm_mac(v, got);
      if (strcmp(got, want) == 0) {
        snprintf(best, sizeof best, "%s", de->d_name);
        break;
      }
    } else {
      snprintf(file, sizeof file, "%s/%s/type", path, de->d_name);
      if (read_text(file, v, sizeof v) < 0 || strcmp(v, "1") != 0) continue;
      if (best[0] == '\0' || strcmp(de->d_name, best) < 0) snprintf(best, sizeof best, "%s", de->d_name);
    }
  }
  closedir(d);
  if (best[0] == '\0') return false;
  snprintf(name, cap, "%s", best);
  return true;
}

static int set_up(const char *ifname, bool up) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    if (up) ifr.ifr_flags |= IFF_UP;
    else ifr.ifr_flags &= ~IFF_UP;
    rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int err = errno;
  close(fd);
  errno = err;
  return rc;
}

typedef struct {
  struct nlmsghdr h;
  char body[512];
} nlmsg;

static void add_attr(nlmsg *m, unsigned short type, const void *data, size_t len) {
  size_t off = NLMSG_ALIGN(m->h.nlmsg_len);
  if (off + RTA_LENGTH(len) > sizeof *m) return;
  char *base = (char *)(void *)m;
  struct rtattr a = {.rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type};
  memcpy(base + off, &a, sizeof a);
  memcpy(base + off + RTA_LENGTH(0), data, len);
  m->h.nlmsg_len = (unsigned)(off + RTA_ALIGN(a.rta_len));
}

/* Send one request and read its ACK; 0, or -1 with errno. */
static int nl_call(nlmsg *m) {
  static atomic_uint seq;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  m->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  m->h.nlmsg_seq = atomic_fetch_add(&seq, 1) + 1;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (sendto(fd, m, m->h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EPROTO;
      close(fd);
      errno = err;
      return -1;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != m->h.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *er = NLMSG_DATA(h);
        close(fd);
        if (er->error == 0) return 0;
        errno = -er->error;
        return -1;
      }
    }
  }
}

static int parse_ip(const char *text, unsigned char *addr, int *family) {
  if (inet_pton(AF_INET, text, addr) == 1) {
    *family = AF_INET;
    return 4;
  }
  if (inet_pton(AF_INET6, text, addr) == 1) {
    *family = AF_INET6;
    return 16;
  }
  return -1;
}

static int addr_op(bool add, int ifindex, const char *ip, unsigned prefix, gerr *e) {
  unsigned char a[16];
  int family;
  int alen = parse_ip(ip, a, &family);
  if (alen < 0) return GFAIL(e, HR_E_INVALIDARG, "IPAddress %s is not an IPv4 or IPv6 address", ip);
  if (prefix > (unsigned)alen * 8) return GFAIL(e, HR_E_INVALIDARG, "PrefixLength %u is too long for %s", prefix, ip);
  nlmsg m;
  memset(&m, 0, sizeof m);
  m.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  m.h.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  m.h.nlmsg_flags = add ? (NLM_F_CREATE | NLM_F_REPLACE) : 0;
  struct ifaddrmsg *ifa = NLMSG_DATA(&m.h);
  ifa->ifa_family = (unsigned char)family;
  ifa->ifa_prefixlen = (unsigned char)prefix;
  ifa->ifa_index = (unsigned)ifindex;
  add_attr(&m, IFA_LOCAL, a, (size_t)alen);
  add_attr(&m, IFA_ADDRESS, a, (size_t)alen);
  if (nl_call(&m) != 0) {
    if (!add && (errno == EADDRNOTAVAIL || errno == ENODEV)) return 0;
    return GFAIL(e, HR_E_FAIL, "%s address %s/%u: %s", add ? "add" : "delete", ip, prefix, strerror(errno));
  }
  return 0;
}

static int route_add(int ifindex, const char *dst, const char *via, unsigned metric, gerr *e) {
  unsigned char d[16] = {0}, g[16];
  int dfam = 0, gfam = 0, dlen = 0, glen = -1;
  unsigned plen = 0;
  char dbuf[64] = "";
  if (dst[0] != '\0') {
    snprintf(dbuf, sizeof dbuf, "%s", dst);
    char *slash = strchr(dbuf, '/');
    if (slash != NULL) {
      *slash = '\0';
      plen = (unsigned)strtoul(slash + 1, NULL, 10);
    }
    dlen = parse_ip(dbuf, d, &dfam);
    if (dlen < 0) return GFAIL(e, HR_E_INVALIDARG, "DestinationPrefix %s is not a prefix", dst);
    if (slash == NULL) plen = (unsigned)dlen * 8;
  }
  if (via[0] != '\0') {
    glen = parse_ip(via, g, &gfam);
    if (glen < 0) return GFAIL(e, HR_E_INVALIDARG, "NextHop %s is not an address", via);
    if (dlen == 0) {
      dfam = gfam;
      dlen = glen;
      plen = 0;
    }
  }
  if (dlen == 0) return GFAIL(e, HR_E_INVALIDARG, "a route needs DestinationPrefix or NextHop");
  if (glen > 0 && gfam != dfam) return GFAIL(e, HR_E_INVALIDARG, "route %s via %s mixes address families", dst, via);
  nlmsg m;
  memset(&m, 0, sizeof m);
  m.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  m.h.nlmsg_type = RTM_NEWROUTE;
  m.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
  struct rtmsg *rt = NLMSG_DATA(&m.h);
  rt->rtm_family = (unsigned char)dfam;
  rt->rtm_dst_len = (unsigned char)plen;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = glen > 0 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rt->rtm_type = RTN_UNICAST;
  if (plen > 0) add_attr(&m, RTA_DST, d, (size_t)dlen);
  if (glen > 0) add_attr(&m, RTA_GATEWAY, g, (size_t)glen);
  add_attr(&m, RTA_OIF, &ifindex, sizeof ifindex);
  if (metric > 0) add_attr(&m, RTA_PRIORITY, &metric, sizeof metric);
  if (nl_call(&m) != 0)
    return GFAIL(e, HR_E_FAIL, "route %s via %s: %s", dst[0] ? dst : "default", via[0] ? via : "-", strerror(errno));
  return 0;
}

static int write_resolv(const char *servers, const char *suffix, gerr *e) {
  if (servers[0] == '\0' && suffix[0] == '\0') return 0;
  char text[2048];
  size_t len = 0;
  char tmp[1024];
  if (suffix[0] != '\0') {
    snprintf(tmp, sizeof tmp, "%s", suffix);
    len += (size_t)snprintf(text + len, sizeof text - len, "search");
    char *save = NULL;
    for (char *t = strtok_r(tmp, ", ", &save); t && len < sizeof text - 64; t = strtok_r(NULL, ", ", &save))
      len += (size_t)snprintf(text + len, sizeof text - len, " %s", t);
    len += (size_t)snprintf(text + len, sizeof text - len, "\n");
  }
  snprintf(tmp, sizeof tmp, "%s", servers);
  char *save = NULL;
  for (char *t = strtok_r(tmp, ", ", &save); t && len < sizeof text - 64; t = strtok_r(NULL, ", ", &save))
    len += (size_t)snprintf(text + len, sizeof text - len, "nameserver %s\n", t);
  if (write_text(cfg.resolv_conf, text) != 0) return GFAIL(e, HR_E_FAIL, "%s: %s", cfg.resolv_conf, strerror(errno));
  return 0;
}

int res_network(bool add, const json_value *s, gerr *e) {
  const char *ns, *id, *mac, *suffix, *servers, *gateway;
  const json_value *ips, *routes;
  if (f_str(s, "NamespaceID", &ns, e) || f_str(s, "ID", &id, e) || f_str(s, "MacAddress", &mac, e) ||
      f_str(s, "DNSSuffix", &suffix, e) || f_str(s, "DNSServerList", &servers, e) ||
      f_str(s, "GatewayAddress", &gateway, e) || f_arr(s, "IPConfigs", &ips, e) || f_arr(s, "Routes", &routes, e))
    return -1;
  char ifname[IF_NAMESIZE + 1];
  if (!add) {
    if (!find_if(mac, ifname, sizeof ifname)) return 0; /* not there: nothing to remove */
    int ifindex = (int)if_nametoindex(ifname);
    for (const json_value *c = ips ? ips->child : NULL; c != NULL; c = c->next) {
      const char *ip;
      uint64_t prefix;
      if (f_str(c, "IPAddress", &ip, e) || f_uint(c, "PrefixLength", 0xFF, &prefix, e)) return -1;
      if (ip[0] && addr_op(false, ifindex, ip, (unsigned)prefix, e) != 0) return -1;
    }
    set_up(ifname, false);
    LOGI("network adapter %s (%s) removed", id, ifname);
    return 0;
  }
  uint64_t deadline = now_ms() + (uint64_t)cfg.device_timeout_ms;
  while (!find_if(mac, ifname, sizeof ifname)) {
    if (now_ms() >= deadline)
      return GFAIL(e, HR_NOT_FOUND, "no network interface %s%s after %d ms", mac[0] ? "with MAC " : "", mac,
                   cfg.device_timeout_ms);
    sleep_ms(20);
  }
  int ifindex = (int)if_nametoindex(ifname);
  if (ifindex == 0) return GFAIL(e, HR_NOT_FOUND, "interface %s: %s", ifname, strerror(errno));
  if (set_up(ifname, true) != 0) return GFAIL(e, HR_E_FAIL, "set %s up: %s", ifname, strerror(errno));
  for (const json_value *c = ips ? ips->child : NULL; c != NULL; c = c->next) {
    const char *ip;
    uint64_t prefix;
    if (f_str(c, "IPAddress", &ip, e) || f_uint(c, "PrefixLength", 0xFF, &prefix, e)) return -1;
    if (ip[0] && addr_op(true, ifindex, ip, (unsigned)prefix, e) != 0) return -1;
  }
  for (const json_value *r = routes ? routes->child : NULL; r != NULL; r = r->next) {
    const char *hop, *dst;
    uint64_t metric;
    if (f_str(r, "NextHop", &hop, e) || f_str(r, "DestinationPrefix", &dst, e) ||
        f_uint(r, "Metric", 0xFFFF, &metric, e))
      return -1;
    if (route_add(ifindex, dst, hop, (unsigned)metric, e) != 0) return -1;
  }
  if (gateway[0] != '\0' && route_add(ifindex, "", gateway, 0, e) != 0) return -1;
  if (write_resolv(servers, suffix, e) != 0) return -1;
  LOGI("network adapter %s (namespace %s) configured on %s", id, ns, ifname);
  return 0;
}
