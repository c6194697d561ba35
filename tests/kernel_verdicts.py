#!/usr/bin/env python3
"""Verdicts on the real KCSAN kernel's console logs.

Every unknown-origin report whose top frames are virtio_ring code must be
device-origin with the right field -- struct vring_used.idx, certain, for the
used->idx reads; struct vring_used.avail_event for the read in
virtqueue_kick_prepare (likely without a source tree, certain with one);
unknown-origin reports on kernel memory must stay unknown-origin; every
two-stack and assert report must be real-race.

usage: kernel_verdicts.py BIN [--src] LOG... [-- SCAN-ARGS...]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktlib import scan_json, split_extra  # noqa: E402

VIRTIO = {"virtqueue_get_buf_ctx_split", "vring_interrupt", "virtqueue_kick_prepare", "virtqueue_poll",
          "virtqueue_enable_cb", "virtqueue_enable_cb_delayed", "more_used_split", "virtqueue_poll_split",
          "virtqueue_kick_prepare_split", "more_used", "virtqueue_enable_cb_delayed_split"}


def main():
    args, extra = split_extra(sys.argv[1:])
    binary, logs = args[0], args[1:]
    with_src = any(a.startswith("--src") for a in extra)
    with_vmlinux = any(a.startswith("--vmlinux") for a in extra)
    bad = n = 0
    for log in logs:
        doc, err = scan_json(binary, log, extra)
        if err:
            print("FAIL %s: %s" % (log, err))
            bad += 1
            continue
        for r in doc["reports"]:
            n += 1
            where = "%s:%d" % (log, r["source"]["line"])
            top = [f["func"].split(".")[0] for f in r["accesses"][0]["frames"][:4]]
            got = (r["verdict"], r["writer"], r["field"], r["confidence"])
            if not r["unknown_origin"]:
                want = [("real-race", None, None, None)]
            elif top and top[0] in VIRTIO:
                avail = "virtqueue_kick_prepare" in top or "virtqueue_kick_prepare_split" in top
                field = "struct vring_used.avail_event" if avail else "struct vring_used.idx"
                want = [("device-origin", "device", field, "certain")]
                if avail and not with_src:
                    want.append(("device-origin", "device", field, "likely"))
            else:
                want = [("unknown-origin", None, None, None)]
            if got not in want:
                bad += 1
                print("FAIL %s %s: got %s, expected %s" % (where, r["title"], got, want[0]))
                print("     %s" % r["evidence"])
    label = " (with --vmlinux and --src)" if with_src else " (with --vmlinux)" if with_vmlinux else ""
    print("kernel verdicts%s: %d/%d right" % (label, n - bad, n))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
