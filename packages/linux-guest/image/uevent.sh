#!/bin/sh
# /bin/uvmkit-uevent: run by `mdev -d` (see /etc/mdev.conf in init.sh) for every disk and pmem
# uevent. Reports it on the console at once; a newly added whole disk holding a readable ext4
# file system with a `marker` file at its root is mounted read-only, the marker printed, and
# unmounted again (so a host can see a hot-added disk's content without a guest agent).
up=$(cut -d' ' -f1 /proc/uptime)
echo "uvmkit-init: uevent $ACTION $MDEV uptime=$up" >/dev/console
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
