#!/usr/bin/env python3
"""Make a log look as if another build of the same kernel printed it.

    tests/ci_rebuild.py IN OUT

Every function offset and size (func+0x5e/0x200), every address, every
pid, printk timestamp and build number changes; the function names, the
access types and sizes, and the order of the lines do not.  Addresses keep
their low 12 bits (their alignment), so a classifier sees the same layout.
"""
import re
import sys

OFFSET = re.compile(r'\+0x([0-9a-f]+)/0x([0-9a-f]+)')
ADDR = re.compile(r'(?<![+/\w])0x(ffff[0-9a-f]{12})\b')
TIME = re.compile(r'^\[\s*(\d+)\.(\d{6})\]')
PID = re.compile(r'\b(by task|PID:|pid) (\d+)')
BUILD = re.compile(r'(\d+\.\d+\.\d+\S*) #(\d+)')


def offset(m):
    off, size = int(m.group(1), 16), int(m.group(2), 16)
    # another compiler's code: each function grows, each call site moves
    return '+0x%x/0x%x' % (off + 0x13, size + 0x40)


def addr(m):
    a = int(m.group(1), 16)
    return '0x%016x' % (a ^ 0x0000001234560000)


def stamp(m):
    t = int(m.group(1)) * 1000000 + int(m.group(2)) + 123456789
    return '[%5d.%06d]' % (t // 1000000, t % 1000000)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    changed = 0
    with open(src, 'rb') as f, open(dst, 'wb') as out:
        for raw in f:
            line = raw.decode('utf-8', 'surrogateescape')
            new = OFFSET.sub(offset, line)
            new = ADDR.sub(addr, new)
            new = TIME.sub(stamp, new)
            new = PID.sub(lambda m: '%s %d' % (m.group(1), int(m.group(2)) + 1000), new)
            new = BUILD.sub(lambda m: '%s #%d' % (m.group(1), int(m.group(2)) + 41), new)
            changed += new != line
            out.write(new.encode('utf-8', 'surrogateescape'))
    print(changed)


if __name__ == '__main__':
    main()
