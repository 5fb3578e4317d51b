/*
 * pprof.c — writes rttrace's profiles as pprof profiles (profile.proto,
 * gzipped), the format `go tool pprof`, Pyroscope and Parca read.
 *
 * A Profile is a set of samples, each a list of location ids (the leaf
 * first) and one value per sample type; a location is an address in a
 * mapping with its lines (the calls inlined at the address, then the
 * function holding it: exactly what symbolize.c gives for one pc), a line
 * names a function, and every string is an index into one table whose
 * entry 0 is "". So the writer interns: strings, functions (name, file),
 * mappings (module) and locations (mapping, pc, lines), each in a hash
 * from a key to its index or id, and builds the protobuf-c messages as it
 * goes; protoc-c's generated code packs them, zlib gzips the bytes.
 *
 * The CPU profile is what Go's runtime/pprof writes for a CPU profile:
 * sample types samples/count and cpu/nanoseconds, period type
 * cpu/nanoseconds, period 1e9/freq. Two choices make pprof show what
 * rttrace's own table shows:
 *
 *   - Samples whose stack was not recorded still count. A sample whose
 *     user or kernel half was lost gets a "[user stack lost]" or
 *     "[kernel stack lost]" frame where the half would be; samples the
 *     counts map had no room for are one sample of "[not recorded: …]".
 *     The profile's total is then the table's sample count.
 *   - Every mapping says it has functions, file names, line numbers and
 *     inlined frames. The frames were symbolized while the process's
 *     mappings were known; a mapping's range here is only the span of its
 *     sampled addresses (profile_frame keeps no load address or file
 *     offset), and pprof re-symbolizing from the file with that range
 *     would name the wrong functions.
 *
 * A folded stack ("outer;…;inner" and a weight, flamegraph.h) keeps names
 * only, so its profile has locations without an address or a mapping:
 * one per frame, or per run of inlined calls ("_[i]") and the frame they
 * were inlined in. It serves the blocking profile, each stack rooted at
 * its wait reason, weighted by delay as Go's block profile is.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "flamegraph.h"
#include "output.h"
#include "pprof.h"
#include "profile.pb-c.h"
#include "rttrace.h"
#include "tracer.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

/* ---- interning --------------------------------------------------------- */

/* strmap maps a key string to an index or id; open addressing, linear
 * probing, kept at most half full. */
struct strmap_ent {
	char *key; /* NULL: empty slot */
	uint64_t val;
};

struct strmap {
	struct strmap_ent *v;
	size_t cap, n; /* cap a power of two */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct strmap_ent *strmap_slot(const struct strmap *m, const char *key)
{
	size_t i = fnv1a(key) & (m->cap - 1);

	while (m->v[i].key && strcmp(m->v[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

/* strmap_find returns key's value in *val and true, or false. */
static bool strmap_find(const struct strmap *m, const char *key, uint64_t *val)
{
	const struct strmap_ent *e;

	if (!m->cap)
		return false;
	e = strmap_slot(m, key);
	if (!e->key)
		return false;
	*val = e->val;
	return true;
}

/* strmap_add adds key (copied), which is not in m, with val. */
static int strmap_add(struct strmap *m, const char *key, uint64_t val)
{
	struct strmap_ent *e;

	if ((m->n + 1) * 2 > m->cap) {
		struct strmap old = *m;

		m->cap = old.cap ? old.cap * 2 : 64;
		m->v = calloc(m->cap, sizeof(*m->v));
		if (!m->v) {
			*m = old;
			return -ENOMEM;
		}
		for (size_t i = 0; i < old.cap; i++)
			if (old.v[i].key)
				*strmap_slot(m, old.v[i].key) = old.v[i];
		free(old.v);
	}
	e = strmap_slot(m, key);
	e->key = strdup(key);
	if (!e->key)
		return -ENOMEM;
	e->val = val;
	m->n++;
	return 0;
}

static void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* sbuf is a growable string, for the keys of functions and locations. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sbuf_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap + (size_t)n + 1) * 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

/* ---- the profile under construction ------------------------------------ */

struct pbuild {
	pb_profile p;
	pb_value_type types[2], period_type;
	pb_value_type *type_ptrs[2];
	size_t cap_str, cap_fn, cap_map, cap_loc, cap_sample, cap_comment;
	struct strmap strs; /* string -> index */
	struct strmap fns;  /* "name file" indices -> function id */
	struct strmap maps; /* module -> mapping id */
	struct strmap locs; /* mapping, pc, lines -> location id */
};

/* grow makes room for one more element in *arr (n used of *cap). */
static int grow(void *arrp, size_t *cap, size_t n, size_t size)
{
	void **arr = arrp;
	void *v;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	v = realloc(*arr, c * size);
	if (!v)
		return -ENOMEM;
	*arr = v;
	*cap = c;
	return 0;
}

/* str interns s (NULL: "") and returns its index; -1 when out of memory. */
static int64_t str(struct pbuild *b, const char *s)
{
	uint64_t idx;
	char *copy;

	if (!s)
		s = "";
	if (strmap_find(&b->strs, s, &idx))
		return (int64_t)idx;
	if (grow(&b->p.string_table, &b->cap_str, b->p.n_string_table,
		 sizeof(char *)))
		return -1;
	copy = strdup(s);
	if (!copy)
		return -1;
	idx = b->p.n_string_table;
	if (strmap_add(&b->strs, s, idx)) {
		free(copy);
		return -1;
	}
	b->p.string_table[b->p.n_string_table++] = copy;
	return (int64_t)idx;
}

static int pbuild_init(struct pbuild *b)
{
	memset(b, 0, sizeof(*b));
	perftools__profiles__profile__init(&b->p);
	/* string_table[0] must be "" */
	return str(b, "") == 0 ? 0 : -ENOMEM;
}

/* set_value_type fills vt with the interned type and unit. */
static int set_value_type(struct pbuild *b, pb_value_type *vt, const char *type,
			  const char *unit)
{
	perftools__profiles__value_type__init(vt);
	vt->type = str(b, type);
	vt->unit = str(b, unit);
	return vt->type < 0 || vt->unit < 0 ? -ENOMEM : 0;
}

static int add_comment(struct pbuild *b, const char *text)
{
	int64_t idx = str(b, text);

	if (idx < 0 || grow(&b->p.comment, &b->cap_comment, b->p.n_comment,
			    sizeof(int64_t)))
		return -ENOMEM;
	b->p.comment[b->p.n_comment++] = idx;
	return 0;
}

/* function returns the id of the function (name, file); 0 when out of
 * memory. */
static uint64_t function(struct pbuild *b, const char *name, const char *file)
{
	int64_t n = str(b, name), f = str(b, file);
	char key[48];
	uint64_t id;
	pb_function *fn;

	if (n < 0 || f < 0)
		return 0;
	snprintf(key, sizeof(key), "%lld %lld", (long long)n, (long long)f);
	if (strmap_find(&b->fns, key, &id))
		return id;
	if (grow(&b->p.function, &b->cap_fn, b->p.n_function, sizeof(fn)))
		return 0;
	fn = malloc(sizeof(*fn));
	if (!fn)
		return 0;
	perftools__profiles__function__init(fn);
	fn->id = b->p.n_function + 1;
	fn->name = n;
	fn->system_name = n;
	fn->filename = f;
	if (strmap_add(&b->fns, key, fn->id)) {
		free(fn);
		return 0;
	}
	b->p.function[b->p.n_function++] = fn;
	return fn->id;
}

/* mapping returns the mapping of module, widened to hold pc; NULL when
 * out of memory. */
static pb_mapping *mapping(struct pbuild *b, const char *module, uint64_t pc)
{
	uint64_t id;
	pb_mapping *m;

	if (strmap_find(&b->maps, module, &id)) {
		m = b->p.mapping[id - 1];
	} else {
		if (grow(&b->p.mapping, &b->cap_map, b->p.n_mapping, sizeof(m)))
			return NULL;
		m = malloc(sizeof(*m));
		if (!m)
			return NULL;
		perftools__profiles__mapping__init(m);
		m->id = b->p.n_mapping + 1;
		m->filename = str(b, module);
		m->memory_start = pc;
		m->memory_limit = pc + 1;
		/* symbolized already: see the essay */
		m->has_functions = m->has_filenames = true;
		m->has_line_numbers = m->has_inline_frames = true;
		if (m->filename < 0 || strmap_add(&b->maps, module, m->id)) {
			free(m);
			return NULL;
		}
		b->p.mapping[b->p.n_mapping++] = m;
	}
	if (pc < m->memory_start)
		m->memory_start = pc;
	if (pc >= m->memory_limit)
		m->memory_limit = pc + 1;
	return m;
}

/* new_location appends a location with room for nlines lines; NULL when
 * out of memory. */
static pb_location *new_location(struct pbuild *b, size_t nlines)
{
	pb_location *loc;

	if (grow(&b->p.location, &b->cap_loc, b->p.n_location, sizeof(loc)))
		return NULL;
	loc = malloc(sizeof(*loc));
	if (!loc)
		return NULL;
	perftools__profiles__location__init(loc);
	loc->line = calloc(nlines ? nlines : 1, sizeof(*loc->line));
	if (!loc->line) {
		free(loc);
		return NULL;
	}
	loc->id = b->p.n_location + 1;
	b->p.location[b->p.n_location++] = loc;
	return loc;
}

/* add_line appends a line of function id fn at line to loc. */
static int add_line(pb_location *loc, uint64_t fn, int64_t line)
{
	pb_line *l = malloc(sizeof(*l));

	if (!l || !fn) {
		free(l);
		return -ENOMEM;
	}
	perftools__profiles__line__init(l);
	l->function_id = fn;
	l->line = line;
	loc->line[loc->n_line++] = l;
	return 0;
}

/*
 * named_location returns the id of a location that is only names, the
 * innermost first (a folded stack's frames, an inlined call then its
 * caller); 0 when out of memory.
 */
static uint64_t named_location(struct pbuild *b, char *const *names, size_t n)
{
	struct sbuf key = {0};
	pb_location *loc;
	uint64_t id = 0;

	sbuf_printf(&key, "name");
	for (size_t i = 0; i < n; i++)
		sbuf_printf(&key, "\t%s", names[i]);
	if (key.oom)
		goto out;
	if (strmap_find(&b->locs, key.s, &id))
		goto out;
	loc = new_location(b, n);
	if (!loc)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (add_line(loc, function(b, names[i], NULL), 0))
			goto out;
	if (strmap_add(&b->locs, key.s, loc->id))
		goto out;
	id = loc->id;
out:
	free(key.s);
	return id;
}

/* pseudo_location is the location of one name ("[user stack lost]"). */
static uint64_t pseudo_location(struct pbuild *b, const char *name)
{
	char *names[] = {(char *)name};

	return named_location(b, names, 1);
}

/* module_name is the mapping a frame belongs to; NULL: none known. */
static const char *module_name(const struct profile_frame *fr, char *buf,
			       size_t len)
{
	if (!fr->kernel)
		return fr->module;
	if (!fr->module)
		return "[kernel.kallsyms]";
	snprintf(buf, len, "[%s]", fr->module);
	return buf;
}

/*
 * frame_name is fr's function, or for a frame that could not be named what
 * flamegraph.c's folded stacks call it — "[libc.so.6]", its file, or
 * "[unknown]" — so that pprof's tables and the flamegraphs agree.
 */
static const char *frame_name(const struct profile_frame *fr, char *buf,
			      size_t len)
{
	const char *base;

	if (fr->name)
		return fr->name;
	if (!fr->module)
		return "[unknown]";
	base = strrchr(fr->module, '/');
	snprintf(buf, len, "[%s]", base ? base + 1 : fr->module);
	return buf;
}

/*
 * cpu_location returns the id of the location of frames fr[0..n): one pc,
 * the calls inlined there then the function holding it, innermost first
 * as profile.proto's lines are. 0 when out of memory.
 */
static uint64_t cpu_location(struct pbuild *b, const struct profile_frame *fr,
			     size_t n)
{
	char modbuf[128];
	const char *module = module_name(fr, modbuf, sizeof(modbuf));
	struct sbuf key = {0};
	pb_mapping *m = NULL;
	pb_location *loc;
	uint64_t id = 0;

	/* the lines are in the key: a pc sampled as the leaf and the same
	 * pc as a return address can name different lines */
	sbuf_printf(&key, "%d %s %llx", fr->kernel, module ? module : "",
		    (unsigned long long)fr->pc);
	for (size_t i = 0; i < n; i++)
		sbuf_printf(&key, "\n%s\t%s\t%d", fr[i].name ? fr[i].name : "",
			    fr[i].file ? fr[i].file : "", fr[i].line);
	if (key.oom)
		goto out;
	if (strmap_find(&b->locs, key.s, &id))
		goto out;
	if (module && !(m = mapping(b, module, fr->pc)))
		goto out;
	loc = new_location(b, n);
	if (!loc)
		goto out;
	loc->mapping_id = m ? m->id : 0;
	loc->address = fr->pc;
	for (size_t i = 0; i < n; i++) {
		char unnamed[PATH_MAX];

		if (add_line(
			loc,
			function(b,
				 frame_name(&fr[i], unnamed, sizeof(unnamed)),
				 fr[i].file),
			fr[i].line))
			goto out;
	}
	if (strmap_add(&b->locs, key.s, loc->id))
		goto out;
	id = loc->id;
out:
	free(key.s);
	return id;
}

/* add_sample appends a sample of the nlocs locations and the values, one
 * per sample type. */
static int add_sample(struct pbuild *b, const uint64_t *locs, size_t nlocs,
		      const int64_t *values)
{
	size_t nvals = b->p.n_sample_type;
	pb_sample *s;

	if (grow(&b->p.sample, &b->cap_sample, b->p.n_sample, sizeof(s)))
		return -ENOMEM;
	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	perftools__profiles__sample__init(s);
	s->location_id = malloc((nlocs ? nlocs : 1) * sizeof(*locs));
	s->value = malloc(nvals * sizeof(*values));
	if (!s->location_id || !s->value) {
		free(s->location_id);
		free(s->value);
		free(s);
		return -ENOMEM;
	}
	memcpy(s->location_id, locs, nlocs * sizeof(*locs));
	s->n_location_id = nlocs;
	memcpy(s->value, values, nvals * sizeof(*values));
	s->n_value = nvals;
	b->p.sample[b->p.n_sample++] = s;
	return 0;
}

static void pbuild_free(struct pbuild *b)
{
	pb_profile *p = &b->p;

	for (size_t i = 0; i < p->n_sample; i++) {
		free(p->sample[i]->location_id);
		free(p->sample[i]->value);
		free(p->sample[i]);
	}
	for (size_t i = 0; i < p->n_location; i++) {
		for (size_t j = 0; j < p->location[i]->n_line; j++)
			free(p->location[i]->line[j]);
		free(p->location[i]->line);
		free(p->location[i]);
	}
	for (size_t i = 0; i < p->n_mapping; i++)
		free(p->mapping[i]);
	for (size_t i = 0; i < p->n_function; i++)
		free(p->function[i]);
	for (size_t i = 0; i < p->n_string_table; i++)
		free(p->string_table[i]);
	free(p->sample);
	free(p->location);
	free(p->mapping);
	free(p->function);
	free(p->string_table);
	free(p->comment);
	strmap_free(&b->strs);
	strmap_free(&b->fns);
	strmap_free(&b->maps);
	strmap_free(&b->locs);
}

/* ---- writing ------------------------------------------------------------ */

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * write_gz packs b's profile and writes it gzipped to path, through a
 * temporary renamed over path once complete (output.h), so a failed write
 * leaves no half-written profile. Returns 0, or -errno after printing why.
 */
static int write_gz(const char *path, const pb_profile *p)
{
	size_t len = perftools__profiles__profile__get_packed_size(p);
	uint8_t *buf = malloc(len ? len : 1);
	struct output out;
	size_t off = 0;
	gzFile gz;
	int err = 0, zerr, fd;

	if (!buf) {
		rt_errorf("cannot write %s: out of memory", path);
		return -ENOMEM;
	}
	perftools__profiles__profile__pack(p, buf);
	err = output_open(&out, path);
	if (err) {
		free(buf);
		return err;
	}
	/* gzclose closes what it was given: a copy, so out keeps its own */
	fd = dup(out.fd);
	gz = fd >= 0 ? gzdopen(fd, "wb") : NULL;
	if (!gz) {
		err = errno ? -errno : -ENOMEM;
		if (fd >= 0)
			close(fd);
		goto done;
	}
	while (off < len) {
		unsigned int chunk = len - off > (1U << 30)
					 ? 1U << 30
					 : (unsigned int)(len - off);
		int n = gzwrite(gz, buf + off, chunk);

		if (n <= 0) {
			gzerror(gz, &zerr);
			err = zerr == Z_ERRNO && errno ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	zerr = gzclose(gz);
	if (!err && zerr != Z_OK)
		err = zerr == Z_ERRNO && errno ? -errno : -EIO;
done:
	free(buf);
	if (err) {
		rt_errorf("cannot write %s: %s", path, strerror(-err));
		output_abort(&out);
		return err;
	}
	return output_commit(&out);
}

/*
 * cpu_samples adds r's stacks as samples: each frame group of one pc (the
 * inlined calls, then their function) is a location, leaf first, with a
 * frame for each half of the stack that was lost.
 */
static int cpu_samples(struct pbuild *b, const struct profile_result *r,
		       int64_t period)
{
	uint64_t *locs = NULL;
	size_t cap = 0;
	int err = 0;

	for (size_t s = 0; s < r->nstacks && !err; s++) {
		const struct profile_stack *st = &r->stacks[s];
		int64_t values[2] = {(int64_t)st->count,
				     (int64_t)st->count * period};
		size_t n = 0;

		if (st->nframes + 3 > cap) {
			uint64_t *l;

			cap = st->nframes + 3;
			l = realloc(locs, cap * sizeof(*locs));
			if (!l) {
				err = -ENOMEM;
				break;
			}
			locs = l;
		}
		if (st->kernel_lost)
			locs[n++] = pseudo_location(b, "[kernel stack lost]");
		for (size_t i = 0; i < st->nframes;) {
			const struct profile_frame *fr = &st->frames[i];
			size_t j = i;

			/* an inlined call belongs with the next frame out,
			 * at the same pc */
			while (j + 1 < st->nframes && st->frames[j].inlined &&
			       st->frames[j + 1].pc == fr->pc &&
			       st->frames[j + 1].kernel == fr->kernel)
				j++;
			locs[n++] = cpu_location(b, fr, j - i + 1);
			i = j + 1;
		}
		if (st->user_lost)
			locs[n++] = pseudo_location(b, "[user stack lost]");
		if (!n)
			locs[n++] = pseudo_location(b, "[no stack]");
		for (size_t i = 0; i < n; i++)
			if (!locs[i])
				err = -ENOMEM;
		if (!err)
			err = add_sample(b, locs, n, values);
	}
	free(locs);
	return err;
}

/* exe_first moves the mapping of exe to mapping[0], which pprof takes
 * for the main binary; ids stay. */
static void exe_first(struct pbuild *b, const char *exe)
{
	uint64_t id;

	if (exe && strmap_find(&b->maps, exe, &id) && id > 1) {
		pb_mapping *m = b->p.mapping[id - 1];

		memmove(&b->p.mapping[1], &b->p.mapping[0],
			(id - 1) * sizeof(*b->p.mapping));
		b->p.mapping[0] = m;
	}
}

int pprof_write_cpu(const char *path, const struct profile_result *r,
		    const char *exe)
{
	uint64_t unrecorded = r->stats[PROFILE_COUNTS_FULL];
	unsigned int freq = r->freq ? r->freq : PROFILE_DEFAULT_FREQ;
	int64_t period = (int64_t)llround(1e9 / freq);
	struct pbuild b;
	char text[256];
	int err;

	err = pbuild_init(&b);
	/* Go's CPU profile: the last type, cpu, is the default */
	if (!err)
		err = set_value_type(&b, &b.types[0], "samples", "count");
	if (!err)
		err = set_value_type(&b, &b.types[1], "cpu", "nanoseconds");
	if (!err)
		err = set_value_type(&b, &b.period_type, "cpu", "nanoseconds");
	if (err)
		goto out;
	b.type_ptrs[0] = &b.types[0];
	b.type_ptrs[1] = &b.types[1];
	b.p.sample_type = b.type_ptrs;
	b.p.n_sample_type = 2;
	b.p.period_type = &b.period_type;
	b.p.period = period;
	b.p.duration_nanos = (int64_t)llround(r->duration_s * 1e9);
	b.p.time_nanos = wall_ns() - b.p.duration_nanos;

	err = cpu_samples(&b, r, period);
	if (!err && unrecorded) {
		uint64_t loc = pseudo_location(
		    &b, "[not recorded: sampled-stacks map full]");
		int64_t values[2] = {(int64_t)unrecorded,
				     (int64_t)unrecorded * period};

		err = loc ? add_sample(&b, &loc, 1, values) : -ENOMEM;
	}
	if (err)
		goto out;
	exe_first(&b, exe);
	snprintf(text, sizeof(text),
		 "rttrace: %llu CPU samples at %u Hz on %d CPUs over %.2f s "
		 "(software cpu-clock)",
		 (unsigned long long)r->samples, freq, r->ncpus, r->duration_s);
	err = add_comment(&b, text);
	if (!err && r->lost) {
		snprintf(text, sizeof(text),
			 "rttrace: %llu samples without their whole stack",
			 (unsigned long long)r->lost);
		err = add_comment(&b, text);
	}
	if (!err) {
		/* write_gz says why itself */
		err = write_gz(path, &b.p);
		pbuild_free(&b);
		return err;
	}
out:
	if (err)
		rt_errorf("cannot write the pprof profile %s: %s", path,
			  strerror(-err));
	pbuild_free(&b);
	return err;
}

/*
 * strip_suffix removes sfx from the end of name if it is there; says
 * whether it was.
 */
static bool strip_suffix(char *name, const char *sfx)
{
	size_t len = strlen(name), sl = strlen(sfx);

	if (len <= sl || strcmp(name + len - sl, sfx))
		return false;
	name[len - sl] = '\0';
	return true;
}

/*
 * folded_sample adds one folded stack. Its frames, outer first in the
 * text, become locations leaf first; FlameGraph's annotations go
 * (flamegraph.h): a "_[k]" frame is a kernel function, and a "_[i]"
 * frame a call inlined into the frame out from it, so it becomes a line
 * of that frame's location, as pprof has inlined calls.
 */
static int folded_sample(struct pbuild *b, const char *stack, int64_t value)
{
	char *copy = strdup(stack), *save = NULL, **frames = NULL;
	bool *inl = NULL;
	uint64_t *locs = NULL;
	size_t nf = 0, n = 0, cap = 1;
	int err = -ENOMEM;

	if (!copy)
		return -ENOMEM;
	for (const char *p = stack; *p; p++)
		cap += *p == ';';
	frames = malloc(cap * sizeof(*frames));
	inl = malloc(cap * sizeof(*inl));
	locs = malloc(cap * sizeof(*locs));
	if (!frames || !inl || !locs)
		goto out;
	/* leaf first */
	for (char *f = strtok_r(copy, ";", &save); f;
	     f = strtok_r(NULL, ";", &save))
		frames[nf++] = f;
	for (size_t i = 0; i < nf / 2; i++) {
		char *t = frames[i];

		frames[i] = frames[nf - 1 - i];
		frames[nf - 1 - i] = t;
	}
	for (size_t i = 0; i < nf; i++) {
		inl[i] = strip_suffix(frames[i], "_[i]");
		if (!inl[i])
			strip_suffix(frames[i], "_[k]");
	}
	err = 0;
	for (size_t i = 0; i < nf && !err;) {
		size_t j = i;

		/* the inlined calls, then the frame they were inlined in */
		while (inl[j] && j + 1 < nf)
			j++;
		locs[n] = named_location(b, &frames[i], j - i + 1);
		err = locs[n++] ? 0 : -ENOMEM;
		i = j + 1;
	}
	if (!err && !n) {
		locs[n] = pseudo_location(b, "[no stack]");
		err = locs[n++] ? 0 : -ENOMEM;
	}
	if (!err)
		err = add_sample(b, locs, n, &value);
out:
	free(locs);
	free(inl);
	free(frames);
	free(copy);
	return err;
}

int pprof_write_folded(const char *path, const struct folded *fo,
		       const char *sample_type, const char *unit)
{
	struct pbuild b;
	char text[256];
	int err;

	err = pbuild_init(&b);
	if (!err)
		err = set_value_type(&b, &b.types[0], sample_type, unit);
	if (!err)
		err = set_value_type(&b, &b.period_type, sample_type, unit);
	if (err)
		goto out;
	b.type_ptrs[0] = &b.types[0];
	b.p.sample_type = b.type_ptrs;
	b.p.n_sample_type = 1;
	b.p.period_type = &b.period_type;
	b.p.period = 1;
	b.p.time_nanos = wall_ns();
	for (size_t i = 0; i < fo->n && !err; i++) {
		int64_t v = (int64_t)llround(fo->v[i].weight);

		/* a weight below half a unit rounds to nothing */
		if (v > 0)
			err = folded_sample(&b, fo->v[i].stack, v);
	}
	if (err)
		goto out;
	snprintf(text, sizeof(text),
		 "rttrace: %zu folded stacks, %.0f %s in all", fo->n, fo->total,
		 fo->unit ? fo->unit : unit);
	err = add_comment(&b, text);
	if (!err) {
		/* write_gz says why itself */
		err = write_gz(path, &b.p);
		pbuild_free(&b);
		return err;
	}
out:
	if (err)
		rt_errorf("cannot write the pprof profile %s: %s", path,
			  strerror(-err));
	pbuild_free(&b);
	return err;
}

char *pprof_path(const char *file, const char *suffix)
{
	static const char *const exts[] = {".pb.gz", ".pb", ".gz"};
	size_t len = strlen(file), base = len;
	char *out;

	if (!suffix || !*suffix)
		return strdup(file);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);

		/* an extension, not the whole name (".gz" stays a name) */
		if (len > el && strcmp(file + len - el, exts[i]) == 0 &&
		    file[len - el - 1] != '/') {
			base = len - el;
			break;
		}
	}
	if (asprintf(&out, "%.*s-%s%s", (int)base, file, suffix, file + base) <
	    0)
		return NULL;
	return out;
}

/* ---- the report's export ------------------------------------------------ */

/*
 * pprof_export_blocking writes the blocking profile (block.c, each stack
 * rooted at its wait reason) to FILE[-variant]-blocking.pb.gz, as Go's
 * block profile weighs it: delay in nanoseconds.
 */
static int pprof_export_blocking(struct tracer *tr, const struct tracer_opts *o,
				 const char *variant)
{
	struct folded fo = {0};
	char *suffix = NULL, *path = NULL;
	int err;

	if (asprintf(&suffix, "%s%sblocking", variant ? variant : "",
		     variant ? "-" : "") < 0)
		return -ENOMEM;
	path = pprof_path(o->pprof, suffix);
	free(suffix);
	if (!path)
		return -ENOMEM;
	err = block_folded(&tr->block, NULL, &fo);
	if (err)
		rt_errorf("--pprof: cannot read the blocking profile: %s",
			  strerror(-err));
	else
		err = pprof_write_folded(path, &fo, "delay", "nanoseconds");
	if (!err)
		fprintf(stderr,
			"rttrace: blocking profile (%zu stacks, %.3f s "
			"blocked) written to %s\n",
			fo.n, fo.total / 1e9, path);
	folded_free(&fo);
	free(path);
	return err;
}

int pprof_export(struct tracer *tr, const struct profile_result *prof,
		 const struct sched_target *t, const struct tracer_opts *o,
		 const char *variant)
{
	struct profile_result own = {0};
	char *path = NULL;
	int err;

	if (!o->pprof)
		return 0;
	if (!prof) {
		if (!tr->prof.skel) {
			rt_errorf("--pprof: the CPU was not sampled");
			return -EINVAL;
		}
		err = profile_collect(&tr->prof, &own);
		if (err) {
			rt_errorf("--pprof: cannot read the CPU samples: %s",
				  strerror(-err));
			return err;
		}
		prof = &own;
	}
	path = pprof_path(o->pprof, variant);
	err = path ? pprof_write_cpu(path, prof, t->path) : -ENOMEM;
	if (!err)
		fprintf(stderr,
			"rttrace: CPU profile (%llu samples) written to %s; "
			"read it with: go tool pprof -top %s\n",
			(unsigned long long)prof->samples, path, path);
	free(path);
	profile_result_free(&own);
	if (!err && o->blocking && tr->block.skel)
		err = pprof_export_blocking(tr, o, variant);
	return err;
}
