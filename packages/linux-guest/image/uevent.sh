#!/bin/sh
# /bin/uvmkit-uevent: run by `mdev -d` (see /etc/mdev.conf in init.sh) for the uevents of disks,
# pmem, NICs, virtio devices (a 9p share's driver binding), virtio ports, CPUs and memory blocks,
# and once by /init as `uvmkit-uevent report` for the first devices line. Disk and pmem uevents
# are reported on the console at once (`uvmkit-init: uevent add sda`); after any of them the
# devices line (`uvmkit-init: devices block=… net=… …`) is printed again when it changed, so the
# guest reports every device change without polling. A newly added whole disk holding a
# readable ext4 file system with a `marker` file at its root is mounted read-only, the marker
# printed, and unmounted again (so a host can see a hot-added disk's content without a guest agent).
state=/run/uvmkit/devices
lock=/run/uvmkit/devices.lock

devices() {
  echo "block=$(ls /sys/block | grep -v '^ram' | tr '\n' ',')" \
    "net=$(ls /sys/class/net | tr '\n' ',')" \
    "pmem=$(ls /dev | grep '^pmem' | tr '\n' ',')" \
    "ports=$(for p in /sys/class/virtio-ports/*/name; do [ -f "$p" ] && cat "$p"; done | tr '\n' ',')" \
    "9p=$(cat /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null | tr '\0\n' ',,')" \
    "cpus=$(cat /sys/devices/system/cpu/online)" \
    "mem=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2)kB"
}

# Print the devices line if it differs from the last one printed (always, for /init's first one).
# mkdir is the lock: /init's first report and mdev's handler never interleave. Before /init's
# first report there is nothing to compare with: /init prints what is there by then.
report() {
  tries=0
  while ! mkdir "$lock" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -gt 500 ] && break # 5 s: a holder that died
    usleep 10000
  done
  if [ "$1" = first ] || [ -f "$state" ]; then
    now="$(devices)"
    if [ "$1" = first ] || [ "$now" != "$(cat "$state")" ]; then
      printf '%s\n' "$now" >"$state"
      echo "uvmkit-init: devices $now" >/dev/console
    fi
  fi
  rmdir "$lock" 2>/dev/null
}

if [ "$1" = report ]; then
  report first
  exit 0
fi

case "$MDEV" in
sd[a-z] | sd[a-z][a-z] | pmem[0-9]*)
  echo "uvmkit-init: uevent $ACTION $MDEV uptime=$(cut -d' ' -f1 /proc/uptime)" >/dev/console
  ;;
esac
report
case "$ACTION:$MDEV" in
add:sd[a-z] | add:sd[a-z][a-z])
  dir="/mnt/uevent-$MDEV"
  mkdir -p "$dir"
  if mount -t ext4 -o ro "/dev/$MDEV" "$dir" 2>/dev/null; then
    if [ -f "$dir/marker" ]; then
      echo "uvmkit-init: disk $MDEV marker=$(head -c 200 "$dir/marker" | tr -d '\n')" >/dev/console
    fi
    umount "$dir"
  fi
  rmdir "$dir" 2>/dev/null
  ;;
esac
