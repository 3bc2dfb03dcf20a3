-- schema.sql - the SQLite schema vmtrail-replay writes (SCHEMA.md explains
-- every table).  Compiled into libvmt_replay; applied to an empty database.
-- Changes: add tables, columns, views, indexes; never rename or remove.
-- Every 64-bit unsigned value is stored as its two's complement (SCHEMA.md
-- "Unsigned 64-bit values").
PRAGMA user_version = 1;

-- One row per imported trace.
CREATE TABLE runs (
	run_id INTEGER PRIMARY KEY,
	uuid TEXT NOT NULL UNIQUE,
	trace_path TEXT NOT NULL,
	imported_at TEXT NOT NULL,
	start_wall_ns INTEGER NOT NULL,
	start_wall TEXT NOT NULL,
	clock_mono_ns INTEGER NOT NULL,
	duration_ns INTEGER NOT NULL,
	abi_version INTEGER NOT NULL,
	req_size INTEGER NOT NULL,
	rsp_size INTEGER NOT NULL,
	page_size INTEGER NOT NULL,
	xen_major INTEGER NOT NULL,
	xen_minor INTEGER NOT NULL,
	xen_extra TEXT NOT NULL,
	xen_version TEXT NOT NULL,
	host TEXT NOT NULL,
	domid INTEGER NOT NULL,
	domain_name TEXT NOT NULL,
	vcpus INTEGER NOT NULL,
	monitors TEXT NOT NULL,
	labels TEXT NOT NULL,
	recorder_version TEXT NOT NULL,
	cmdline TEXT NOT NULL,
	codec INTEGER NOT NULL,
	level INTEGER NOT NULL,
	fingerprint TEXT NOT NULL,
	-- the trailer's run summary (rebuilt from the chunks when cut)
	records INTEGER NOT NULL,
	requests INTEGER NOT NULL,
	responses INTEGER NOT NULL,
	markers INTEGER NOT NULL,
	notes INTEGER NOT NULL,
	ring_stats INTEGER NOT NULL,
	lost INTEGER NOT NULL,
	first_seq INTEGER NOT NULL,
	last_seq INTEGER NOT NULL,
	first_ts_ns INTEGER NOT NULL,
	last_ts_ns INTEGER NOT NULL,
	backpressure_ns INTEGER NOT NULL,
	max_occupancy INTEGER NOT NULL,
	batches INTEGER NOT NULL,
	end_cause INTEGER NOT NULL,
	end_cause_name TEXT NOT NULL,
	summary_from_trailer INTEGER NOT NULL,
	-- integrity as the reader found it
	complete INTEGER NOT NULL,
	chunks INTEGER NOT NULL,
	damaged_chunks INTEGER NOT NULL,
	cut_offset INTEGER NOT NULL,
	unknown_records INTEGER NOT NULL,
	file_size INTEGER NOT NULL,
	-- what this import kept
	filtered INTEGER NOT NULL,
	imported_events INTEGER NOT NULL,
	imported_responses INTEGER NOT NULL
);

-- labels "k=v;k=v" of the header, one row per pair
CREATE TABLE run_labels (
	run_id INTEGER NOT NULL REFERENCES runs,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- monitors "name[:p,p];..." of the header, one row per monitor
CREATE TABLE run_monitors (
	run_id INTEGER NOT NULL REFERENCES runs,
	position INTEGER NOT NULL,
	monitor TEXT NOT NULL,
	params TEXT NOT NULL,
	PRIMARY KEY (run_id, position)
) WITHOUT ROWID;

-- phase names "CODE=NAME;..." of the header (format 1.1), one row per
-- name: what the guest's phase markers (guest requests carrying CODE) mean.
-- IF NOT EXISTS: an import into a database made before this table existed
-- creates it with this very statement (db.c).
CREATE TABLE IF NOT EXISTS phase_names (
	run_id INTEGER NOT NULL REFERENCES runs,
	code INTEGER NOT NULL,
	name TEXT NOT NULL,
	PRIMARY KEY (run_id, code)
) WITHOUT ROWID;

-- VM_EVENT_REASON_* codes and the detail table of each
CREATE TABLE reasons (
	reason INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	detail_table TEXT
);
INSERT INTO reasons VALUES
	(0, 'unknown', NULL),
	(1, 'mem_access', 'mem_access'),
	(2, 'mem_sharing', 'mem_sharing'),
	(3, 'mem_paging', 'mem_paging'),
	(4, 'write_ctrlreg', 'write_ctrlreg'),
	(5, 'mov_to_msr', 'mov_to_msr'),
	(6, 'software_breakpoint', 'software_breakpoint'),
	(7, 'singlestep', 'singlestep'),
	(8, 'guest_request', NULL),
	(9, 'debug_exception', 'debug_exception'),
	(10, 'cpuid', 'cpuid'),
	(11, 'privileged_call', NULL),
	(12, 'interrupt', 'interrupt'),
	(13, 'descriptor_access', 'descriptor_access'),
	(14, 'emul_unimplemented', NULL),
	(15, 'vmexit', 'vmexit'),
	(16, 'io_instruction', 'io_instruction');

-- One row per request.  event_id grows in import order, across runs.
CREATE TABLE events (
	event_id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	seq INTEGER NOT NULL,
	ts_ns INTEGER NOT NULL,
	vcpu INTEGER NOT NULL,
	reason INTEGER NOT NULL,
	reason_name TEXT GENERATED ALWAYS AS (CASE reason
		WHEN 0 THEN 'unknown' WHEN 1 THEN 'mem_access'
		WHEN 2 THEN 'mem_sharing' WHEN 3 THEN 'mem_paging'
		WHEN 4 THEN 'write_ctrlreg' WHEN 5 THEN 'mov_to_msr'
		WHEN 6 THEN 'software_breakpoint' WHEN 7 THEN 'singlestep'
		WHEN 8 THEN 'guest_request' WHEN 9 THEN 'debug_exception'
		WHEN 10 THEN 'cpuid' WHEN 11 THEN 'privileged_call'
		WHEN 12 THEN 'interrupt' WHEN 13 THEN 'descriptor_access'
		WHEN 14 THEN 'emul_unimplemented' WHEN 15 THEN 'vmexit'
		WHEN 16 THEN 'io_instruction'
		ELSE 'reason_' || reason END) VIRTUAL,
	flags INTEGER NOT NULL,
	altp2m_idx INTEGER NOT NULL,
	process_id INTEGER REFERENCES processes,
	rip INTEGER,
	rsp INTEGER,
	cr3 INTEGER,
	rax INTEGER,
	rbx INTEGER,
	rcx INTEGER,
	rdx INTEGER,
	rsi INTEGER,
	rdi INTEGER,
	rflags INTEGER
);

-- The full request entry as it sat in the ring (all registers, payload);
-- decoded in SQL by vmt_reg(entry, 'name') and vmt_field(entry, 'name').
CREATE TABLE event_regs (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	entry BLOB NOT NULL
);

-- Detail tables: one per reason with a payload; columns = payload fields
-- (NULL where the run's ABI version lacks the field).
CREATE TABLE mem_access (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	gfn INTEGER, "offset" INTEGER, gla INTEGER, flags INTEGER
);
CREATE TABLE mem_sharing (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	gfn INTEGER, p2mt INTEGER
);
CREATE TABLE mem_paging (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	gfn INTEGER, p2mt INTEGER, flags INTEGER
);
CREATE TABLE write_ctrlreg (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	"index" INTEGER, new_value INTEGER, old_value INTEGER
);
CREATE TABLE mov_to_msr (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	msr INTEGER, new_value INTEGER, old_value INTEGER
);
CREATE TABLE software_breakpoint (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	gfn INTEGER, pending_dbg INTEGER, insn_length INTEGER, type INTEGER
);
CREATE TABLE debug_exception (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	gfn INTEGER, pending_dbg INTEGER, insn_length INTEGER, type INTEGER
);
CREATE TABLE singlestep (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	gfn INTEGER
);
CREATE TABLE cpuid (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	insn_length INTEGER, leaf INTEGER, subleaf INTEGER
);
CREATE TABLE interrupt (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	vector INTEGER, type INTEGER, error_code INTEGER, cr2 INTEGER
);
CREATE TABLE descriptor_access (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	instr_info INTEGER, exit_qualification INTEGER, descriptor INTEGER,
	is_write INTEGER
);
CREATE TABLE vmexit (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	reason INTEGER, qualification INTEGER
);
CREATE TABLE io_instruction (
	event_id INTEGER PRIMARY KEY REFERENCES events,
	run_id INTEGER NOT NULL,
	bytes INTEGER, port INTEGER, "in" INTEGER, str INTEGER
);

-- One row per response.  event_id is NULL when the request was not
-- imported (filtered out or in a damaged chunk).
CREATE TABLE responses (
	response_id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	seq INTEGER NOT NULL,
	event_id INTEGER REFERENCES events,
	ts_ns INTEGER NOT NULL,
	latency_ns INTEGER,
	vcpu INTEGER NOT NULL,
	flags INTEGER NOT NULL,
	altp2m_idx INTEGER,
	set_regs INTEGER,
	new_rip INTEGER,
	p2midx INTEGER
);

CREATE TABLE markers (
	marker_id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	seq INTEGER NOT NULL,
	ts_ns INTEGER NOT NULL,
	text TEXT NOT NULL
);

CREATE TABLE notes (
	note_id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	seq INTEGER NOT NULL,
	ts_ns INTEGER NOT NULL,
	text TEXT NOT NULL
);

-- the observer ledger: one row per drain batch
CREATE TABLE ring_stats (
	stat_id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	seq INTEGER NOT NULL,
	ts_ns INTEGER NOT NULL,
	occupancy INTEGER NOT NULL,
	handled INTEGER NOT NULL,
	batch_ns INTEGER NOT NULL,
	backpressure_ns INTEGER NOT NULL
);

-- What a damaged or cut trace lost, and what the recorder knew it lost.
-- kind: 'damaged_chunk', 'truncated', 'loss'.  NULL = unknown bound.
CREATE TABLE gaps (
	gap_id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	kind TEXT NOT NULL,
	chunk INTEGER,
	first_seq INTEGER,
	last_seq INTEGER,
	first_ns INTEGER,
	last_ns INTEGER,
	count INTEGER,
	cause TEXT NOT NULL
);

-- One row per address-space residency: (run, cr3, epoch); SCHEMA.md
-- "Processes" gives the rule.
CREATE TABLE processes (
	process_id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	cr3 INTEGER NOT NULL,
	epoch INTEGER NOT NULL,
	first_ns INTEGER NOT NULL,
	last_ns INTEGER NOT NULL,
	first_seq INTEGER NOT NULL,
	last_seq INTEGER NOT NULL,
	events INTEGER NOT NULL
);

CREATE VIEW guest_request AS
	SELECT event_id, run_id, rax, rbx, rcx, rdx, rsi, rdi
	FROM events WHERE reason = 8;

CREATE VIEW reason_counts AS
	SELECT run_id, reason, reason_name, count(*) AS events
	FROM events GROUP BY run_id, reason;

CREATE VIEW stalls AS
	SELECT * FROM ring_stats WHERE backpressure_ns > 0 OR occupancy >= 8;

CREATE VIEW process_timeline AS
	SELECT p.run_id, p.process_id, p.cr3, p.epoch, e.seq, e.ts_ns, e.vcpu,
	       e.reason, e.reason_name, e.rip
	FROM processes p JOIN events e ON e.process_id = p.process_id;

CREATE VIEW response_latency AS
	SELECT e.run_id, e.reason, e.reason_name, count(*) AS responses,
	       avg(r.latency_ns) AS avg_ns, min(r.latency_ns) AS min_ns,
	       max(r.latency_ns) AS max_ns, sum(r.latency_ns) AS total_ns
	FROM responses r JOIN events e ON e.event_id = r.event_id
	GROUP BY e.run_id, e.reason;

CREATE VIEW events_detail AS
	SELECT e.*,
	  ma.gfn AS mem_access_gfn, ma."offset" AS mem_access_offset,
	  ma.gla AS mem_access_gla, ma.flags AS mem_access_flags,
	  wc."index" AS write_ctrlreg_index,
	  wc.new_value AS write_ctrlreg_new_value,
	  wc.old_value AS write_ctrlreg_old_value,
	  mm.msr AS mov_to_msr_msr, mm.new_value AS mov_to_msr_new_value,
	  mm.old_value AS mov_to_msr_old_value,
	  sb.gfn AS software_breakpoint_gfn,
	  sb.pending_dbg AS software_breakpoint_pending_dbg,
	  sb.insn_length AS software_breakpoint_insn_length,
	  sb.type AS software_breakpoint_type,
	  de.gfn AS debug_exception_gfn,
	  de.pending_dbg AS debug_exception_pending_dbg,
	  de.insn_length AS debug_exception_insn_length,
	  de.type AS debug_exception_type,
	  ss.gfn AS singlestep_gfn,
	  cp.insn_length AS cpuid_insn_length, cp.leaf AS cpuid_leaf,
	  cp.subleaf AS cpuid_subleaf,
	  it.vector AS interrupt_vector, it.type AS interrupt_type,
	  it.error_code AS interrupt_error_code, it.cr2 AS interrupt_cr2,
	  da.instr_info AS descriptor_access_instr_info,
	  da.exit_qualification AS descriptor_access_exit_qualification,
	  da.descriptor AS descriptor_access_descriptor,
	  da.is_write AS descriptor_access_is_write,
	  vx.reason AS vmexit_reason, vx.qualification AS vmexit_qualification,
	  io.bytes AS io_instruction_bytes, io.port AS io_instruction_port,
	  io."in" AS io_instruction_in, io.str AS io_instruction_str,
	  mp.gfn AS mem_paging_gfn, mp.p2mt AS mem_paging_p2mt,
	  mp.flags AS mem_paging_flags,
	  ms.gfn AS mem_sharing_gfn, ms.p2mt AS mem_sharing_p2mt
	FROM events e
	LEFT JOIN mem_access ma ON ma.event_id = e.event_id
	LEFT JOIN write_ctrlreg wc ON wc.event_id = e.event_id
	LEFT JOIN mov_to_msr mm ON mm.event_id = e.event_id
	LEFT JOIN software_breakpoint sb ON sb.event_id = e.event_id
	LEFT JOIN debug_exception de ON de.event_id = e.event_id
	LEFT JOIN singlestep ss ON ss.event_id = e.event_id
	LEFT JOIN cpuid cp ON cp.event_id = e.event_id
	LEFT JOIN interrupt it ON it.event_id = e.event_id
	LEFT JOIN descriptor_access da ON da.event_id = e.event_id
	LEFT JOIN vmexit vx ON vx.event_id = e.event_id
	LEFT JOIN io_instruction io ON io.event_id = e.event_id
	LEFT JOIN mem_paging mp ON mp.event_id = e.event_id
	LEFT JOIN mem_sharing ms ON ms.event_id = e.event_id;

-- @indexes: built by vmt_replay_index() after the bulk load
CREATE INDEX IF NOT EXISTS events_run_reason ON events (run_id, reason);
CREATE INDEX IF NOT EXISTS events_run_ts ON events (run_id, ts_ns);
CREATE INDEX IF NOT EXISTS events_process ON events (process_id);
CREATE INDEX IF NOT EXISTS responses_event ON responses (event_id);
CREATE INDEX IF NOT EXISTS responses_run_seq ON responses (run_id, seq);
