/*
 * rows.c - a diff's rows kept on disk, seen through a window of a few
 * hundred rows.  A diff of runs with many behaviours has as many rows, and
 * every pass, the correction and the reports read them in order: a window
 * that follows the reader holds a fixed amount of memory however many rows
 * there are.  The file holds the structs as they are in memory: it is this
 * process's scratch (vmt_an_scratch()), never read by anything else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "analyze_int.h"

#define ROWS_WINDOW 512u

static off_t offset_of(size_t i)
{
	return (off_t)i * (off_t)sizeof(struct vmt_an_row);
}

int vmt_an_rows_open(struct vmt_an_rows *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->win = malloc(ROWS_WINDOW * sizeof(*s->win));
	if (!s->win)
		return -ENOMEM;
	if ((err = vmt_an_scratch(&s->f))) {
		free(s->win);
		s->win = NULL;
	}
	return err;
}

static void flush(struct vmt_an_rows *s)
{
	if (!s->dirty || s->err)
		return;
	if (fseeko(s->f, offset_of(s->base), SEEK_SET) ||
	    fwrite(s->win, sizeof(*s->win), s->len, s->f) != s->len)
		s->err = -EIO;
	s->dirty = 0;
}

/* The window that holds row @i (the rows on disk from its first on). */
static void move_to(struct vmt_an_rows *s, size_t i)
{
	size_t base = i - i % ROWS_WINDOW;

	flush(s);
	s->base = base;
	s->len = s->n > base ? s->n - base : 0;
	s->len = s->len < ROWS_WINDOW ? s->len : ROWS_WINDOW;
	if (!s->err && s->len && (fseeko(s->f, offset_of(base), SEEK_SET) ||
				  fread(s->win, sizeof(*s->win), s->len, s->f) != s->len))
		s->err = -EIO;
}

static struct vmt_an_row *window_at(struct vmt_an_rows *s, size_t i)
{
	if (!s->win || i > s->n)
		s->err = s->err ? s->err : -EINVAL;
	else if (i < s->base || i >= s->base + ROWS_WINDOW)
		move_to(s, i);
	if (s->err) {
		memset(&s->none, 0, sizeof(s->none));
		return &s->none;
	}
	if (i == s->n) { /* appended: it enters the window, then the file */
		memset(&s->win[i - s->base], 0, sizeof(*s->win));
		s->n++;
		s->len++;
		s->dirty = 1;
	}
	return &s->win[i - s->base];
}

struct vmt_an_row *vmt_an_rows_at(struct vmt_an_rows *s, size_t i)
{
	struct vmt_an_row *r = window_at(s, i);

	s->dirty |= !s->err;
	return r;
}

const struct vmt_an_row *vmt_an_rows_get(struct vmt_an_rows *s, size_t i)
{
	return window_at(s, i);
}

int vmt_an_rows_err(const struct vmt_an_rows *s)
{
	return s ? s->err : 0;
}

void vmt_an_rows_close(struct vmt_an_rows *s)
{
	if (s->f)
		fclose(s->f);
	free(s->win);
	memset(s, 0, sizeof(*s));
}
