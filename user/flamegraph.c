/*
 * flamegraph.c — folded stacks and the SVG flamegraph, written by rttrace
 * itself: no script, no network, one file a browser opens.
 *
 * The layout is Brendan Gregg's (FlameGraph's flamegraph.pl): the stacks
 * are sorted so that stacks sharing a prefix are adjacent, and merged
 * into a tree of frames; each frame is a box as wide as its share of the
 * total, on top of its caller, its callees left to right in name order.
 * The x axis is not time: order carries no meaning, width does.
 *
 * Sorting: flamegraph.pl sorts the stack strings, which puts "a;b" and
 * "a;b;c" apart when a frame "a;b!" exists ('!' sorts before ';'). Here
 * stacks are compared frame by frame (';' below every other byte), so a
 * frame's children are always contiguous and one pass builds the tree.
 *
 * The SVG carries each frame's position in weight units (fg:x, fg:w) and
 * its depth in its y, so that the embedded script can zoom (a frame and
 * its callees fill the width, its callers stay, dimmed, everything else
 * hides) and search (a regular expression over the names; the matched
 * share is the union of the matching frames' intervals, so a match inside
 * a matching caller is not counted twice) without re-parsing anything.
 * Frames narrower than MIN_WIDTH_PX are left out, as flamegraph.pl's
 * --minwidth does: a profile of 10^5 stacks stays a file a browser opens.
 *
 * Colours: by kind of frame (user code warm, librt aqua, kernel orange,
 * pseudo frames grey), the shade from a hash of the name, so the same
 * function has the same colour in every graph (flamegraph.pl --hash). The
 * differential graph colours by change instead (difffolded.pl conventions).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flamegraph.h"
#include "profile_user.h"

/* ---- folded stacks -------------------------------------------------------
 */

int folded_add(struct folded *fo, const char *stack, double w)
{
	struct folded_stack *v;
	char *s;

	/* grow by doubling: n is a power of two whenever it fills up */
	if ((fo->n & (fo->n - 1)) == 0) {
		v = realloc(fo->v, (fo->n ? fo->n * 2 : 16) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		fo->v = v;
	}
	s = strdup(stack);
	if (!s)
		return -ENOMEM;
	fo->v[fo->n++] = (struct folded_stack){.stack = s, .weight = w};
	return 0;
}

/* frame_cmp orders stacks frame by frame: ';' (end of frame) sorts below
 * any byte of a name, the end of the stack below both. */
static int frame_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = *a == ';' ? 1 : *a ? (unsigned char)*a + 1 : 0;
		int cb = *b == ';' ? 1 : *b ? (unsigned char)*b + 1 : 0;

		if (ca != cb)
			return ca - cb;
		if (!ca)
			return 0;
	}
}

static int stack_cmp(const void *x, const void *y)
{
	return frame_cmp(((const struct folded_stack *)x)->stack,
			 ((const struct folded_stack *)y)->stack);
}

void folded_merge(struct folded *fo)
{
	size_t out = 0;

	if (fo->n > 1)
		qsort(fo->v, fo->n, sizeof(*fo->v), stack_cmp);
	fo->total = 0;
	for (size_t i = 0; i < fo->n; i++) {
		if (out && strcmp(fo->v[out - 1].stack, fo->v[i].stack) == 0) {
			fo->v[out - 1].weight += fo->v[i].weight;
			free(fo->v[i].stack);
		} else {
			fo->v[out++] = fo->v[i];
		}
		fo->total += fo->v[i].weight;
	}
	fo->n = out;
}

int folded_set_kind(struct folded *fo, const char *name, enum frame_kind kind)
{
	struct folded_kind *k;

	if ((fo->nkinds & (fo->nkinds - 1)) == 0) {
		k = realloc(fo->kinds,
			    (fo->nkinds ? fo->nkinds * 2 : 16) * sizeof(*k));
		if (!k)
			return -ENOMEM;
		fo->kinds = k;
	}
	fo->kinds[fo->nkinds].name = strdup(name);
	if (!fo->kinds[fo->nkinds].name)
		return -ENOMEM;
	fo->kinds[fo->nkinds++].kind = kind;
	return 0;
}

static int kind_cmp(const void *x, const void *y)
{
	return strcmp(((const struct folded_kind *)x)->name,
		      ((const struct folded_kind *)y)->name);
}

void folded_kinds_done(struct folded *fo)
{
	size_t out = 0;

	if (fo->nkinds > 1)
		qsort(fo->kinds, fo->nkinds, sizeof(*fo->kinds), kind_cmp);
	for (size_t i = 0; i < fo->nkinds; i++) {
		if (out && !strcmp(fo->kinds[out - 1].name, fo->kinds[i].name))
			free(fo->kinds[i].name);
		else
			fo->kinds[out++] = fo->kinds[i];
	}
	fo->nkinds = out;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* kind_guess is a name's kind from the name alone: FlameGraph's
 * annotations, brackets, and librt's public rt_ prefix. */
static enum frame_kind kind_guess(const char *name, size_t len)
{
	if (ends_with(name, len, "_[k]"))
		return FRAME_KERNEL;
	if (len && name[0] == '[')
		return FRAME_SPECIAL;
	if (len > 3 && memcmp(name, "rt_", 3) == 0)
		return FRAME_RUNTIME;
	return FRAME_USER;
}

/* kind_of_n is frame_kind_of for a name of len bytes (not terminated). */
static enum frame_kind kind_of_n(const struct folded *fo, const char *name,
				 size_t len)
{
	size_t lo = 0, hi = fo->nkinds;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *k = fo->kinds[mid].name;
		int c = strncmp(k, name, len);

		if (c == 0)
			c = k[len] ? 1 : 0;
		if (c == 0)
			return fo->kinds[mid].kind;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return kind_guess(name, len);
}

enum frame_kind frame_kind_of(const struct folded *fo, const char *name)
{
	return kind_of_n(fo, name, strlen(name));
}

void folded_free(struct folded *fo)
{
	for (size_t i = 0; i < fo->n; i++)
		free(fo->v[i].stack);
	free(fo->v);
	for (size_t i = 0; i < fo->nkinds; i++)
		free(fo->kinds[i].name);
	free(fo->kinds);
	memset(fo, 0, sizeof(*fo));
}

/* A growing string, for building one stack. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* sb_name appends a frame name: ';' would split it and a newline would
 * end the line, so they become ':' and ' '. */
static void sb_name(struct sbuf *b, const char *name)
{
	size_t start = b->len;

	sb_puts(b, name);
	if (b->oom)
		return;
	for (size_t i = start; i < b->len; i++)
		if (b->s[i] == ';')
			b->s[i] = ':';
		else if (b->s[i] == '\n' || b->s[i] == '\r')
			b->s[i] = ' ';
}

/* is_runtime_file says whether a source file is librt's (runtime/). */
static bool is_runtime_file(const char *file)
{
	return file &&
	       (strncmp(file, "runtime/", 8) == 0 || strstr(file, "/runtime/"));
}

/* frame_name writes fr's folded name into b (from b->len). */
static void frame_name(struct sbuf *b, const struct profile_frame *fr)
{
	if (fr->name) {
		sb_name(b, fr->name);
	} else if (fr->module) {
		const char *base = strrchr(fr->module, '/');

		sb_puts(b, "[");
		sb_name(b, base ? base + 1 : fr->module);
		sb_puts(b, "]");
	} else {
		sb_puts(b, "[unknown]");
	}
	if (fr->kernel)
		sb_puts(b, "_[k]");
	else if (fr->inlined)
		sb_puts(b, "_[i]");
}

int folded_from_profile(const struct profile_result *r, struct folded *out)
{
	struct sbuf b = {0};
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->unit = "samples";
	for (size_t i = 0; i < r->nstacks && !err; i++) {
		const struct profile_stack *st = &r->stacks[i];
		bool first = true;

		b.len = 0;
		sb_put(&b, "", 0);
		/* frames are innermost first, kernel frames before user
		 * ones; a folded stack is outermost first */
		if (st->user_lost) {
			sb_puts(&b, "[stack lost]");
			first = false;
		}
		for (size_t f = st->nframes; f-- > 0;) {
			const struct profile_frame *fr = &st->frames[f];
			size_t start;

			if (!first)
				sb_puts(&b, ";");
			first = false;
			start = b.len;
			frame_name(&b, fr);
			if (!b.oom && !fr->kernel && is_runtime_file(fr->file))
				err = folded_set_kind(out, b.s + start,
						      FRAME_RUNTIME);
		}
		/* the kernel half of a sample in the kernel, innermost */
		if (st->kernel_lost)
			sb_puts(&b, first ? "[stack lost]_[k]"
					  : ";[stack lost]_[k]");
		if (first && !st->kernel_lost)
			sb_puts(&b, "[no stack]");
		if (b.oom)
			err = -ENOMEM;
		if (!err)
			err = folded_add(out, b.s, (double)st->count);
	}
	free(b.s);
	if (err) {
		folded_free(out);
		return err;
	}
	folded_merge(out);
	folded_kinds_done(out);
	return 0;
}

/* weight_str formats a weight as folded files carry it: an integer when
 * it is one (samples, ns), else shortest-exact. */
static void weight_str(char *buf, size_t len, double w)
{
	if (w == floor(w) && fabs(w) < 1e18)
		snprintf(buf, len, "%.0f", w);
	else
		snprintf(buf, len, "%.17g", w);
}

int folded_write(FILE *f, const struct folded *fo)
{
	char w[64];

	for (size_t i = 0; i < fo->n; i++) {
		weight_str(w, sizeof(w), fo->v[i].weight);
		fprintf(f, "%s %s\n", fo->v[i].stack, w);
	}
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

int folded_write_diff(FILE *f, const struct folded *before,
		      const struct folded *after)
{
	size_t i = 0, j = 0;
	char wb[64], wa[64];

	/* both are merged: sorted frame by frame, each stack once */
	while (i < before->n || j < after->n) {
		int c = i == before->n ? 1
			: j == after->n
			    ? -1
			    : frame_cmp(before->v[i].stack, after->v[j].stack);
		const char *stack =
		    c <= 0 ? before->v[i].stack : after->v[j].stack;

		weight_str(wb, sizeof(wb), c <= 0 ? before->v[i].weight : 0);
		weight_str(wa, sizeof(wa), c >= 0 ? after->v[j].weight : 0);
		fprintf(f, "%s %s %s\n", stack, wb, wa);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

int folded_read(FILE *f, struct folded *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->unit = "samples";
	while (!err && (n = getline(&line, &cap, f)) >= 0) {
		char *sp, *end;
		double w;

		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n)
			continue;
		sp = strrchr(line, ' ');
		if (!sp || sp == line) {
			err = -EINVAL;
			break;
		}
		*sp = '\0';
		errno = 0;
		w = strtod(sp + 1, &end);
		if (errno || *end || end == sp + 1 || w < 0)
			err = -EINVAL;
		else
			err = folded_add(out, line, w);
	}
	free(line);
	if (err) {
		folded_free(out);
		return err;
	}
	if (ferror(f)) {
		folded_free(out);
		return -EIO;
	}
	folded_merge(out);
	return 0;
}

char *flame_path(const char *base, const char *suffix)
{
	const char *slash = strrchr(base, '/');
	const char *name = slash ? slash + 1 : base;
	const char *dot = strrchr(name, '.');
	char *p;

	if (!suffix || !*suffix)
		return strdup(base);
	/* a leading dot names a hidden file, not an extension */
	if (!dot || dot == name)
		dot = base + strlen(base);
	if (asprintf(&p, "%.*s-%s%s", (int)(dot - base), base, suffix, dot) < 0)
		return NULL;
	return p;
}

/* ---- the frame tree ------------------------------------------------------
 */

/* One frame of the merged tree; nodes live in one array, linked by index.
 */
struct node {
	const char *name; /* into a stack string; namelen bytes */
	size_t namelen;
	double w;     /* total weight (after, in a diff) */
	double wb;    /* before's total, scaled (diff only) */
	double x;     /* left edge, weight units */
	int depth;    /* 0: the root "all" */
	size_t first; /* first child; 0: none (0 is the root) */
	size_t last;  /* last child */
	size_t next;  /* next sibling; 0: none */
};

struct tree {
	struct node *v;
	size_t n, cap;
	int maxdepth;
};

static size_t tree_new(struct tree *t, size_t parent, const char *name,
		       size_t len)
{
	struct node *nd;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct node *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return 0;
		t->v = v;
		t->cap = cap;
	}
	nd = &t->v[t->n];
	*nd = (struct node){.name = name, .namelen = len};
	if (t->n) {
		struct node *p = &t->v[parent];

		nd->depth = p->depth + 1;
		if (p->last)
			t->v[p->last].next = t->n;
		else
			p->first = t->n;
		p->last = t->n;
		if (nd->depth > t->maxdepth)
			t->maxdepth = nd->depth;
	}
	return t->n++;
}

/*
 * tree_add adds one stack with weights w and wb along its path. The stacks
 * come sorted frame by frame, so a frame equal to one already under the
 * parent can only be its last child.
 */
static int tree_add(struct tree *t, const char *stack, double w, double wb)
{
	size_t cur = 0;
	const char *p = stack;

	t->v[0].w += w;
	t->v[0].wb += wb;
	while (*p) {
		const char *e = strchrnul(p, ';');
		size_t len = (size_t)(e - p), last = t->v[cur].last;

		if (last && t->v[last].namelen == len &&
		    memcmp(t->v[last].name, p, len) == 0) {
			cur = last;
		} else {
			cur = tree_new(t, cur, p, len);
			if (!cur)
				return -ENOMEM;
		}
		t->v[cur].w += w;
		t->v[cur].wb += wb;
		p = *e ? e + 1 : e;
	}
	return 0;
}

/* tree_layout sets x: each child starts where its previous sibling ends,
 * the first at its parent's left edge. Nodes are created parent first, so
 * one pass in index order sees every parent placed before its children.
 */
static void tree_layout(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		double x = t->v[i].x;

		for (size_t c = t->v[i].first; c; c = t->v[c].next) {
			t->v[c].x = x;
			x += t->v[c].w;
		}
	}
}

/* One stack of a diff: after's weight, before's (scaled). */
struct pair {
	const char *stack;
	double w, wb;
};

static int pair_cmp(const void *x, const void *y)
{
	return frame_cmp(((const struct pair *)x)->stack,
			 ((const struct pair *)y)->stack);
}

/* tree_build builds the tree of after (and before, scaled by scale; NULL:
 * none). Returns 0 or -ENOMEM. */
static int tree_build(struct tree *t, const struct folded *after,
		      const struct folded *before, double scale)
{
	size_t n = after->n + (before ? before->n : 0), m = 0;
	struct pair *v = calloc(n ? n : 1, sizeof(*v));
	int err = 0;

	memset(t, 0, sizeof(*t));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < after->n; i++)
		v[m++] =
		    (struct pair){after->v[i].stack, after->v[i].weight, 0};
	for (size_t i = 0; before && i < before->n; i++)
		v[m++] = (struct pair){before->v[i].stack, 0,
				       before->v[i].weight * scale};
	qsort(v, m, sizeof(*v), pair_cmp);
	tree_new(t, 0, "all", 3); /* the root: index 0 */
	if (!t->n)
		err = -ENOMEM;
	for (size_t i = 0; i < m && !err; i++)
		err = tree_add(t, v[i].stack, v[i].w, v[i].wb);
	free(v);
	if (err) {
		free(t->v);
		memset(t, 0, sizeof(*t));
		return err;
	}
	tree_layout(t);
	return 0;
}

/* ---- SVG -----------------------------------------------------------------
 */

#define IMAGE_WIDTH  1200.0
#define FRAME_HEIGHT 16.0
#define FONT_SIZE    12.0
#define FONT_WIDTH   0.59 /* average glyph width / font size (Verdana) */
#define XPAD	     10.0
#define YPAD_TOP     (FONT_SIZE * 6)	  /* title, subtitle, buttons, legend */
#define YPAD_BOTTOM  (FONT_SIZE * 2 + 10) /* the details line */
#define MIN_WIDTH_PX 0.1

/* markup_escape: see flamegraph.h. */
void markup_escape(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			/* XML allows no other control characters */
			fputc(c < 0x20 && c != '\t' && c != '\n' && c != '\r'
				  ? '?'
				  : c,
			      f);
		}
	}
}

static void xml_escape_str(FILE *f, const char *s)
{
	markup_escape(f, s, strlen(s));
}

/* amount formats a weight in unit for people: ns as a duration. */
static void amount(char *buf, size_t len, double w, const char *unit)
{
	if (unit && strcmp(unit, "ns") == 0) {
		if (w >= 1e9)
			snprintf(buf, len, "%.3g s", w / 1e9);
		else if (w >= 1e6)
			snprintf(buf, len, "%.3g ms", w / 1e6);
		else if (w >= 1e3)
			snprintf(buf, len, "%.3g us", w / 1e3);
		else
			snprintf(buf, len, "%.0f ns", w);
	} else {
		char ws[64];

		weight_str(ws, sizeof(ws), w);
		snprintf(buf, len, "%s %s", ws, unit ? unit : "samples");
	}
}

/* name_hash is FNV-1a of the name, for a stable shade per function. */
static double name_shade(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return (h % 1000) / 1000.0;
}

static void kind_rgb(enum frame_kind k, double v, int rgb[3])
{
	switch (k) {
	case FRAME_RUNTIME: /* aqua */
		rgb[0] = 50 + (int)(60 * v);
		rgb[1] = 165 + (int)(55 * v);
		rgb[2] = 165 + (int)(55 * v);
		break;
	case FRAME_KERNEL: /* orange */
		rgb[0] = 230 + (int)(25 * v);
		rgb[1] = 130 + (int)(40 * v);
		rgb[2] = 0 + (int)(30 * v);
		break;
	case FRAME_SPECIAL: /* grey */
		rgb[0] = rgb[1] = rgb[2] = 180 + (int)(40 * v);
		break;
	default: /* warm: flamegraph.pl's "hot", kept off orange */
		rgb[0] = 205 + (int)(50 * v);
		rgb[1] = (int)(100 * v);
		rgb[2] = (int)(55 * v);
		break;
	}
}

/*
 * diff_rgb colours a change delta against the largest one, as
 * flamegraph.pl does for difffolded input: red grew, blue shrank, the
 * paler the smaller; exactly no change is white.
 */
static void diff_rgb(double delta, double maxabs, int rgb[3])
{
	int c;

	if (maxabs <= 0 || delta == 0) {
		rgb[0] = rgb[1] = rgb[2] = 255;
		return;
	}
	c = (int)lround(210 * (1 - fabs(delta) / maxabs));
	if (delta > 0) {
		rgb[0] = 255;
		rgb[1] = rgb[2] = c;
	} else {
		rgb[2] = 255;
		rgb[0] = rgb[1] = c;
	}
}

/* The script: zoom, search, details. Our own, after flamegraph.pl's
 * behaviour. No "]]>" may appear in it (it sits in a CDATA section). */
static const char svg_script[] =
    "var svg, frames, details, matchedtxt, searchbtn, unzoombtn;\n"
    "var W, total, xpad = "
    "10"
    ", fontsize = 12, fontw = 0.59;\n"
    "var term = null, zoomed = null;\n"
    "function init(evt) {\n"
    "  svg = document.documentElement;\n"
    "  frames = document.getElementById('frames');\n"
    "  details = document.getElementById('details').firstChild;\n"
    "  matchedtxt = document.getElementById('matched');\n"
    "  searchbtn = document.getElementById('search');\n"
    "  unzoombtn = document.getElementById('unzoom');\n"
    "  W = parseFloat(svg.getAttribute('width')) - 2 * xpad;\n"
    "  total = parseFloat(frames.getAttribute('fg:total'));\n"
    "}\n"
    "function group_of(n) {\n"
    "  for (; n && n.parentNode; n = n.parentNode)\n"
    "    if (n.parentNode === frames) return n;\n"
    "  return null;\n"
    "}\n"
    "function fname(g) {\n"
    "  var t = g.getElementsByTagName('title')[0].textContent;\n"
    "  var i = t.lastIndexOf(' (');\n"
    "  return i >= 0 ? t.substring(0, i) : t;\n"
    "}\n"
    "function num(e, a) { return parseFloat(e.getAttribute(a)); }\n"
    "function fit(g, w) {\n"
    "  var t = g.getElementsByTagName('text')[0], name = fname(g);\n"
    "  var n = Math.floor((w - 6) / (fontsize * fontw));\n"
    "  if (n < 3) t.textContent = '';\n"
    "  else if (name.length <= n) t.textContent = name;\n"
    "  else t.textContent = name.substring(0, n - 2) + '..';\n"
    "}\n"
    "function place(g, x, w) {\n"
    "  var r = g.getElementsByTagName('rect')[0];\n"
    "  var t = g.getElementsByTagName('text')[0];\n"
    "  r.setAttribute('x', (xpad + x).toFixed(2));\n"
    "  r.setAttribute('width', Math.max(w, 0).toFixed(2));\n"
    "  t.setAttribute('x', (xpad + x + 3).toFixed(2));\n"
    "  fit(g, w);\n"
    "}\n"
    "function show(g, on) {\n"
    "  if (on) g.classList.remove('hide'); else g.classList.add('hide');\n"
    "}\n"
    "function zoom(z) {\n"
    "  var zr = z.getElementsByTagName('rect')[0];\n"
    "  var zx = num(zr, 'fg:x'), zw = num(zr, 'fg:w'), zy = num(zr, 'y');\n"
    "  var eps = zw * 1e-9, s = W / zw, gs = frames.children;\n"
    "  zoomed = z;\n"
    "  unzoombtn.classList.remove('hide');\n"
    "  for (var i = 0; i < gs.length; i++) {\n"
    "    var g = gs[i], r = g.getElementsByTagName('rect')[0];\n"
    "    var x = num(r, 'fg:x'), w = num(r, 'fg:w'), y = num(r, 'y');\n"
    "    g.classList.remove('parent');\n"
    "    if (y > zy) {\n"
    "      var anc = x <= zx + eps && x + w >= zx + zw - eps;\n"
    "      show(g, anc);\n"
    "      if (anc) { g.classList.add('parent'); place(g, 0, W); }\n"
    "    } else {\n"
    "      var inside = x >= zx - eps && x + w <= zx + zw + eps;\n"
    "      show(g, inside);\n"
    "      if (inside) place(g, (x - zx) * s, w * s);\n"
    "    }\n"
    "  }\n"
    "  if (term !== null) search(term);\n"
    "}\n"
    "function unzoom() {\n"
    "  var gs = frames.children, s = W / total;\n"
    "  zoomed = null;\n"
    "  unzoombtn.classList.add('hide');\n"
    "  for (var i = 0; i < gs.length; i++) {\n"
    "    var g = gs[i], r = g.getElementsByTagName('rect')[0];\n"
    "    g.classList.remove('parent');\n"
    "    show(g, true);\n"
    "    place(g, num(r, 'fg:x') * s, num(r, 'fg:w') * s);\n"
    "  }\n"
    "  if (term !== null) search(term);\n"
    "}\n"
    "function reset_search() {\n"
    "  var gs = frames.children;\n"
    "  for (var i = 0; i < gs.length; i++) {\n"
    "    var r = gs[i].getElementsByTagName('rect')[0];\n"
    "    r.setAttribute('fill', r.getAttribute('fg:fill'));\n"
    "  }\n"
    "  term = null;\n"
    "  matchedtxt.textContent = ' ';\n"
    "  searchbtn.textContent = 'Search';\n"
    "}\n"
    "function search(t) {\n"
    "  var re, gs = frames.children, iv = [], sum = 0, end = -1;\n"
    "  try { re = new RegExp(t); } catch (e) { alert(e); return; }\n"
    "  reset_search();\n"
    "  term = t;\n"
    "  for (var i = 0; i < gs.length; i++) {\n"
    "    var g = gs[i], r = g.getElementsByTagName('rect')[0];\n"
    "    if (g.classList.contains('hide') || !re.test(fname(g))) "
    "continue;\n"
    "    r.setAttribute('fill', 'rgb(230,0,230)');\n"
    "    iv.push([num(r, 'fg:x'), num(r, 'fg:x') + num(r, 'fg:w')]);\n"
    "  }\n"
    "  iv.sort(function (a, b) { return a[0] - b[0]; });\n"
    "  for (var j = 0; j < iv.length; j++) {\n"
    "    var lo = Math.max(iv[j][0], end);\n"
    "    if (iv[j][1] > lo) { sum += iv[j][1] - lo; end = iv[j][1]; }\n"
    "  }\n"
    "  var base = total;\n"
    "  if (zoomed) base = num(zoomed.getElementsByTagName('rect')[0], "
    "'fg:w');\n"
    "  searchbtn.textContent = 'Reset Search';\n"
    "  matchedtxt.textContent = 'Matched: ' + (100 * sum / "
    "base).toFixed(1) + '%';\n"
    "}\n"
    "function search_prompt() {\n"
    "  if (term !== null) { reset_search(); return; }\n"
    "  var t = prompt('Search for (regular expression):', '');\n"
    "  if (t) search(t);\n"
    "}\n"
    "window.addEventListener('click', function (e) {\n"
    "  var g = group_of(e.target);\n"
    "  if (g) zoom(g);\n"
    "  else if (e.target.id === 'unzoom') unzoom();\n"
    "  else if (e.target.id === 'search') search_prompt();\n"
    "}, false);\n"
    "window.addEventListener('mouseover', function (e) {\n"
    "  var g = group_of(e.target);\n"
    "  if (g) details.nodeValue = "
    "g.getElementsByTagName('title')[0].textContent;\n"
    "}, false);\n"
    "window.addEventListener('mouseout', function (e) {\n"
    "  if (group_of(e.target)) details.nodeValue = ' ';\n"
    "}, false);\n"
    "window.addEventListener('keydown', function (e) {\n"
    "  if (e.keyCode === 114 || ((e.ctrlKey || e.metaKey) && e.keyCode === "
    "70)) {\n"
    "    e.preventDefault(); search_prompt();\n"
    "  } else if (e.keyCode === 27) { if (zoomed) unzoom(); else "
    "reset_search(); }\n"
    "}, false);\n";

static void svg_head(FILE *f, double height, double total, const char *title,
		     const char *subtitle)
{
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" onload=\"init(evt)\" "
		"xmlns=\"http://www.w3.org/2000/svg\" "
		"xmlns:fg=\"urn:rttrace:flamegraph\">\n",
		IMAGE_WIDTH, height, IMAGE_WIDTH, height);
	fputs("<style type=\"text/css\">\n"
	      "text { font-family: Verdana, sans-serif; font-size: 12px; "
	      "fill: rgb(0,0,0); }\n"
	      "#title { text-anchor: middle; font-size: 17px; }\n"
	      "#subtitle { text-anchor: middle; fill: rgb(80,80,80); }\n"
	      "#search, #matched { text-anchor: end; }\n"
	      "#search, #unzoom { cursor: pointer; opacity: 0.6; }\n"
	      "#search:hover, #unzoom:hover { opacity: 1; }\n"
	      ".hide { display: none; }\n"
	      ".parent { opacity: 0.5; }\n"
	      "#frames g:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; "
	      "cursor: pointer; }\n"
	      "</style>\n",
	      f);
	fprintf(f,
		"<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n",
		svg_script);
	fprintf(f,
		"<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" "
		"fill=\"rgb(248,248,240)\"/>\n",
		IMAGE_WIDTH, height);
	fprintf(f, "<text id=\"title\" x=\"%.1f\" y=\"%.0f\">", IMAGE_WIDTH / 2,
		FONT_SIZE * 2);
	xml_escape_str(f, title ? title : "Flame Graph");
	fputs("</text>\n", f);
	fprintf(f, "<text id=\"subtitle\" x=\"%.1f\" y=\"%.0f\">",
		IMAGE_WIDTH / 2, FONT_SIZE * 3.5);
	xml_escape_str(f, subtitle ? subtitle : " ");
	fputs("</text>\n", f);
	fprintf(f,
		"<text id=\"unzoom\" class=\"hide\" x=\"%.0f\" y=\"%.0f\">"
		"Reset Zoom</text>\n",
		XPAD, FONT_SIZE * 2);
	fprintf(f, "<text id=\"search\" x=\"%.0f\" y=\"%.0f\">Search</text>\n",
		IMAGE_WIDTH - XPAD, FONT_SIZE * 2);
	fprintf(f,
		"<text id=\"details\" x=\"%.0f\" y=\"%.0f\"> </text>\n"
		"<text id=\"matched\" x=\"%.0f\" y=\"%.0f\"> </text>\n",
		XPAD, height - FONT_SIZE, IMAGE_WIDTH - XPAD,
		height - FONT_SIZE);
	(void)total;
}

/* legend_item draws one coloured square and its label at x; returns the
 * next x. */
static double legend_item(FILE *f, double x, const int rgb[3],
			  const char *label)
{
	double y = FONT_SIZE * 5;

	fprintf(f,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" "
		"fill=\"rgb(%d,%d,%d)\"/><text x=\"%.1f\" y=\"%.1f\">",
		x, y - 9, rgb[0], rgb[1], rgb[2], x + 14, y);
	xml_escape_str(f, label);
	fputs("</text>\n", f);
	return x + 14 + strlen(label) * FONT_SIZE * FONT_WIDTH + 16;
}

static void legend_kinds(FILE *f)
{
	static const struct {
		enum frame_kind k;
		const char *label;
	} items[] = {
	    {FRAME_USER, "program"},
	    {FRAME_RUNTIME, "librt runtime"},
	    {FRAME_KERNEL, "kernel"},
	    {FRAME_SPECIAL, "pseudo frame (wait reason, unknown)"},
	};
	double x = XPAD;

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		int rgb[3];

		kind_rgb(items[i].k, 0.5, rgb);
		x = legend_item(f, x, rgb, items[i].label);
	}
}

/* svg_label writes the name as it fits in w pixels, as the script's fit
 * does. */
static void svg_label(FILE *f, const char *name, size_t len, double w)
{
	long n = (long)floor((w - 6) / (FONT_SIZE * FONT_WIDTH));

	if (n < 3)
		return;
	if ((size_t)n >= len) {
		markup_escape(f, name, len);
	} else {
		markup_escape(f, name, (size_t)n - 2);
		fputs("..", f);
	}
}

/* svg_frames writes every frame of t wide enough to see; title_fn writes
 * a frame's hover text and rgb_fn its colour. */
struct frame_style {
	const struct folded *fo; /* kinds and unit */
	double maxabs;		 /* diff: the largest |change| */
	bool diff;
	double total_b; /* diff: before's total (scaled) */
};

static void frame_title(FILE *f, const struct node *nd, double total,
			const struct frame_style *st)
{
	char a[64], b[64];
	const char *unit = st->fo->unit;

	markup_escape(f, nd->name, nd->namelen);
	amount(a, sizeof(a), nd->w, unit);
	if (!st->diff) {
		fprintf(f, " (%s, %.2f%%)", a,
			total > 0 ? 100 * nd->w / total : 0);
		return;
	}
	amount(b, sizeof(b), nd->wb, unit);
	fprintf(f, " (after %s, %.2f%%; before %s, %.2f%%; %+.2f points)", a,
		total > 0 ? 100 * nd->w / total : 0, b,
		st->total_b > 0 ? 100 * nd->wb / st->total_b : 0,
		total > 0 ? 100 * (nd->w - nd->wb) / total : 0);
}

static void svg_frames(FILE *f, const struct tree *t, double height,
		       const struct frame_style *st)
{
	double total = t->v[0].w, scale = (IMAGE_WIDTH - 2 * XPAD) / total;

	fprintf(f, "<g id=\"frames\" fg:total=\"%.17g\">\n", total);
	for (size_t i = 0; i < t->n; i++) {
		const struct node *nd = &t->v[i];
		double x = XPAD + nd->x * scale, w = nd->w * scale;
		double y =
		    height - YPAD_BOTTOM - (nd->depth + 1) * FRAME_HEIGHT;
		int rgb[3];

		if (w < MIN_WIDTH_PX)
			continue;
		if (st->diff)
			diff_rgb(i ? nd->w - nd->wb : 0, st->maxabs, rgb);
		else
			kind_rgb(i ? kind_of_n(st->fo, nd->name, nd->namelen)
				   : FRAME_SPECIAL,
				 name_shade(nd->name, nd->namelen), rgb);
		fputs("<g><title>", f);
		frame_title(f, nd, total, st);
		fprintf(f,
			"</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" "
			"height=\"%.1f\" fill=\"rgb(%d,%d,%d)\" "
			"fg:fill=\"rgb(%d,%d,%d)\" fg:x=\"%.17g\" "
			"fg:w=\"%.17g\" rx=\"2\" ry=\"2\"/>"
			"<text x=\"%.2f\" y=\"%.1f\">",
			x, y, w, FRAME_HEIGHT - 1, rgb[0], rgb[1], rgb[2],
			rgb[0], rgb[1], rgb[2], nd->x, nd->w, x + 3,
			y + FRAME_HEIGHT - 5);
		svg_label(f, nd->name, nd->namelen, w);
		fputs("</text></g>\n", f);
	}
	fputs("</g>\n</svg>\n", f);
}

static double svg_height(const struct tree *t)
{
	return YPAD_TOP + YPAD_BOTTOM + (t->maxdepth + 1) * FRAME_HEIGHT;
}

/* svg_empty draws a graph with nothing to show, and says so. */
static int svg_empty(FILE *f, const char *title, const char *why)
{
	double height = YPAD_TOP + YPAD_BOTTOM + 2 * FRAME_HEIGHT;

	svg_head(f, height, 0, title, why);
	fputs("<g id=\"frames\" fg:total=\"0\">\n</g>\n</svg>\n", f);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

int flamegraph_svg(FILE *f, const struct folded *fo, const char *title,
		   const char *subtitle)
{
	struct frame_style st = {.fo = fo};
	struct tree t;
	char sub[512];
	int err;

	if (!fo->n || fo->total <= 0)
		return svg_empty(f, title, "no stacks were recorded");
	err = tree_build(&t, fo, NULL, 0);
	if (err)
		return err;
	if (t.v[0].w <= 0) {
		free(t.v);
		return svg_empty(f, title, "no stacks were recorded");
	}
	if (!subtitle) {
		amount(sub, sizeof(sub), t.v[0].w, fo->unit);
		subtitle = sub;
	}
	svg_head(f, svg_height(&t), t.v[0].w, title, subtitle);
	legend_kinds(f);
	svg_frames(f, &t, svg_height(&t), &st);
	free(t.v);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

int flamegraph_svg_diff(FILE *f, const struct folded *before,
			const struct folded *after, const char *title)
{
	struct frame_style st = {.fo = after, .diff = true};
	double tb = 0, ta = 0, scale, gone = 0;
	struct tree t;
	char sub[512], a[64], b[64];
	int white[3] = {255, 255, 255}, red[3], blue[3];
	double x = XPAD;
	int err;

	for (size_t i = 0; i < before->n; i++)
		tb += before->v[i].weight;
	for (size_t i = 0; i < after->n; i++)
		ta += after->v[i].weight;
	if (ta <= 0)
		return svg_empty(f, title, "the after profile is empty");
	scale = tb > 0 ? ta / tb : 0;
	err = tree_build(&t, after, before, scale);
	if (err)
		return err;
	for (size_t i = 1; i < t.n; i++) {
		double d = fabs(t.v[i].w - t.v[i].wb);

		if (d > st.maxabs)
			st.maxabs = d;
		/* a frame of before only has no width: count what is gone */
		if (t.v[i].depth == 1 && t.v[i].w == 0)
			gone += t.v[i].wb;
	}
	st.total_b = t.v[0].wb;
	/* the tree's width is after's: before-only frames have none */
	amount(a, sizeof(a), ta, after->unit);
	amount(b, sizeof(b), tb, before->unit);
	snprintf(sub, sizeof(sub),
		 "width: after (%s); colour: change of share from before "
		 "(%s, scaled to after's total)%s",
		 a, b, gone > 0 ? "; stacks of before only are not drawn" : "");
	svg_head(f, svg_height(&t), ta, title, sub);
	diff_rgb(1, 1, red);
	diff_rgb(-1, 1, blue);
	x = legend_item(f, x, red, "grew");
	x = legend_item(f, x, blue, "shrank");
	legend_item(f, x, white, "unchanged");
	svg_frames(f, &t, svg_height(&t), &st);
	free(t.v);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
