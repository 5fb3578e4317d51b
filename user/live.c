/*
 * live.c — `rttrace trace|attach|run --live`: the report redrawn every
 * interval while the program runs, as runqlat's interval output.
 *
 * Every interval the BPF maps are read whole (report_read) and the
 * previous reading subtracted (report_sub): the maps only ever grow, so
 * the difference is exactly what the interval added, per probe and per
 * histogram slot, with nothing reset in the kernel and nothing lost
 * between two readings. The frame shows the interval's counts and rates
 * beside the totals so far, then the interval's histograms and sections.
 *
 * Drawing. On a terminal each frame replaces the last in place without
 * flicker: the frame is built in memory (open_memstream), then written in
 * one go as cursor-home, each line followed by "clear to end of line"
 * (\033[K), and "clear below" (\033[J) after the last — the screen is
 * never blanked, each character cell changes at most once. A frame taller
 * or wider than the terminal is cut to fit, since a scrolled frame cannot
 * be redrawn from the top. The cursor is hidden while frames are drawn.
 *
 * When stdout is not a terminal (a file, a pipe, a test) the frames
 * follow one another, each opening with "--- HH:MM:SS +Ns ---"; with
 * --json each frame is one JSON object (report_interval_json).
 *
 * Timing. Frames fall on start + k * interval, not interval after the
 * previous frame's end, so drawing does not make them drift; rates divide
 * by the time actually between the two readings. Between frames the
 * caller's running() is polled every LIVE_POLL_S, so the view ends as
 * soon as the program does and the final report follows at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "live.h"
#include "rttrace.h"

#define LIVE_POLL_S 0.05

/* ANSI sequences (ECMA-48), understood by every terminal emulator */
#define CSI_HOME	"\033[H"
#define CSI_CLEAR_EOL	"\033[K"
#define CSI_CLEAR_BELOW "\033[J"
#define CSI_HIDE_CURSOR "\033[?25l"
#define CSI_SHOW_CURSOR "\033[?25h"

/* The state of one live view. */
struct live {
	struct tracer *tr;
	const struct sched_target *t;
	const struct tracer_opts *o;
	double interval_s; /* nominal */
	double start;	   /* now_s() when the view began */
	bool tty;	   /* stdout is a terminal: redraw in place */
	struct report_data *prev, *now, *iv;
};

static void clock_str(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* term_size gets the terminal's rows and columns, 0 if unknown. */
static void term_size(int *rows, int *cols)
{
	struct winsize ws;

	*rows = *cols = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

/*
 * fit_width is how many bytes of line (n bytes of UTF-8) fit in cols
 * columns (0: any): a wrapped line would take two rows and push the
 * frame's top off the screen. Counts one column per character, which
 * holds for the report's text (ASCII, arrows, ellipses).
 */
static size_t fit_width(const char *line, size_t n, int cols)
{
	int used = 0;

	if (cols <= 0)
		return n;
	for (size_t i = 0; i < n; i++) {
		/* a UTF-8 continuation byte adds no column */
		if (((unsigned char)line[i] & 0xc0) == 0x80)
			continue;
		if (used == cols)
			return i;
		used++;
	}
	return n;
}

/*
 * wait_until sleeps until deadline (now_s() clock) in slices of
 * LIVE_POLL_S; false as soon as the program has ended or Ctrl-C came.
 */
static bool wait_until(double deadline, bool (*running)(void *ctx), void *ctx,
		       volatile bool *exiting)
{
	for (;;) {
		double left;
		struct timespec ts;

		if (*exiting || !running(ctx))
			return false;
		left = deadline - now_s();
		if (left <= 0)
			return true;
		if (left > LIVE_POLL_S)
			left = LIVE_POLL_S;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		/* a signal cuts it short: the loop checks again */
		nanosleep(&ts, NULL);
	}
}

/* print_title prints the terminal frame's first line. */
static void print_title(FILE *f, const struct live *lv, const char *clock,
			double elapsed)
{
	fprintf(f, "rttrace live: PID %d %s", (int)lv->t->pid, lv->t->path);
	if (lv->t->argv)
		for (char *const *a = lv->t->argv + 1; *a; a++)
			fprintf(f, " %s", *a);
	fprintf(f, "\n%s  +%.0fs, every %gs; Ctrl-C ends\n\n", clock, elapsed,
		lv->interval_s);
}

/*
 * draw_tty writes frame over the previous one: home, each line with its
 * tail cleared, then everything below cleared; at most rows - 1 lines.
 */
static void draw_tty(const char *frame, size_t len)
{
	int rows, cols, lines = 0, total = 0;
	const char *p = frame, *end = frame + len;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	term_size(&rows, &cols);
	for (const char *q = frame; q < end; q++)
		total += *q == '\n';
	f = open_memstream(&out, &outlen);
	if (!f)
		return;
	fputs(CSI_HOME, f);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		/* keep the last row for the "more lines" note */
		if (rows > 1 && lines == rows - 2 && total > rows - 1) {
			char note[96];
			int len = snprintf(note, sizeof(note),
					   "… %d more lines (a taller terminal "
					   "shows them)",
					   total - lines);

			fwrite(note, 1, fit_width(note, len, cols), f);
			fputs(CSI_CLEAR_EOL "\n", f);
			break;
		}
		fwrite(p, 1, fit_width(p, n, cols), f);
		fputs(CSI_CLEAR_EOL "\n", f);
		lines++;
		p += n + 1;
	}
	fputs(CSI_CLEAR_BELOW, f);
	fclose(f);
	fwrite(out, 1, outlen, stdout);
	fflush(stdout);
	free(out);
}

/* frame reads the maps and prints the interval [prev, now]. */
static int frame(struct live *lv, double prev_ts, double now_ts)
{
	struct tracer *tr = lv->tr;
	double elapsed = now_ts - lv->start, span = now_ts - prev_ts;
	char clock[16], *buf = NULL;
	size_t len = 0;
	struct report_data *tmp;
	FILE *f;
	int err;

	err = tracer_read(tr, lv->now);
	if (err)
		return err;
	report_sub(lv->iv, lv->now, lv->prev);
	clock_str(clock, sizeof(clock));

	if (lv->o->json) {
		report_interval_json(stdout, clock, elapsed, lv->iv, lv->now,
				     span, lv->o->nsec);
		fflush(stdout);
	} else {
		f = open_memstream(&buf, &len);
		if (!f)
			return -errno;
		if (lv->tty)
			print_title(f, lv, clock, elapsed);
		else
			fprintf(f, "--- %s +%.0fs ---\n", clock, elapsed);
		report_interval_text(f, lv->iv, lv->now, span, lv->o->nsec);
		fclose(f);
		if (lv->tty) {
			draw_tty(buf, len);
		} else {
			fwrite(buf, 1, len, stdout);
			fputc('\n', stdout);
			fflush(stdout);
		}
		free(buf);
	}
	/* this reading is the next interval's start */
	tmp = lv->prev;
	lv->prev = lv->now;
	lv->now = tmp;
	return 0;
}

int tracer_live(struct tracer *tr, const struct sched_target *t,
		const struct tracer_opts *o, double interval_s,
		bool (*running)(void *ctx), void *ctx, volatile bool *exiting)
{
	struct live lv = {
	    .tr = tr,
	    .t = t,
	    .o = o,
	    .interval_s = interval_s > 0 ? interval_s : TRACER_INTERVAL_S,
	    .tty = !o->json && isatty(STDOUT_FILENO),
	};
	double prev_ts, next;
	int err = -ENOMEM;

	lv.prev = malloc(sizeof(*lv.prev));
	lv.now = malloc(sizeof(*lv.now));
	lv.iv = malloc(sizeof(*lv.iv));
	if (!lv.prev || !lv.now || !lv.iv)
		goto out;
	lv.start = prev_ts = now_s();
	err = tracer_read(tr, lv.prev);
	if (err)
		goto out;
	if (lv.tty) {
		fputs(CSI_HIDE_CURSOR, stdout);
		fflush(stdout);
	}
	for (int k = 1;; k++) {
		double ts;

		next = lv.start + k * lv.interval_s;
		if (!wait_until(next, running, ctx, exiting))
			break;
		ts = now_s();
		err = frame(&lv, prev_ts, ts);
		if (err)
			break;
		prev_ts = ts;
		/* a frame that took longer than an interval skips ahead */
		while (lv.start + (k + 1) * lv.interval_s < ts)
			k++;
	}
	if (lv.tty) {
		fputs(CSI_SHOW_CURSOR, stdout);
		fflush(stdout);
	}
out:
	if (err == -ENOMEM)
		rt_errorf("live view: out of memory");
	free(lv.prev);
	free(lv.now);
	free(lv.iv);
	return err;
}
