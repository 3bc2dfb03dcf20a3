#!/usr/bin/env python3
"""check_perfetto.py DECODED.txt RUN.jsonl - compares the Perfetto trace
(as `protoc --decode=perfetto.protos.Trace` printed it) with the JSONL of
the same trace: every event in order with its exact 64-bit values, as an
instant on its vCPU's track or, when it paused the vCPU, as a slice on the
vCPU's wait track that ends at the response that unpaused it; the marker
instants; CR3 residency slices; every slice closed, none overlapping."""
import json
import sys


def parse(lines):
    """protoc's text format into nested dicts of lists."""
    root, stack = {}, []
    cur = root
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line.endswith('{'):
            node = {}
            cur.setdefault(line[:-1].strip(), []).append(node)
            stack.append(cur)
            cur = node
        elif line == '}':
            cur = stack.pop()
        else:
            k, v = line.split(':', 1)
            v = v.strip()
            cur.setdefault(k, []).append(json.loads(v) if v.startswith('"') else v)
    return root


KEY_REGS = ('rip', 'rsp', 'cr3', 'rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rflags')
CLASH = ('seq', 'reason', 'flags') + KEY_REGS


def one(d, k, default=None):
    return d.get(k, [default])[0]


def main():
    trace = parse(open(sys.argv[1]))
    recs = [json.loads(l) for l in open(sys.argv[2])]
    events = [r for r in recs if r['record'] == 'event']
    markers = [r for r in recs if r['record'] == 'marker']
    unpaused = {int(r['seq']): int(r['ts_ns']) for r in recs
                if r['record'] == 'response' and int(r['flags']) & 1}
    names, tracks, evs, mark, open_ = {}, {}, [], [], {}
    residencies = pauses = answered = 0
    for p in trace['packet']:
        idata = one(p, 'interned_data')
        if idata:
            for n in idata.get('debug_annotation_names', []):
                names[int(one(n, 'iid'))] = one(n, 'name')
        td = one(p, 'track_descriptor')
        if td:
            tracks[int(one(td, 'uuid'))] = one(td, 'name')
        te = one(p, 'track_event')
        if not te:
            continue
        ts, track, typ = int(one(p, 'timestamp')), int(one(te, 'track_uuid')), one(te, 'type')
        assert track in tracks, f'event on undescribed track {track}'
        args = {names[int(one(a, 'name_iid'))]:
                int(one(a, 'uint_value', one(a, 'pointer_value')))
                for a in te.get('debug_annotations', [])}
        if typ == 'TYPE_INSTANT' and track == 1:
            mark.append((ts, one(te, 'name')))
        elif typ == 'TYPE_INSTANT':
            evs.append((ts, tracks[track], args))
        elif typ == 'TYPE_SLICE_BEGIN':
            assert track not in open_, f'slice begins inside another on {tracks[track]}'
            open_[track] = (ts, args.get('seq'))
            if 'waits' in tracks[track]:
                evs.append((ts, tracks[track], args))
                pauses += 1
            else:
                assert one(te, 'name').startswith('cr3 0x'), te
                residencies += 1
        elif typ == 'TYPE_SLICE_END':
            begin, seq = open_.pop(track)
            assert begin <= ts, f'slice ends before it began on {tracks[track]}'
            if seq in unpaused:
                assert ts == unpaused[seq], f'pause of seq {seq} ends at {ts}, not at its response'
                answered += 1
    assert not open_, f'slices left open: {open_}'
    assert len(evs) == len(events), (len(evs), len(events))
    checked = 0
    for (ts, track, args), ev in zip(evs, events):
        want = f"vCPU {ev['vcpu']}" + (' waits for the recorder' if int(ev['flags']) & 1 else '')
        assert ts == int(ev['ts_ns']) and track == want, (ts, track, ev)
        assert args['seq'] == int(ev['seq']) and args['flags'] == int(ev['flags'])
        for k in KEY_REGS:
            if k in ev:
                assert args[k] == int(ev[k]), (k, args[k], ev[k])
                checked += 1
        detail = {k: v for k, v in ev.get(ev['reason_name'], {}).items()
                  if not k.endswith('_str')}
        for k, v in detail.items():
            key = f"{ev['reason_name']}_{k}" if k in CLASH else k
            assert args[key] == int(v), (key, args.get(key), v)
            checked += 1
        nreason = 'reason' in args
        assert nreason == ev['reason_name'].startswith('reason_'), (args, ev)
        assert len(args) == 2 + nreason + sum(k in ev for k in KEY_REGS) + len(detail), args
    assert [(ts, t) for ts, t in mark] == [(int(m['ts_ns']), m['text']) for m in markers], mark
    assert pauses == sum(int(e['flags']) & 1 for e in events)
    paused = {int(e['seq']) for e in events if int(e['flags']) & 1}
    assert answered == len(paused & unpaused.keys()), (answered, len(paused & unpaused.keys()))
    print(f'{len(evs)} events ({pauses} pauses, {answered} ended by their response; '
          f'{checked} values exact), {len(mark)} markers, {residencies} residency slices')


main()
