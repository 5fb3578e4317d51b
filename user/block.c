/*
 * block.c — loads bpf/block.bpf.c (the blocking profile), attaches it to
 * librt's gopark, goready and goend probes, and turns what it summed into
 * folded stacks: the wait reason as the root frame, then the goroutine's
 * stack from its entry to rt_gopark, weighted by the nanoseconds it spent
 * parked (gopark -> goready; block.bpf.c says why not -> gostart).
 *
 * Order, as every concern: open -> set the knobs and map sizes -> load ->
 * attach. As profile.c, a helper thread re-reads /proc/PID/maps while the
 * process runs, so that its libraries are named after it has exited (a
 * traced program is attached before its loader maps them).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "block.skel.h"
#include "block_user.h"
#include "flamegraph.h"
#include "json.h"
#include "map_helpers.h"
#include "privilege.h"
#include "probe_attach.h"
#include "rttrace.h"
#include "symbolize.h"
#include "waitreason.h"

#define SNAP_INTERVAL_MS 100
#define SYM_FRAMES_MAX	 9 /* a function and up to 8 inlined calls */

/* goend, gopark and goready are adjacent in RT_PROBE_LIST */
_Static_assert(RT_PROBE_ID_gopark == RT_PROBE_ID_goend + 1 &&
		   RT_PROBE_ID_goready == RT_PROBE_ID_gopark + 1,
	       "block.c attaches [goend, goready] as one range");

void block_pin_probes(bool pinned[RT_PROBE_NUM])
{
	for (int id = RT_PROBE_ID_goend; id <= RT_PROBE_ID_goready; id++)
		pinned[id] = true;
}

bool block_wanted(const struct usdt_probes *probes)
{
	return probes->sites[RT_PROBE_ID_gopark] &&
	       probes->sites[RT_PROBE_ID_goready];
}

static void *snapper_main(void *arg)
{
	struct block_session *b = arg;

	/* a helper: only what reading /proc needs (privilege.h) */
	privilege_drop_helper();
	while (!atomic_load(&b->snapper_stop)) {
		struct timespec ts = {0, SNAP_INTERVAL_MS * 1000000L};

		if (usyms_snapshot(b->usyms) < 0)
			break; /* gone: the last snapshot stays */
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void snapper_join(struct block_session *b)
{
	if (!b->snapper_started)
		return;
	atomic_store(&b->snapper_stop, true);
	pthread_join(b->snapper, NULL);
	b->snapper_started = false;
}

int block_start(struct block_session *b, const struct block_opts *o,
		const char *path, const struct usdt_probes *probes)
{
	sigset_t all, old;
	int err;

	memset(b, 0, sizeof(*b));
	b->max_goroutines =
	    o->max_goroutines ? o->max_goroutines : BLOCK_MAX_GOROUTINES;
	b->max_stacks = o->max_stacks ? o->max_stacks : BLOCK_MAX_STACKS;
	b->ncpus = probe_ncpus();
	if (b->ncpus < 0)
		return b->ncpus;
	b->skel = block_bpf__open_opts(bpf_open_opts());
	if (!b->skel)
		return probe_open_failed();
	b->skel->rodata->targ_tgid = o->tgid;
	err = probe_size_map(b->skel->maps.parked, b->max_goroutines,
			     "parked goroutines");
	if (!err)
		err = probe_size_map(b->skel->maps.stacks, b->max_stacks,
				     "blocking stack");
	if (!err)
		err = probe_size_map(b->skel->maps.blocked, b->max_stacks,
				     "blocked stacks");
	if (!err) {
		probe_prepare(b->skel->obj);
		err = probe_load_result(block_bpf__load(b->skel));
	}
	if (!err)
		err = probe_attach(b->skel->obj, b->links, RT_PROBE_ID_goend,
				   RT_PROBE_ID_goready + 1, o->tgid, path,
				   probes);
	if (err)
		return err;

	b->usyms = usyms_new(o->tgid);
	if (!b->usyms)
		return -ENOMEM;
	/* the thread must not take rttrace's SIGINT, nor a sigwait's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&b->snapper, NULL, snapper_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		rt_errorf("cannot start the mappings thread: %s",
			  strerror(err));
		return -err;
	}
	b->snapper_started = true;
	return 0;
}

/* A growing string. */
struct str {
	char *s;
	size_t len, cap;
	bool oom;
};

static void str_put(struct str *b, const char *s)
{
	size_t n = strlen(s);

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
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* str_name appends a frame name with ';' (the frame separator) as ':'. */
static void str_name(struct str *b, const char *name)
{
	size_t start = b->len;

	str_put(b, name);
	for (size_t i = start; !b->oom && i < b->len; i++)
		if (b->s[i] == ';')
			b->s[i] = ':';
		else if (b->s[i] == '\n')
			b->s[i] = ' ';
}

static int runtime_name_add(struct block_session *b, const char *name)
{
	char **v;

	for (size_t i = 0; i < b->nruntime; i++)
		if (strcmp(b->runtime_names[i], name) == 0)
			return 0;
	v = realloc(b->runtime_names, (b->nruntime + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	b->runtime_names = v;
	v[b->nruntime] = strdup(name);
	if (!v[b->nruntime])
		return -ENOMEM;
	b->nruntime++;
	return 0;
}

/* symbolize_stack builds stack id's folded frames, outermost first. */
static int symbolize_stack(struct block_session *b, int fd, int32_t id,
			   struct str *out)
{
	uint64_t ips[BLOCK_MAX_DEPTH];
	struct sym_frame sf[SYM_FRAMES_MAX];
	uint32_t key = id;
	int n, err = 0;

	if (id < 0) {
		str_put(out, "[stack lost]");
		return 0;
	}
	memset(ips, 0, sizeof(ips));
	if (bpf_map_lookup_elem(fd, &key, ips)) {
		str_put(out, "[stack lost]");
		return 0;
	}
	for (n = 0; n < BLOCK_MAX_DEPTH && ips[n]; n++)
		;
	if (!n)
		str_put(out, "[no stack]");
	/* ips[0] is the probe site itself; the others return addresses */
	for (int i = n - 1; i >= 0 && !err; i--) {
		int k =
		    usyms_lookup(b->usyms, ips[i], i == 0, sf, SYM_FRAMES_MAX);

		/* sf is innermost first: the function, outer, comes last */
		for (int j = k - 1; j >= 0 && !err; j--) {
			size_t start;

			if (out->len)
				str_put(out, ";");
			start = out->len;
			if (sf[j].name) {
				str_name(out, sf[j].name);
			} else if (sf[j].module) {
				const char *base = strrchr(sf[j].module, '/');

				str_put(out, "[");
				str_name(out, base ? base + 1 : sf[j].module);
				str_put(out, "]");
			} else {
				str_put(out, "[unknown]");
			}
			if (sf[j].inlined)
				str_put(out, "_[i]");
			if (!out->oom && sf[j].file &&
			    (strncmp(sf[j].file, "runtime/", 8) == 0 ||
			     strstr(sf[j].file, "/runtime/")))
				err = runtime_name_add(b, out->s + start);
		}
	}
	return out->oom ? -ENOMEM : err;
}

int block_read_stats(struct block_session *b)
{
	uint64_t *pk = NULL;
	void *pv = NULL;
	size_t np = 0;
	int err;

	if (b->stats_read)
		return 0;
	err = map_sum_u64(b->skel->maps.stats, b->ncpus, b->stats,
			  BLOCK_STAT_NUM, 1);
	if (err)
		return err;
	if (!map_dump(b->skel->maps.parked, (void **)&pk, &pv, &np)) {
		b->still_parked = np;
		free(pk);
		free(pv);
	}
	b->stats_read = true;
	return 0;
}

int block_collect(struct block_session *b)
{
	struct block_key *keys = NULL;
	struct block_val *vals = NULL;
	size_t n = 0;
	int err, fd;

	if (b->collected)
		return 0;
	err = block_read_stats(b);
	if (err)
		return err;
	usyms_snapshot(b->usyms);
	err =
	    map_dump(b->skel->maps.blocked, (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	b->entries = calloc(n ? n : 1, sizeof(*b->entries));
	if (!b->entries) {
		err = -ENOMEM;
		goto out;
	}
	fd = bpf_map__fd(b->skel->maps.stacks);
	for (size_t i = 0; i < n && !err; i++) {
		struct str s = {0};

		err = symbolize_stack(b, fd, keys[i].stackid, &s);
		if (err) {
			free(s.s);
			break;
		}
		b->entries[b->nentries++] = (struct block_entry){
		    .reason = keys[i].reason,
		    .stack = s.s,
		    .ns = vals[i].ns,
		    .count = vals[i].count,
		};
	}
	b->collected = !err;
out:
	free(keys);
	free(vals);
	return err;
}

/* reason_name is the root frame of a reason: Go's text, or a bracketed
 * pseudo name where Go has none. */
static const char *reason_name(unsigned int reason, char *buf, size_t len)
{
	const char *s = waitreason_str(reason);

	if (s && *s)
		return s;
	if (s)
		return "[no wait reason]";
	snprintf(buf, len, "[bad wait reason %u]", reason);
	return buf;
}

int block_folded(struct block_session *b, const char *reason,
		 struct folded *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	out->unit = "ns";
	err = block_collect(b);
	for (size_t i = 0; !err && i < b->nentries; i++) {
		const struct block_entry *e = &b->entries[i];
		char buf[64], *stack;
		const char *root = reason_name(e->reason, buf, sizeof(buf));

		if (reason && strcmp(reason, root) != 0)
			continue;
		if (asprintf(&stack, "%s;%s", root, e->stack) < 0) {
			err = -ENOMEM;
			break;
		}
		err = folded_add(out, stack, (double)e->ns);
		if (!err)
			err = folded_set_kind(out, root, FRAME_SPECIAL);
		free(stack);
	}
	for (size_t i = 0; !err && i < b->nruntime; i++)
		err = folded_set_kind(out, b->runtime_names[i], FRAME_RUNTIME);
	if (err) {
		folded_free(out);
		return err;
	}
	folded_merge(out);
	folded_kinds_done(out);
	return 0;
}

static void json_kv(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void block_json_key(struct json *j, struct block_session *b)
{
	const uint64_t *st = b->stats;

	if (!b->skel || block_read_stats(b))
		return;
	json_key(j, "blocking");
	json_object_begin(j);
	json_kv(j, "parks", st[BLOCK_PARKS]);
	json_kv(j, "parks_ended", st[BLOCK_READIES]);
	json_kv(j, "still_parked", b->still_parked);
	json_kv(j, "max_goroutines", b->max_goroutines);
	json_kv(j, "max_stacks", b->max_stacks);
	/* the stat names of block.h, as the other concerns' "errors" */
	json_key(j, "errors");
	json_object_begin(j);
	json_kv(j, "goroutines_map_full", st[BLOCK_PARKED_FULL]);
	json_kv(j, "stack_map_full", st[BLOCK_STACK_FULL]);
	json_kv(j, "stack_collision", st[BLOCK_STACK_COLLISION]);
	json_kv(j, "stack_other", st[BLOCK_STACK_OTHER]);
	json_kv(j, "blocked_map_full", st[BLOCK_BLOCKED_FULL]);
	json_kv(j, "blocked_lost_ns", st[BLOCK_BLOCKED_LOST_NS]);
	json_kv(j, "ready_unparked", st[BLOCK_READY_UNPARKED]);
	json_object_end(j);
	json_object_end(j);
}

void block_report_warnings(struct block_session *b)
{
	const uint64_t *st = b->stats;
	uint64_t lost = st[BLOCK_STACK_COLLISION] + st[BLOCK_STACK_FULL] +
			st[BLOCK_STACK_OTHER];

	/* once per session: the report and each export may ask */
	if (!b->skel || b->warned || block_read_stats(b))
		return;
	b->warned = true;
	if (lost)
		rt_warnf("blocking profile: %llu of %llu parks without their "
			 "stack (stack map full: %llu, bucket taken: %llu, "
			 "other: %llu; %u entries): their time is under "
			 "[stack lost]; raise --stack-map-size",
			 (unsigned long long)lost,
			 (unsigned long long)st[BLOCK_PARKS],
			 (unsigned long long)st[BLOCK_STACK_FULL],
			 (unsigned long long)st[BLOCK_STACK_COLLISION],
			 (unsigned long long)st[BLOCK_STACK_OTHER],
			 b->max_stacks);
	if (st[BLOCK_PARKED_FULL])
		rt_warnf("blocking profile: %llu of %llu parks not timed: the "
			 "parked goroutines map was full (%u goroutines); "
			 "raise --max-goroutines",
			 (unsigned long long)st[BLOCK_PARKED_FULL],
			 (unsigned long long)st[BLOCK_PARKS],
			 b->max_goroutines);
	if (st[BLOCK_BLOCKED_FULL])
		rt_warnf("blocking profile: %llu parks (%.3f s blocked) lost: "
			 "the blocked-stacks map was full (%u entries); raise "
			 "--stack-map-size",
			 (unsigned long long)st[BLOCK_BLOCKED_FULL],
			 st[BLOCK_BLOCKED_LOST_NS] / 1e9, b->max_stacks);
	if (st[BLOCK_READY_UNPARKED])
		rt_notef("blocking profile: %llu goreadies of parks not "
			 "recorded (parked before rttrace attached, or when "
			 "the parked map was full), not timed",
			 (unsigned long long)st[BLOCK_READY_UNPARKED]);
	if (b->still_parked)
		rt_notef("blocking profile: %llu goroutines still parked at "
			 "the end; an unfinished wait is not in the profile "
			 "(as in Go's block profile)",
			 (unsigned long long)b->still_parked);
}

void block_stop(struct block_session *b)
{
	snapper_join(b);
	probe_detach(b->links);
	block_bpf__destroy(b->skel);
	b->skel = NULL;
	usyms_free(b->usyms);
	b->usyms = NULL;
	for (size_t i = 0; i < b->nentries; i++)
		free(b->entries[i].stack);
	free(b->entries);
	b->entries = NULL;
	b->nentries = 0;
	for (size_t i = 0; i < b->nruntime; i++)
		free(b->runtime_names[i]);
	free(b->runtime_names);
	b->runtime_names = NULL;
	b->nruntime = 0;
	b->collected = false;
	b->stats_read = false;
	b->warned = false;
}
