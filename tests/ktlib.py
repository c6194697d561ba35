"""Helpers shared by the test tools: run a scan, split "-- SCAN-ARGS"."""
import json
import subprocess


def split_extra(args):
    """ARGS... -- SCAN-ARGS... -> (ARGS, SCAN-ARGS)."""
    if "--" in args:
        i = args.index("--")
        return args[:i], args[i + 1:]
    return args, []


def scan_json(binary, path, extra=(), timeout=None):
    """scan --no-db --format json: (document or None, error message or None)."""
    p = subprocess.run([binary, "scan", "--no-db", "--format", "json"] + list(extra) + [path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode not in (0, 1):
        return None, "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[-300:])
    return json.loads(p.stdout), None
