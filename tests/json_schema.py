#!/usr/bin/env python3
"""Check real JSON output against the schema docs/json.md documents.

    tests/json_schema.py docs/json.md NAME FILE...   check FILEs as document NAME
    tests/json_schema.py --dump FILE...              print the paths and types found

docs/json.md documents each command's document in a fenced block that
starts with "schema NAME", then one line per key: its path (objects
joined with '.', array elements as '[]'), its types joined with '|'
(object, array, string, int, bool, null), and what it means.  A line
"NAME[] @OTHER" (or "PATH @OTHER") says PATH holds OTHER's keys.

The check: every key of the real output is documented with the type it
has, and every documented key appears in at least one of the FILEs
(a type "?" marks a key that may be absent from all of them).
"""
import json
import re
import sys

TYPES = {bool: 'bool', int: 'int', float: 'number', str: 'string', type(None): 'null', dict: 'object', list: 'array'}


def flatten(v, path, out):
    out.setdefault(path, set()).add(TYPES[type(v)])
    if isinstance(v, dict):
        for k, x in v.items():
            flatten(x, path + '.' + k if path else k, out)
    elif isinstance(v, list):
        for x in v:
            flatten(x, path + '[]', out)


def load_schemas(doc):
    schemas, cur = {}, None
    for line in open(doc, encoding='utf-8'):
        m = re.match(r'^schema (\S+)\s*$', line)
        if m:
            cur = schemas.setdefault(m.group(1), {})
            continue
        if line.startswith('```'):
            cur = None
            continue
        if cur is None or not line.strip():
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            continue
        cur[parts[0]] = parts[1]
    return schemas


def join(prefix, path):
    if path == '.':
        return prefix
    if path.startswith('[]'):
        return prefix + path
    path = path.lstrip('.')
    return prefix + '.' + path if prefix else path


def expand(schemas, name, prefix='', seen=()):
    """The schema NAME as {path: set of types}, its @references expanded."""
    out, optional = {}, set()
    for path, types in schemas[name].items():
        full = join(prefix, path)
        if types.startswith('@'):
            ref = types[1:]
            if ref in seen:
                raise SystemExit('schema %s refers to itself' % ref)
            o, opt = expand(schemas, ref, full, seen + (ref,))
            out.update(o)
            optional |= opt
            continue
        ts = set(types.split('|'))
        if '?' in ts:
            optional.add(full)
            ts.discard('?')
        out[full] = ts
    return out, optional


def main():
    if sys.argv[1] == '--dump':
        found = {}
        for f in sys.argv[2:]:
            flatten(json.load(open(f)), '', found)
        for p in sorted(found):
            print('%-50s %s' % (p or '.', '|'.join(sorted(found[p]))))
        return 0
    doc, name, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    schemas = load_schemas(doc)
    if name not in schemas:
        print('FAIL: %s documents no schema %s' % (doc, name))
        return 1
    want, optional = expand(schemas, name)
    found, bad = {}, 0
    for f in files:
        flatten(json.load(open(f)), '', found)
    found.pop('', None)
    for p, ts in sorted(found.items()):
        if p not in want:
            print('FAIL: %s: key %s (%s) is not documented' % (name, p, '|'.join(sorted(ts))))
            bad += 1
        elif not ts <= want[p]:
            print('FAIL: %s: key %s is %s, documented as %s' % (name, p, '|'.join(sorted(ts)),
                                                                  '|'.join(sorted(want[p]))))
            bad += 1
    for p in sorted(set(want) - set(found) - optional):
        print('FAIL: %s: documented key %s is in none of the outputs' % (name, p))
        bad += 1
    print('%s: %d keys checked in %d documents, %d problems' % (name, len(found), len(files), bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
