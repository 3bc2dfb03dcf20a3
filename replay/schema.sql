-- schema.sql - the SQLite schema vmtrail-replay writes (SCHEMA.md explains
-- every table).  Compiled into libvmt_replay; applied to an empty database.
-- Changes: add tables, columns, views, indexes; never rename or remove.
-- Schema 2 turned the detail tables, responses and event_regs into views
-- over columns of events and a table of compressed register blocks, under
-- their schema-1 names and columns.  Schema 3 keeps out of the register
-- blocks what the columns of events hold (SCHEMA.md "events, event_regs").
-- Schema 4 stores an event in a narrower table, event_rows, and makes
-- events a view with every schema-3 column: the registers other than rip
-- and rax come out of the register blocks (vmt_block_reg()), cr3 from
-- processes.
-- Every 64-bit unsigned value is stored as its two's complement (SCHEMA.md
-- "Unsigned 64-bit values").
PRAGMA user_version = 4;

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
	phase_names TEXT NOT NULL,           -- "CODE=NAME;...", also table phase_names
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
	end_cause INTEGER NOT NULL,          -- = end_cause_code (schema 1 name)
	end_cause_code INTEGER NOT NULL,
	end_cause_name TEXT NOT NULL,
	summary_from_trailer INTEGER NOT NULL,
	-- integrity as the reader found it
	complete INTEGER NOT NULL,
	chunks INTEGER NOT NULL,
	damaged_chunks INTEGER NOT NULL,
	first_damaged INTEGER NOT NULL,      -- chunk index, -1 if none
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

-- One row per request, with its reason's payload and its response: what
-- SQL reads without the vmtrail extension.  event_id grows in import order,
-- across runs.  The events view adds the other registers.
CREATE TABLE event_rows (
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
	rax INTEGER,
	-- the payload: the detail view's columns in order (p1 = first)
	p1 INTEGER, p2 INTEGER, p3 INTEGER, p4 INTEGER,
	-- the response (all NULL when none was imported for this request)
	rsp_ts_ns INTEGER,
	rsp_vcpu INTEGER,          -- NULL: the request's vcpu
	rsp_flags INTEGER,
	rsp_altp2m_idx INTEGER,
	set_regs INTEGER,
	new_rip INTEGER,
	p2midx INTEGER
);

-- The registers of consecutive events (event_id block_id .. block_id +
-- entries - 1) of one run.  data: the raw request entries, one zstd
-- frame, less the bytes that event_rows and regs hold, put back by
-- vmt_entry() (NULL: imported with --no-regs).  regs: rsp, rbx, rcx, rdx,
-- rsi, rdi and rflags of each entry, each XORed with the same vCPU's
-- last entry, read by vmt_block_reg() (SCHEMA.md "events, event_regs").
CREATE TABLE reg_blocks (
	block_id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	entries INTEGER NOT NULL,
	data BLOB,
	regs BLOB NOT NULL
);

-- An event's block: the last one starting at or before it.
CREATE VIEW event_regs AS
	SELECT e.event_id AS event_id,
	       vmt_entry(b.data, e.event_id - b.block_id, e.rip,
			 vmt_block_reg(b.regs, e.event_id - b.block_id, 'rsp'), NULL,
			 e.rax,
			 vmt_block_reg(b.regs, e.event_id - b.block_id, 'rbx'),
			 vmt_block_reg(b.regs, e.event_id - b.block_id, 'rcx'),
			 vmt_block_reg(b.regs, e.event_id - b.block_id, 'rdx'),
			 vmt_block_reg(b.regs, e.event_id - b.block_id, 'rsi'),
			 vmt_block_reg(b.regs, e.event_id - b.block_id, 'rdi'),
			 vmt_block_reg(b.regs, e.event_id - b.block_id, 'rflags'),
			 e.p1, e.p2, e.p3, e.p4) AS entry
	FROM event_rows e JOIN reg_blocks b ON b.block_id =
		(SELECT block_id FROM reg_blocks WHERE block_id <= e.event_id
		 ORDER BY block_id DESC LIMIT 1)
	WHERE e.event_id - b.block_id < b.entries AND b.data IS NOT NULL;

-- Every column of an event, under the schema-3 names: event_rows, cr3 from
-- the event's process, the other registers from its register block (the
-- last one starting at or before it; vmt_block_reg() is NULL past its
-- entries).  Each is a subquery of its own, not a join: SQLite drops the
-- subqueries of the columns a query does not read, where it keeps every
-- LEFT JOIN of an aggregate (count(*) over a join of processes and
-- reg_blocks took 0.6 us an event against 0.03 without).  The registers
-- need the vmtrail SQL functions.
CREATE VIEW events AS
	SELECT e.event_id AS event_id, e.run_id AS run_id, e.seq AS seq,
	  e.ts_ns AS ts_ns, e.vcpu AS vcpu, e.reason AS reason,
	  e.reason_name AS reason_name, e.flags AS flags,
	  e.altp2m_idx AS altp2m_idx, e.process_id AS process_id, e.rip AS rip,
	  (SELECT vmt_block_reg(b.regs, e.event_id - b.block_id, 'rsp')
	   FROM reg_blocks b WHERE b.block_id <= e.event_id
	   ORDER BY b.block_id DESC LIMIT 1) AS rsp,
	  (SELECT cr3 FROM processes p WHERE p.process_id = e.process_id) AS cr3,
	  e.rax AS rax,
	  (SELECT vmt_block_reg(b.regs, e.event_id - b.block_id, 'rbx')
	   FROM reg_blocks b WHERE b.block_id <= e.event_id
	   ORDER BY b.block_id DESC LIMIT 1) AS rbx,
	  (SELECT vmt_block_reg(b.regs, e.event_id - b.block_id, 'rcx')
	   FROM reg_blocks b WHERE b.block_id <= e.event_id
	   ORDER BY b.block_id DESC LIMIT 1) AS rcx,
	  (SELECT vmt_block_reg(b.regs, e.event_id - b.block_id, 'rdx')
	   FROM reg_blocks b WHERE b.block_id <= e.event_id
	   ORDER BY b.block_id DESC LIMIT 1) AS rdx,
	  (SELECT vmt_block_reg(b.regs, e.event_id - b.block_id, 'rsi')
	   FROM reg_blocks b WHERE b.block_id <= e.event_id
	   ORDER BY b.block_id DESC LIMIT 1) AS rsi,
	  (SELECT vmt_block_reg(b.regs, e.event_id - b.block_id, 'rdi')
	   FROM reg_blocks b WHERE b.block_id <= e.event_id
	   ORDER BY b.block_id DESC LIMIT 1) AS rdi,
	  (SELECT vmt_block_reg(b.regs, e.event_id - b.block_id, 'rflags')
	   FROM reg_blocks b WHERE b.block_id <= e.event_id
	   ORDER BY b.block_id DESC LIMIT 1) AS rflags,
	  e.p1 AS p1, e.p2 AS p2, e.p3 AS p3, e.p4 AS p4,
	  e.rsp_ts_ns AS rsp_ts_ns, e.rsp_vcpu AS rsp_vcpu,
	  e.rsp_flags AS rsp_flags, e.rsp_altp2m_idx AS rsp_altp2m_idx,
	  e.set_regs AS set_regs, e.new_rip AS new_rip, e.p2midx AS p2midx
	FROM event_rows e;

-- Responses whose request was not imported (filtered out, or in a
-- damaged chunk); the others are columns of events.
CREATE TABLE lone_responses (
	response_id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs,
	seq INTEGER NOT NULL,
	ts_ns INTEGER NOT NULL,
	vcpu INTEGER NOT NULL,
	flags INTEGER NOT NULL,
	altp2m_idx INTEGER,
	new_rip INTEGER,
	p2midx INTEGER
);

-- response_id: the request's event_id, or minus the lone_responses row.
CREATE VIEW responses AS
	SELECT event_id AS response_id, run_id, seq, event_id,
	       rsp_ts_ns AS ts_ns, rsp_ts_ns - ts_ns AS latency_ns,
	       coalesce(rsp_vcpu, vcpu) AS vcpu, rsp_flags AS flags,
	       rsp_altp2m_idx AS altp2m_idx, set_regs, new_rip, p2midx
	FROM event_rows WHERE rsp_ts_ns IS NOT NULL
	UNION ALL
	SELECT -response_id, run_id, seq, NULL, ts_ns, NULL, vcpu, flags,
	       altp2m_idx, NULL, new_rip, p2midx
	FROM lone_responses;

-- Detail views: one per reason with a payload; columns = payload fields
-- (NULL where the run's ABI version lacks the field).
CREATE VIEW mem_access AS SELECT event_id, run_id,
	p1 AS gfn, p2 AS "offset", p3 AS gla, p4 AS flags
	FROM event_rows WHERE reason = 1;
CREATE VIEW mem_sharing AS SELECT event_id, run_id,
	p1 AS gfn, p2 AS p2mt
	FROM event_rows WHERE reason = 2;
CREATE VIEW mem_paging AS SELECT event_id, run_id,
	p1 AS gfn, p2 AS p2mt, p3 AS flags
	FROM event_rows WHERE reason = 3;
CREATE VIEW write_ctrlreg AS SELECT event_id, run_id,
	p1 AS "index", p2 AS new_value, p3 AS old_value
	FROM event_rows WHERE reason = 4;
CREATE VIEW mov_to_msr AS SELECT event_id, run_id,
	p1 AS msr, p2 AS new_value, p3 AS old_value
	FROM event_rows WHERE reason = 5;
CREATE VIEW software_breakpoint AS SELECT event_id, run_id,
	p1 AS gfn, p2 AS pending_dbg, p3 AS insn_length, p4 AS type
	FROM event_rows WHERE reason = 6;
CREATE VIEW singlestep AS SELECT event_id, run_id,
	p1 AS gfn
	FROM event_rows WHERE reason = 7;
CREATE VIEW debug_exception AS SELECT event_id, run_id,
	p1 AS gfn, p2 AS pending_dbg, p3 AS insn_length, p4 AS type
	FROM event_rows WHERE reason = 9;
CREATE VIEW cpuid AS SELECT event_id, run_id,
	p1 AS insn_length, p2 AS leaf, p3 AS subleaf
	FROM event_rows WHERE reason = 10;
CREATE VIEW interrupt AS SELECT event_id, run_id,
	p1 AS vector, p2 AS type, p3 AS error_code, p4 AS cr2
	FROM event_rows WHERE reason = 12;
CREATE VIEW descriptor_access AS SELECT event_id, run_id,
	p1 AS instr_info, p2 AS exit_qualification, p3 AS descriptor,
	p4 AS is_write
	FROM event_rows WHERE reason = 13;
CREATE VIEW vmexit AS SELECT event_id, run_id,
	p1 AS reason, p2 AS qualification
	FROM event_rows WHERE reason = 15;
CREATE VIEW io_instruction AS SELECT event_id, run_id,
	p1 AS bytes, p2 AS port, p3 AS "in", p4 AS str
	FROM event_rows WHERE reason = 16;

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
	FROM event_rows GROUP BY run_id, reason;

CREATE VIEW stalls AS
	SELECT * FROM ring_stats WHERE backpressure_ns > 0 OR occupancy >= 8;

CREATE VIEW process_timeline AS
	SELECT p.run_id, p.process_id, p.cr3, p.epoch, e.seq, e.ts_ns, e.vcpu,
	       e.reason, e.reason_name, e.rip
	FROM processes p JOIN event_rows e ON e.process_id = p.process_id;

CREATE VIEW response_latency AS
	SELECT run_id, reason, reason_name, count(*) AS responses,
	       avg(rsp_ts_ns - ts_ns) AS avg_ns, min(rsp_ts_ns - ts_ns) AS min_ns,
	       max(rsp_ts_ns - ts_ns) AS max_ns, sum(rsp_ts_ns - ts_ns) AS total_ns
	FROM event_rows WHERE rsp_ts_ns IS NOT NULL
	GROUP BY run_id, reason;

CREATE VIEW events_detail AS
	SELECT event_id, run_id, seq, ts_ns, vcpu, reason, reason_name, flags,
	  altp2m_idx, process_id, rip, rsp, cr3, rax, rbx, rcx, rdx, rsi, rdi,
	  rflags,
	  CASE reason WHEN 1 THEN p1 END AS mem_access_gfn,
	  CASE reason WHEN 1 THEN p2 END AS mem_access_offset,
	  CASE reason WHEN 1 THEN p3 END AS mem_access_gla,
	  CASE reason WHEN 1 THEN p4 END AS mem_access_flags,
	  CASE reason WHEN 4 THEN p1 END AS write_ctrlreg_index,
	  CASE reason WHEN 4 THEN p2 END AS write_ctrlreg_new_value,
	  CASE reason WHEN 4 THEN p3 END AS write_ctrlreg_old_value,
	  CASE reason WHEN 5 THEN p1 END AS mov_to_msr_msr,
	  CASE reason WHEN 5 THEN p2 END AS mov_to_msr_new_value,
	  CASE reason WHEN 5 THEN p3 END AS mov_to_msr_old_value,
	  CASE reason WHEN 6 THEN p1 END AS software_breakpoint_gfn,
	  CASE reason WHEN 6 THEN p2 END AS software_breakpoint_pending_dbg,
	  CASE reason WHEN 6 THEN p3 END AS software_breakpoint_insn_length,
	  CASE reason WHEN 6 THEN p4 END AS software_breakpoint_type,
	  CASE reason WHEN 9 THEN p1 END AS debug_exception_gfn,
	  CASE reason WHEN 9 THEN p2 END AS debug_exception_pending_dbg,
	  CASE reason WHEN 9 THEN p3 END AS debug_exception_insn_length,
	  CASE reason WHEN 9 THEN p4 END AS debug_exception_type,
	  CASE reason WHEN 7 THEN p1 END AS singlestep_gfn,
	  CASE reason WHEN 10 THEN p1 END AS cpuid_insn_length,
	  CASE reason WHEN 10 THEN p2 END AS cpuid_leaf,
	  CASE reason WHEN 10 THEN p3 END AS cpuid_subleaf,
	  CASE reason WHEN 12 THEN p1 END AS interrupt_vector,
	  CASE reason WHEN 12 THEN p2 END AS interrupt_type,
	  CASE reason WHEN 12 THEN p3 END AS interrupt_error_code,
	  CASE reason WHEN 12 THEN p4 END AS interrupt_cr2,
	  CASE reason WHEN 13 THEN p1 END AS descriptor_access_instr_info,
	  CASE reason WHEN 13 THEN p2 END AS descriptor_access_exit_qualification,
	  CASE reason WHEN 13 THEN p3 END AS descriptor_access_descriptor,
	  CASE reason WHEN 13 THEN p4 END AS descriptor_access_is_write,
	  CASE reason WHEN 15 THEN p1 END AS vmexit_reason,
	  CASE reason WHEN 15 THEN p2 END AS vmexit_qualification,
	  CASE reason WHEN 16 THEN p1 END AS io_instruction_bytes,
	  CASE reason WHEN 16 THEN p2 END AS io_instruction_port,
	  CASE reason WHEN 16 THEN p3 END AS io_instruction_in,
	  CASE reason WHEN 16 THEN p4 END AS io_instruction_str,
	  CASE reason WHEN 3 THEN p1 END AS mem_paging_gfn,
	  CASE reason WHEN 3 THEN p2 END AS mem_paging_p2mt,
	  CASE reason WHEN 3 THEN p3 END AS mem_paging_flags,
	  CASE reason WHEN 2 THEN p1 END AS mem_sharing_gfn,
	  CASE reason WHEN 2 THEN p2 END AS mem_sharing_p2mt
	FROM events;

-- Kept up during the load: an import appends to it in key order (a
-- run's events come in time order), cheaper than sorting the table after
-- (BENCHMARKS.md "Schema 4").
CREATE INDEX IF NOT EXISTS events_run_ts ON event_rows (run_id, ts_ns);

-- @indexes: built by vmt_replay_index() after the bulk load
CREATE INDEX IF NOT EXISTS lone_responses_run_seq ON lone_responses (run_id, seq);
