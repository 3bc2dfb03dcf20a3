#!/usr/bin/env python3
"""check_json_text.py KIND FILE - one output of vmt_gen_hostile's trace
(json_text.sh) against what gen_hostile.c wrote: strict UTF-8 and JSON,
every string with invalid bytes as U+FFFD, every 64-bit value exact
through its "_str" companion above 2^53 and only there.
KIND: jsonl, info, chrome, summary, diff, text."""
import json
import sys

R = '\ufffd'
DOMAIN = 'dom' + R + '\x1b[2J\x07'
LABELS = 'suite=a\x1b]0;pwned\x07;bad=' + R + '(' + R * 3
MARKERS = ['bad ' + R * 2 + ' ctl \x1b[2J\x07 ok \u00e9',
           'tab\tnewline\nquote" backslash\\ \U0001F600',
           '\x9b31m c1 csi ' + R * 3 + ' overlong']
BIGS = [2**64 - 1, 2**53 + 1, 2**53, 0x812ec754]
EXACT = 2**53
seen = {'companions': 0, 'values': 0}


def exact(obj, key, want):
    """obj[key] is want, with an exact "_str" companion exactly when needed."""
    assert int(obj[key]) == want, (key, obj[key], want)
    comp = key + '_str'
    if abs(want) > EXACT:
        assert obj[comp] == str(want), (comp, obj.get(comp), want)
        seen['companions'] += 1
    else:
        assert comp not in obj, (comp, obj)
    seen['values'] += 1


def companions_everywhere(node):
    """Any number a double cannot hold has its companion, anywhere."""
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) > EXACT:
                assert node.get(k + '_str') == str(v), (k, v)
            companions_everywhere(v)
    elif isinstance(node, list):
        for v in node:
            companions_everywhere(v)


def load(path, lines=False):
    text = open(path, 'rb').read().decode('utf-8')   # strict: valid UTF-8
    docs = [json.loads(l) for l in text.splitlines()] if lines else [json.loads(text)]
    for d in docs:
        companions_everywhere(d)
    return docs


def jsonl(path):
    recs = load(path, lines=True)
    events = [r for r in recs if r['record'] == 'event']
    assert len(events) == len(BIGS)
    for ev, big in zip(events, BIGS):
        exact(ev, 'rax', big)
        exact(ev['mem_access'], 'gla', big)
        exact(ev['mem_access'], 'gfn', 2**53 + 1)
    assert [r['text'] for r in recs if r['record'] == 'marker'] == MARKERS


def info(path):
    d = load(path)[0]
    assert d['header']['domain_name'] == DOMAIN, d['header']['domain_name']
    assert d['header']['labels'] == LABELS, d['header']['labels']
    exact(d['header'], 'start_wall_ns', 1764758400123456789)


def chrome(path):
    evs = load(path)[0]['traceEvents']
    assert [e['args']['name'] for e in evs if e['name'] == 'process_name'] == [DOMAIN]
    assert [e['name'] for e in evs if e.get('cat') == 'marker'] == MARKERS
    regs = [e['args']['rax'] for e in evs if e.get('cat') == 'vm_event']
    assert regs == [hex(b) for b in BIGS], regs


def summary(path):
    run = load(path)[0]
    assert run['run']['domain'] == DOMAIN and run['run']['labels'] == LABELS, run['run']
    assert [p['name'] for p in run['phases']][1:] == MARKERS, run['phases']
    gla = [k for k in run['top_keys'].get('mem_access', [])]
    assert gla, run['top_keys']


def diff(path):
    d = load(path)[0]
    assert d['phases'][1:] == MARKERS, d['phases']
    assert d['rows'], d


def text(path):
    """Text for a terminal: no control byte but newline, valid UTF-8, no C1."""
    raw = open(path, 'rb').read()
    s = raw.decode('utf-8')
    bad = [c for c in s if (ord(c) < 0x20 and c != '\n') or 0x7f <= ord(c) < 0xa0]
    assert not bad, bad
    assert '\\x1b[2J' in s, 'the escape sequence is not shown escaped'


{'jsonl': jsonl, 'info': info, 'chrome': chrome, 'summary': summary,
 'diff': diff, 'text': text}[sys.argv[1]](sys.argv[2])
print(f"{sys.argv[1]}: ok ({seen['values']} values checked, {seen['companions']} through _str)")
