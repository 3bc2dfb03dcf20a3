-- clickhouse.sql - the ClickHouse tables vmtrail-replay --clickhouse loads
-- (replay/CLICKHOUSE.md explains the layout).  Compiled into libvmt_replay,
-- each statement runs when its table is missing.  Same table and column names
-- as the SQLite schema (schema.sql, SCHEMA.md).  Every integer is Int64 (a
-- 64-bit unsigned value as its two's complement, as in SQLite), Nullable
-- where SQLite allows NULL.  TEXT and BLOB are String.  No semicolon may
-- appear in a comment: the loader splits the statements on them.
--
-- Ids: run_id is derived from the run's UUID (vmt_ch_run_id()), event_id
-- and process_id count from 1 inside their run: (run_id, event_id) names an
-- event.  Every table of rows is partitioned by run_id, so a failed load's
-- rows are dropped in one step.  A run exists for queries once its runs row
-- does, and that row is written last.

CREATE TABLE IF NOT EXISTS runs (
	run_id Int64, uuid String, trace_path String, imported_at String,
	start_wall_ns Int64, start_wall String, clock_mono_ns Int64,
	duration_ns Int64, abi_version Int64, req_size Int64, rsp_size Int64,
	page_size Int64, xen_major Int64, xen_minor Int64, xen_extra String,
	xen_version String, host String, domid Int64, domain_name String,
	vcpus Int64, monitors String, labels String, recorder_version String,
	cmdline String, codec Int64, level Int64, fingerprint String,
	records Int64, requests Int64, responses Int64, markers Int64,
	notes Int64, ring_stats Int64, lost Int64, first_seq Int64,
	last_seq Int64, first_ts_ns Int64, last_ts_ns Int64,
	backpressure_ns Int64, max_occupancy Int64, batches Int64,
	end_cause Int64, end_cause_name String, summary_from_trailer Int64,
	complete Int64, chunks Int64, damaged_chunks Int64, cut_offset Int64,
	unknown_records Int64, file_size Int64, filtered Int64,
	imported_events Int64, imported_responses Int64)
	ENGINE = MergeTree ORDER BY (run_id);

CREATE TABLE IF NOT EXISTS run_labels (run_id Int64, key String, value String)
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, key);

CREATE TABLE IF NOT EXISTS run_monitors (run_id Int64, position Int64,
	monitor String, params String)
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, position);

-- phase names "CODE=NAME" of the header, one row per name: what the
-- guest's phase markers (guest requests carrying CODE) mean.
CREATE TABLE IF NOT EXISTS phase_names (run_id Int64, code Int64, name String)
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, code);

-- VM_EVENT_REASON_* codes and the detail table of each: a view over
-- constants, so that loaders starting at once never insert it twice.
CREATE VIEW IF NOT EXISTS reasons AS SELECT toInt64(number) AS reason,
	arrayElement(['unknown', 'mem_access', 'mem_sharing', 'mem_paging',
		'write_ctrlreg', 'mov_to_msr', 'software_breakpoint',
		'singlestep', 'guest_request', 'debug_exception', 'cpuid',
		'privileged_call', 'interrupt', 'descriptor_access',
		'emul_unimplemented', 'vmexit', 'io_instruction'],
		number + 1) AS name,
	if(has([0, 8, 11, 14], number), NULL, name) AS detail_table
	FROM system.numbers LIMIT 17;

-- Ordered by reason inside a run: analyze reads one reason at a time, and
-- fleet questions ("every guest request", "every breakpoint") skip the rest.
CREATE TABLE IF NOT EXISTS events (event_id Int64, run_id Int64, seq Int64,
	ts_ns Int64, vcpu Int64, reason Int64,
	reason_name String ALIAS transform(reason,
		[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
		['unknown', 'mem_access', 'mem_sharing', 'mem_paging',
		 'write_ctrlreg', 'mov_to_msr', 'software_breakpoint',
		 'singlestep', 'guest_request', 'debug_exception', 'cpuid',
		 'privileged_call', 'interrupt', 'descriptor_access',
		 'emul_unimplemented', 'vmexit', 'io_instruction'],
		concat('reason_', toString(reason))),
	flags Int64, altp2m_idx Int64, process_id Nullable(Int64),
	rip Nullable(Int64), rsp Nullable(Int64), cr3 Nullable(Int64),
	rax Nullable(Int64), rbx Nullable(Int64), rcx Nullable(Int64),
	rdx Nullable(Int64), rsi Nullable(Int64), rdi Nullable(Int64),
	rflags Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, reason, event_id);

CREATE TABLE IF NOT EXISTS event_regs (event_id Int64, run_id Int64,
	entry String)
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, event_id);

-- Detail tables: ordered by the field fleets ask about (which MSR, which
-- port, which CPUID leaf...), so "every run that wrote MSR x" reads a
-- range of each run instead of the whole table.
CREATE TABLE IF NOT EXISTS mem_access (event_id Int64, run_id Int64,
	`gfn` Nullable(Int64), `offset` Nullable(Int64), `gla` Nullable(Int64), `flags` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`gfn`, -1), event_id);
CREATE TABLE IF NOT EXISTS mem_sharing (event_id Int64, run_id Int64,
	`gfn` Nullable(Int64), `p2mt` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`gfn`, -1), event_id);
CREATE TABLE IF NOT EXISTS mem_paging (event_id Int64, run_id Int64,
	`gfn` Nullable(Int64), `p2mt` Nullable(Int64), `flags` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`gfn`, -1), event_id);
CREATE TABLE IF NOT EXISTS write_ctrlreg (event_id Int64, run_id Int64,
	`index` Nullable(Int64), `new_value` Nullable(Int64), `old_value` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`index`, -1), event_id);
CREATE TABLE IF NOT EXISTS mov_to_msr (event_id Int64, run_id Int64,
	`msr` Nullable(Int64), `new_value` Nullable(Int64), `old_value` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`msr`, -1), event_id);
CREATE TABLE IF NOT EXISTS software_breakpoint (event_id Int64, run_id Int64,
	`gfn` Nullable(Int64), `pending_dbg` Nullable(Int64), `insn_length` Nullable(Int64), `type` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`gfn`, -1), event_id);
CREATE TABLE IF NOT EXISTS debug_exception (event_id Int64, run_id Int64,
	`gfn` Nullable(Int64), `pending_dbg` Nullable(Int64), `insn_length` Nullable(Int64), `type` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`gfn`, -1), event_id);
CREATE TABLE IF NOT EXISTS singlestep (event_id Int64, run_id Int64,
	`gfn` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`gfn`, -1), event_id);
CREATE TABLE IF NOT EXISTS cpuid (event_id Int64, run_id Int64,
	`insn_length` Nullable(Int64), `leaf` Nullable(Int64), `subleaf` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`leaf`, -1), event_id);
CREATE TABLE IF NOT EXISTS interrupt (event_id Int64, run_id Int64,
	`vector` Nullable(Int64), `type` Nullable(Int64), `error_code` Nullable(Int64), `cr2` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`vector`, -1), event_id);
CREATE TABLE IF NOT EXISTS descriptor_access (event_id Int64, run_id Int64,
	`instr_info` Nullable(Int64), `exit_qualification` Nullable(Int64), `descriptor` Nullable(Int64), `is_write` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`descriptor`, -1), event_id);
CREATE TABLE IF NOT EXISTS vmexit (event_id Int64, run_id Int64,
	`reason` Nullable(Int64), `qualification` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`reason`, -1), event_id);
CREATE TABLE IF NOT EXISTS io_instruction (event_id Int64, run_id Int64,
	`bytes` Nullable(Int64), `port` Nullable(Int64), `in` Nullable(Int64), `str` Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id
	ORDER BY (run_id, ifNull(`port`, -1), event_id);

CREATE TABLE IF NOT EXISTS responses (response_id Int64, run_id Int64,
	seq Int64, event_id Nullable(Int64), ts_ns Int64,
	latency_ns Nullable(Int64), vcpu Int64, flags Int64,
	altp2m_idx Nullable(Int64), set_regs Nullable(Int64),
	new_rip Nullable(Int64), p2midx Nullable(Int64))
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, seq);

CREATE TABLE IF NOT EXISTS markers (marker_id Int64, run_id Int64, seq Int64,
	ts_ns Int64, text String)
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, seq);

CREATE TABLE IF NOT EXISTS notes (note_id Int64, run_id Int64, seq Int64,
	ts_ns Int64, text String)
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, seq);

CREATE TABLE IF NOT EXISTS ring_stats (stat_id Int64, run_id Int64, seq Int64,
	ts_ns Int64, occupancy Int64, handled Int64, batch_ns Int64,
	backpressure_ns Int64)
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, seq);

CREATE TABLE IF NOT EXISTS gaps (gap_id Int64, run_id Int64, kind String,
	chunk Nullable(Int64), first_seq Nullable(Int64),
	last_seq Nullable(Int64), first_ns Nullable(Int64),
	last_ns Nullable(Int64), count Nullable(Int64), cause String)
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, gap_id);

CREATE TABLE IF NOT EXISTS processes (process_id Int64, run_id Int64,
	cr3 Int64, epoch Int64, first_ns Int64, last_ns Int64, first_seq Int64,
	last_seq Int64, events Int64)
	ENGINE = MergeTree PARTITION BY run_id ORDER BY (run_id, process_id);
