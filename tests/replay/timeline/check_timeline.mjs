// check_timeline.mjs TRACE.json - loads a Chrome trace-event file into the
// DevTools trace engine and counts the complete ("X") slices its per-thread
// tree builder dropped; exit 0 only if every slice made it into a tree.
import fs from 'node:fs';
import * as Trace from '@paulirish/trace_engine';

// The engine expects a browser; these are the only globals it touches.
globalThis.DOMRect ??= class { constructor(x = 0, y = 0, w = 0, h = 0) {
	Object.assign(this, { x, y, width: w, height: h }); } };

const file = process.argv[2];
const events = JSON.parse(fs.readFileSync(file, 'utf8')).traceEvents;
const model = Trace.TraceModel.Model.createWithAllHandlers();
await model.parse(events);
const placed = model.parsedTrace(0).data.Renderer.entryToNode;
let slices = 0, dropped = 0;
for (const ev of placed.keys())
	if (ev.ph === 'X') slices++;
const total = events.filter((e) => e.ph === 'X').length;
dropped = total - slices;
console.log(`${file}: ${total} slices, ${slices} in the engine's tracks, ${dropped} dropped`);
process.exit(total > 0 && dropped === 0 ? 0 : 1);
