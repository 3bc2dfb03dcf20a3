/*
 * ch_http.c - the ClickHouse HTTP client (vmt/clickhouse.h) over libcurl.
 *
 * Every statement is one POST.  Without data the SQL is the body; with
 * data (an insert) the SQL goes in the query= parameter and the RowBinary
 * block is the body.  Results are read as TabSeparated, one line at a time,
 * so a query's client memory is one row whatever the table size.
 *
 * Retries: a request is sent again, with a growing pause, only when the
 * server surely did nothing with it (no connection; a proxy's 502/503/504;
 * ClickHouse refusing before it starts: too many queries or parts), or when
 * repeating it cannot change the result (statements and selects that have
 * not yet delivered a row).  An insert whose fate is unknown fails: the
 * loader then restarts the run (sink_clickhouse.c).
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format_log.h"
#include "vmt/clickhouse.h"

#define ATTEMPTS 6
#define FIRST_PAUSE_MS 100
#define MAX_PAUSE_MS 2000
#define MAX_LINE (16u << 20)

struct vmt_ch {
	CURL *curl;
	char *url;          /* scheme://authority/path?params (credentials out) */
	char *database;
	char *user, *password;
	char err[512];
};

/* A response: either a row stream (select) or kept error text. */
struct resp {
	struct vmt_ch *c;
	vmt_ch_row_fn fn;
	void *ctx;
	char *line;
	size_t len, cap;
	int stop;           /* the row callback's return */
	int rows;           /* rows delivered: a retry would repeat them */
	char body[512];     /* start of a non-200 body: the server's message */
	size_t blen;
	long status;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- URL: database and credentials out of the query string ---- */

static char *param_value(const char *p, size_t n)
{
	char *v = curl_easy_unescape(NULL, p, (int)n, NULL);
	char *dup = v ? strdup(v) : NULL;

	curl_free(v);
	return dup;
}

/* Rebuilds the query string without user= / password=, which move to
 * HTTP authentication (they would otherwise sit in every request line). */
static int split_params(struct vmt_ch *c, const char *q, char *keep)
{
	size_t kl = strlen(keep);

	while (*q) {
		size_t n = strcspn(q, "&");
		char **slot = !strncmp(q, "user=", 5) ? &c->user
			    : !strncmp(q, "password=", 9) ? &c->password : NULL;

		if (!strncmp(q, "database=", 9)) {
			free(c->database);
			c->database = param_value(q + 9, n - 9);
			if (!c->database)
				return -ENOMEM;
		}
		if (slot) {
			const char *v = strchr(q, '=') + 1;

			free(*slot);
			*slot = param_value(v, n - (size_t)(v - q));
			if (!*slot)
				return -ENOMEM;
		} else if (n) {
			kl += (size_t)sprintf(keep + kl, "%s%.*s", kl ? "&" : "", (int)n, q);
		}
		q += n + (q[n] == '&');
	}
	return 0;
}

static int parse_url(struct vmt_ch *c, const char *url)
{
	const char *q = strchr(url, '?');
	size_t base = q ? (size_t)(q - url) : strlen(url);
	char *keep;
	int err;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return -EINVAL;
	keep = calloc(1, strlen(url) + 2);
	c->url = calloc(1, strlen(url) + 4);
	if (!keep || !c->url) {
		free(keep);
		return -ENOMEM;
	}
	err = q ? split_params(c, q + 1, keep) : 0;
	if (!err)
		sprintf(c->url, "%.*s%s%s%s", (int)base, url,
			base > 8 && memchr(url + 8, '/', base - 8) ? "" : "/",
			*keep ? "?" : "", keep);
	free(keep);
	return err;
}

static int env_credentials(struct vmt_ch *c, const char *url)
{
	const char *user = getenv("CLICKHOUSE_USER");
	const char *pw = getenv("CLICKHOUSE_PASSWORD");
	const char *at = strchr(url, '@'), *q = strchr(url, '?');

	if (at && (!q || at < q))   /* user:password@ in the URL: curl's job */
		return 0;
	if (!c->user && user && !(c->user = strdup(user)))
		return -ENOMEM;
	if (!c->password && pw && !(c->password = strdup(pw)))
		return -ENOMEM;
	return 0;
}

VMT_API int vmt_ch_open(struct vmt_ch **out, const char *url)
{
	struct vmt_ch *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	pthread_once(&curl_once, curl_init);
	err = parse_url(c, url);
	if (!err)
		err = env_credentials(c, url);
	if (!err && !c->database && !(c->database = strdup("default")))
		err = -ENOMEM;
	if (!err && !(c->curl = curl_easy_init()))
		err = -ENOMEM;
	if (err) {
		vmt_ch_close(c);
		return err;
	}
	*out = c;
	return 0;
}

VMT_API void vmt_ch_close(struct vmt_ch *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->url);
	free(c->database);
	free(c->user);
	free(c->password);
	free(c);
}

VMT_API const char *vmt_ch_database(const struct vmt_ch *c)
{
	return c->database;
}

VMT_API const char *vmt_ch_error(const struct vmt_ch *c)
{
	return c->err;
}

/* ---- TabSeparated rows ---- */

static char unescape_char(char e)
{
	switch (e) {
	case 't': return '\t';
	case 'n': return '\n';
	case 'r': return '\r';
	case 'b': return '\b';
	case 'f': return '\f';
	case '0': return '\0';
	default: return e;      /* \\ \' and anything else: the character */
	}
}

#define MAX_COLS 64

static int deliver_line(struct resp *r)
{
	char *cols[MAX_COLS], *p = r->line, *w = r->line;
	size_t n = 0;

	cols[n++] = w;
	for (; p < r->line + r->len; p++) {
		if (*p == '\t' && n < MAX_COLS) {
			*w++ = '\0';
			cols[n++] = w;
		} else if (*p == '\\' && p + 1 < r->line + r->len) {
			*w++ = unescape_char(*++p);
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	r->rows = 1;
	return r->fn(r->ctx, cols, n);
}

static int add_bytes(struct resp *r, const char *p, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *l;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > MAX_LINE || !(l = realloc(r->line, cap)))
			return -ENOMEM;
		r->line = l;
		r->cap = cap;
	}
	memcpy(r->line + r->len, p, n);
	r->len += n;
	return 0;
}

static size_t on_data(char *p, size_t sz, size_t nm, void *arg)
{
	struct resp *r = arg;
	size_t n = sz * nm, done = 0;

	if (!r->status)
		curl_easy_getinfo(r->c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status != 200 || !r->fn) {
		size_t k = n < sizeof(r->body) - 1 - r->blen ? n : sizeof(r->body) - 1 - r->blen;

		memcpy(r->body + r->blen, p, k);
		r->blen += k;
		r->body[r->blen] = '\0';
		return n;
	}
	while (done < n && !r->stop) {
		char *nl = memchr(p + done, '\n', n - done);
		size_t k = nl ? (size_t)(nl - (p + done)) : n - done;

		r->stop = add_bytes(r, p + done, k);
		done += k + (nl != NULL);
		if (nl && !r->stop) {
			r->stop = deliver_line(r);
			r->len = 0;
		}
	}
	return r->stop ? 0 : n;
}

/* ---- one request, then the retry policy ---- */

/* The ClickHouse error code in a response body ("Code: 81, ..." in 18.16,
 * "Code: 81. DB::Exception ..." today), or -1. */
static int server_code(const char *body)
{
	const char *p = strstr(body, "Code: ");

	return p ? atoi(p + 6) : -1;
}

static int code_errno(int code)
{
	switch (code) {
	case 81: return -ENOENT;                    /* UNKNOWN_DATABASE */
	case 192: case 193: case 194: case 195: case 516:
		return -EACCES;                     /* unknown user, password... */
	default: return -EIO;
	}
}

/* Refused before anything ran: too many simultaneous queries, too many
 * parts (merges behind), memory or thread limits at start. */
static int refused_before_start(int code)
{
	return code == 202 || code == 252 || code == 242 || code == 439;
}

/*
 * A connection between the servers of a cluster failed while the query
 * ran: UNEXPECTED_PACKET_FROM_CLIENT (a Distributed query's known race in
 * older servers), SOCKET_TIMEOUT, NETWORK_ERROR, ALL_CONNECTION_TRIES_FAILED.
 * The query may have run in part, so only what can be repeated is.
 */
static int cluster_link_failed(int code)
{
	return code == 101 || code == 209 || code == 210 || code == 279;
}

enum outcome { OK, FAILED, RETRY_SAFE, RETRY_IF_IDEMPOTENT };

static enum outcome classify(struct vmt_ch *c, CURLcode rc, struct resp *r, int *err)
{
	int code;

	if (rc == CURLE_OK && r->status == 200) {
		*err = 0;
		return OK;
	}
	if (r->stop && r->stop != -ENOMEM) {        /* the caller stopped */
		*err = r->stop;
		return FAILED;
	}
	if (rc != CURLE_OK) {
		snprintf(c->err, sizeof(c->err), "%s", r->stop == -ENOMEM ?
			 "result line too long" : curl_easy_strerror(rc));
		/* -ECONNRESET: the request may or may not have run */
		*err = r->stop == -ENOMEM ? -ENOMEM
		     : rc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -ECONNRESET;
		return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST
			       ? RETRY_SAFE
		     : r->stop ? FAILED : RETRY_IF_IDEMPOTENT;
	}
	code = server_code(r->body);
	snprintf(c->err, sizeof(c->err), "%s%.*s", code < 0 ? "HTTP error: " : "",
		 (int)strcspn(r->body, "\n"), r->body);
	*err = code_errno(code);
	if (code < 0 && (r->status == 502 || r->status == 503 || r->status == 504))
		return RETRY_SAFE;
	return refused_before_start(code) ? RETRY_SAFE
	     : cluster_link_failed(code) ? RETRY_IF_IDEMPOTENT : FAILED;
}

static CURLcode perform(struct vmt_ch *c, const char *sql, const void *data,
			size_t n, struct resp *r)
{
	char *url = NULL, *esc = NULL;
	CURLcode rc;

	curl_easy_reset(c->curl);
	if (data) {
		esc = curl_easy_escape(c->curl, sql, 0);
		url = esc ? malloc(strlen(c->url) + strlen(esc) + 16) : NULL;
		if (!url) {
			curl_free(esc);
			return CURLE_OUT_OF_MEMORY;
		}
		sprintf(url, "%s%cquery=%s", c->url, strchr(c->url, '?') ? '&' : '?', esc);
		curl_free(esc);
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, url ? url : c->url);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, data ? data : (const void *)sql);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)(data ? n : strlen(sql)));
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	if (c->user)
		curl_easy_setopt(c->curl, CURLOPT_USERNAME, c->user);
	if (c->password)
		curl_easy_setopt(c->curl, CURLOPT_PASSWORD, c->password);
	rc = curl_easy_perform(c->curl);
	if (!r->status)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	/* the last line of a result that ends without a newline */
	if (rc == CURLE_OK && r->status == 200 && r->fn && r->len && !r->stop)
		r->stop = deliver_line(r);
	free(url);
	return rc;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int request(struct vmt_ch *c, const char *sql, const void *data, size_t n,
		   vmt_ch_row_fn fn, void *ctx, int idempotent)
{
	unsigned pause = FIRST_PAUSE_MS;
	int err = -EIO;

	for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
		struct resp r = { .c = c, .fn = fn, .ctx = ctx };
		CURLcode rc = perform(c, sql, data, n, &r);
		enum outcome o = classify(c, rc, &r, &err);

		free(r.line);
		if (o == OK || o == FAILED || (o == RETRY_IF_IDEMPOTENT &&
					       (!idempotent || r.rows)))
			return err;
		if (attempt < ATTEMPTS) {
			vmt_log(VMT_LOG_DEBUG, "clickhouse: %s; retrying", c->err);
			pause_ms(pause);
			pause = pause * 2 > MAX_PAUSE_MS ? MAX_PAUSE_MS : pause * 2;
		}
	}
	return err;
}

VMT_API int vmt_ch_exec(struct vmt_ch *c, const char *sql)
{
	return request(c, sql, NULL, 0, NULL, NULL, 1);
}

VMT_API int vmt_ch_insert(struct vmt_ch *c, const char *sql, const void *data,
			  size_t n)
{
	return request(c, sql, data ? data : "", n, NULL, NULL, 0);
}

VMT_API int vmt_ch_select(struct vmt_ch *c, const char *sql, vmt_ch_row_fn fn,
			  void *ctx)
{
	size_t n = strlen(sql);
	char *q = malloc(n + 24);
	int err;

	if (!q)
		return -ENOMEM;
	sprintf(q, "%s FORMAT TabSeparated", sql);
	err = request(c, q, NULL, 0, fn, ctx, 1);
	free(q);
	return err;
}

static int ignore_row(void *ctx, char **cols, size_t ncols)
{
	return 0;
}

VMT_API int vmt_ch_check(struct vmt_ch *c)
{
	return vmt_ch_select(c, "SELECT 1", ignore_row, NULL);
}

VMT_API int vmt_ch_quote(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s; s++) {
		int esc = *s == '\'' || *s == '\\';

		if (n + 3 + (size_t)esc >= cap)
			return -ENOSPC;
		if (!n)
			out[n++] = '\'';
		if (esc)
			out[n++] = '\\';
		out[n++] = *s;
	}
	if (n + 3 > cap)
		return -ENOSPC;
	if (!n)
		out[n++] = '\'';
	out[n++] = '\'';
	out[n] = '\0';
	return (int)n;
}

VMT_API int64_t vmt_ch_run_id(const char *uuid)
{
	uint64_t v = 0;
	int digits = 0;

	for (const char *p = uuid; *p && digits < 13; p++) {
		int d = *p >= '0' && *p <= '9' ? *p - '0'
		      : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
		      : *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

		if (d < 0 && *p != '-')
			return -EINVAL;
		if (d >= 0) {
			v = v << 4 | (uint64_t)d;
			digits++;
		}
	}
	return digits == 13 ? (int64_t)v : -EINVAL;
}
