#!/usr/bin/env python3
"""The README's CI jobs: parse them, and print the steps that run the tool.

    tests/readme_ci.py README.md github|gitlab

Prints the shell commands of the job that come after the build (the
GitHub step that runs contrib/ci.sh, with its ${{ }} expression replaced
by its value on a branch that is not main; the GitLab script after make).
Exits 1 when a block is missing or is no valid YAML of the expected shape.
"""
import re
import sys

import yaml


def blocks(text):
    return re.findall(r'```yaml\n(.*?)```', text, re.S)


def main():
    text = open(sys.argv[1], encoding='utf-8').read()
    jobs = [yaml.safe_load(b) for b in blocks(text)]
    if sys.argv[2] == 'github':
        job = next(j for j in jobs if 'jobs' in j)
        steps = job['jobs']['kcsan']['steps']
        uses = [s.get('uses', '') for s in steps]
        assert any(u.startswith('github/codeql-action/upload-sarif') for u in uses), 'no SARIF upload'
        assert any(u.startswith('actions/cache') for u in uses), 'no cache'
        run = [s['run'] for s in steps if 'contrib/ci.sh' in s.get('run', '')]
        assert run, 'no step runs contrib/ci.sh'
        print(re.sub(r'\$\{\{.*?\}\}', '', run[0]).strip())
    else:
        job = next(j for j in jobs if 'kcsan' in j and 'script' in j['kcsan'])['kcsan']
        assert job['artifacts']['reports']['junit'], 'no JUnit report'
        script = job['script']
        after = [i for i, line in enumerate(script) if line.startswith('make')][0]
        print('\n'.join(script[after + 1:]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
