#!/bin/busybox sh
# /init of the uvmkit guest initramfs (built by image/build.mjs). Mounts the kernel filesystems
# (cgroup2 too), loads the device modules, arms the ACPI power button (poweroff -f), starts the guest programs
# that the image carries (/bin/uvmkit-relay, then /bin/uvmkit-gcs), reports the devices on the
# serial console, prints the ready marker, and then reports every device change from its uevent
# (image/uevent.sh; hot-plugged disks and pmem devices also as `uvmkit-init: uevent add sda`). Lines
# start with `uvmkit-init:` so a host can find them in the serial log.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /mnt /sbin /usr/bin /usr/sbin /etc/acpi/PWRF
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s
echo "uvmkit-init: start uptime=$(cut -d' ' -f1 /proc/uptime)"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# cgroup2 with the memory controller for children: uvmkit-gcs's containers cgroup (PodCgroupMemoryLimit)
mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mount -t tmpfs tmpfs /tmp
hostname uvm
ip link set lo up 2>/dev/null

modprobe -a $(cat /etc/uvmkit-modules) 2>&1 | sed 's/^/uvmkit-init: modprobe: /'
echo "uvmkit-init: modules uptime=$(cut -d' ' -f1 /proc/uptime)"

printf '#!/bin/sh\necho "uvmkit-init: power button: poweroff" >/dev/console\npoweroff -f\n' >/etc/acpi/PWRF/00000080
chmod 755 /etc/acpi/PWRF/00000080
acpid -d >/dev/null 2>&1 &

# Device changes are reported at once, from their uevents: mdev -d reads them from netlink and runs
# /bin/uvmkit-uevent for disks and pmem (by name) and for NICs, virtio devices (a 9p share binding
# its driver), virtio ports, CPUs and memory blocks (by subsystem); nothing polls.
mkdir -p /run/uvmkit
{
  echo 'sd[a-z]+ 0:0 660 */bin/uvmkit-uevent'
  echo 'pmem[0-9]+ 0:0 660 */bin/uvmkit-uevent'
  for s in net virtio virtio-ports cpu memory; do echo "SUBSYSTEM=$s;.* 0:0 660 */bin/uvmkit-uevent"; done
} >/etc/mdev.conf
mdev -d

# /dev/virtio-ports/<name> links (udev's job elsewhere): the relay opens its port by name.
mkdir -p /dev/virtio-ports /run/uvmkit
for n in /sys/class/virtio-ports/*/name; do
  [ -f "$n" ] || continue
  dev=$(basename "$(dirname "$n")")
  ln -sf "../$dev" "/dev/virtio-ports/$(cat "$n")"
done

for prog in uvmkit-relay uvmkit-gcs; do
  if [ -x "/bin/$prog" ]; then
    "/bin/$prog" >/dev/console 2>&1 &
    echo "uvmkit-init: started $prog pid=$!"
  fi
done

# The first devices line (the uevent handler prints the later ones), then the ready marker; then
# /init only reaps orphans.
/bin/uvmkit-uevent report
echo "uvmkit-init: READY uptime=$(cut -d' ' -f1 /proc/uptime)"
while true; do
  sleep 86400
done
