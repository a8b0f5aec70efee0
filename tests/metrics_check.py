#!/usr/bin/python3
"""Validate porttop's metrics with the Prometheus client library's parsers.

Usage:
  metrics_check.py prometheus FILE   the Prometheus text format (0.0.4)
  metrics_check.py openmetrics FILE  OpenMetrics 1.0 (strict parser)
  metrics_check.py names FILE        print the sample names of FILE (the
                                     Prometheus text format), one a line
  metrics_check.py watch FILE SECONDS
                                     read FILE (the --textfile) over and
                                     over for SECONDS, check every read
                                     (complete and valid) and print a
                                     JSON summary: reads, bad (the first
                                     reasons), samples (distinct
                                     porttop_samples_total values),
                                     kept/rewritten (times a descriptor
                                     opened before a change read the old
                                     bytes still, or not), max_close_rate,
                                     min_eta (finite, or null), last (the
                                     last good read)
  metrics_check.py dashboard JSON FILE
                                     JSON is a Grafana dashboard: valid
                                     JSON whose every porttop_* name in a
                                     query is a sample name of FILE

FILE is one exposition ("-": stdin). Besides parsing, the lint rules of
`promtool check metrics`: every family has non-empty # HELP and a # TYPE
before its samples, is announced once, its samples carry its name (a
counter's with _total, nothing else ends in _total), names are
snake_case and in base units, no series repeats. Exit 0 when it holds, 1
with the reasons on stderr.
"""

import json
import re
import sys

from prometheus_client.openmetrics.parser import \
    text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import \
    text_string_to_metric_families as parse_prometheus

NAME = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*$')
# what promtool's lint calls non-base units
NON_BASE = ('_milliseconds', '_microseconds', '_nanoseconds', '_minutes',
            '_hours', '_days', '_kilobytes', '_megabytes', '_gigabytes',
            '_percent')


def read(path):
    if path == '-':
        return sys.stdin.read()
    with open(path, encoding='utf-8') as f:
        return f.read()


def lint(text, fmt):
    """The rules the parsers do not enforce, on the raw lines."""
    errs = []
    helps, types, seen_series = {}, {}, set()
    sample_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    else:
        errs.append('the exposition does not end with a newline')
    if fmt == 'openmetrics':
        if not lines or lines[-1] != '# EOF':
            errs.append('OpenMetrics: the last line is not # EOF')
        else:
            lines.pop()
    for n, line in enumerate(lines, 1):
        if line.startswith('# HELP '):
            parts = line.split(' ', 3)
            name = parts[2]
            if name in helps:
                errs.append(f'line {n}: # HELP {name} again')
            if len(parts) < 4 or not parts[3].strip():
                errs.append(f'line {n}: {name} has no help text')
            helps[name] = n
        elif line.startswith('# TYPE '):
            parts = line.split(' ')
            if len(parts) != 4:
                errs.append(f'line {n}: malformed # TYPE')
                continue
            name, typ = parts[2], parts[3]
            if name in types:
                errs.append(f'line {n}: # TYPE {name} again')
            if name not in helps:
                errs.append(f'line {n}: {name} has no # HELP before its # TYPE')
            types[name] = typ
            if not NAME.match(name) or name != name.lower():
                errs.append(f'line {n}: {name} is not snake_case')
            for u in NON_BASE:
                if u in name:
                    errs.append(f'line {n}: {name}: use base units, not {u[1:]}')
            total = name.endswith('_total')
            if fmt == 'prometheus' and typ == 'counter' and not total:
                errs.append(f'line {n}: counter {name} should end in _total')
            if typ != 'counter' and total:
                errs.append(f'line {n}: {typ} {name} should not end in _total')
        elif line.startswith('#'):
            errs.append(f'line {n}: a comment that is neither # HELP nor # TYPE')
        elif line == '':
            errs.append(f'line {n}: an empty line')
        else:
            m = sample_re.match(line)
            if not m:
                errs.append(f'line {n}: not a sample: {line[:80]}')
                continue
            name = m.group(1)
            family = name
            if name not in types and name.endswith('_total'):
                family = name[:-len('_total')]
            if family not in types:
                errs.append(f'line {n}: {name} has no # TYPE before it')
            elif types[family] == 'counter' and not name.endswith('_total'):
                errs.append(f'line {n}: counter sample {name} lacks _total')
            series = (name, m.group(2) or '')
            if series in seen_series:
                errs.append(f'line {n}: series {name}{m.group(2) or ""} repeats')
            seen_series.add(series)
    return errs


def sample_names(text):
    return sorted({s.name for f in parse_prometheus(text) for s in f.samples})


def check(fmt, text):
    errs = lint(text, fmt)
    try:
        parse = parse_openmetrics if fmt == 'openmetrics' else parse_prometheus
        fams = list(parse(text))
        if not fams:
            errs.append('no metric families')
    except Exception as e:  # the parsers raise ValueError and others
        errs.append(f'{fmt} parser: {type(e).__name__}: {e}')
    return errs


def dashboard(path, text):
    errs = []
    try:
        with open(path, encoding='utf-8') as f:
            dash = json.load(f)
    except (OSError, ValueError) as e:
        return [f'{path}: not valid JSON: {e}']
    exprs = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ('expr', 'query', 'definition') and isinstance(v, str):
                    exprs.append(v)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(dash)
    if not exprs:
        errs.append(f'{path}: no queries')
    exported = set(sample_names(text))
    used = set()
    for e in exprs:
        used.update(re.findall(r'\bporttop_[a-z0-9_]+', e))
    if not used:
        errs.append(f'{path}: no porttop metric in its queries')
    for name in sorted(used - exported):
        errs.append(f'{path}: {name} is not a metric porttop exports')
    if not errs:
        print(f'{path}: {len(exprs)} queries, metrics {" ".join(sorted(used))}')
    return errs


def complete(text):
    """A whole exposition: porttop's first family first, its last one
    last. A file cut at a line boundary parses; this catches it."""
    lines = text.rstrip('\n').split('\n')
    if not lines[0].startswith('# HELP porttop_info '):
        return ['the first line is not # HELP porttop_info']
    if not re.match(r'^porttop_sample_errors_total \d+$', lines[-1]):
        return ['the last line is not porttop_sample_errors_total']
    return []


def watch(path, seconds):
    import os
    import time
    end = time.monotonic() + seconds
    reads, bad, samples = 0, [], set()
    # the previous read's descriptor and bytes: when the file changes, the
    # old descriptor must still read the old bytes (a rename leaves the
    # old file alone; a rewrite in place would not)
    held_fd, held = None, None
    kept, rewritten = 0, 0
    max_rate, min_eta, last = 0.0, None, ''
    while time.monotonic() < end:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            time.sleep(0.001)
            continue
        chunks = []
        while True:
            b = os.read(fd, 1 << 16)
            if not b:
                break
            chunks.append(b)
        raw = b''.join(chunks)
        reads += 1
        if held is not None and raw != held:
            again = os.pread(held_fd, len(held) + 1, 0)
            if again == held:
                kept += 1
            else:
                rewritten += 1
        if held_fd is not None:
            os.close(held_fd)
        held_fd, held = fd, raw
        try:
            text = raw.decode('utf-8')
        except UnicodeDecodeError as e:
            bad.append(f'read {reads}: not UTF-8: {e}')
            continue
        errs = complete(text) or check('prometheus', text)
        if errs:
            bad.append(f'read {reads} ({len(raw)} bytes): {errs[0]}')
            continue
        last = text
        for fam in parse_prometheus(text):
            for s in fam.samples:
                if s.name == 'porttop_samples_total':
                    samples.add(s.value)
                elif s.name == 'porttop_destination_close_rate':
                    max_rate = max(max_rate, s.value)
                elif (s.name == 'porttop_destination_eta_seconds' and
                      s.value != float('inf')):
                    min_eta = s.value if min_eta is None else min(min_eta, s.value)
    if held_fd is not None:
        os.close(held_fd)
    print(json.dumps({'reads': reads, 'bad': bad[:5], 'nbad': len(bad),
                      'samples': len(samples), 'kept': kept,
                      'rewritten': rewritten, 'max_close_rate': max_rate,
                      'min_eta': min_eta, 'last': last}))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] in ('prometheus', 'openmetrics'):
        errs = check(argv[1], read(argv[2]))
    elif len(argv) == 3 and argv[1] == 'names':
        print('\n'.join(sample_names(read(argv[2]))))
        return 0
    elif len(argv) == 4 and argv[1] == 'watch':
        return watch(argv[2], float(argv[3]))
    elif len(argv) == 4 and argv[1] == 'dashboard':
        text = read(argv[3])
        errs = check('prometheus', text) + dashboard(argv[2], text)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for e in errs:
        print(e, file=sys.stderr)
    return 1 if errs else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
