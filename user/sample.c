/*
 * sample.c — sampled mode (sample.h): --sample's periods, the auto
 * policy, and writing them into the traced process.
 *
 * The process's side is librt's (runtime/probes.c): per probe a period in
 * rt_probe_sample_period[], read at every active probe site, and an epoch
 * in rt_probe_sample_epoch; bumping it makes every M forget the events it
 * counted before, so an attach does not report the time nobody was
 * attached. Both are plain globals of the executable (librt is linked
 * statically), found by symbol: address = load bias + st_value, the bias
 * from /proc/PID/maps. They are written through /proc/PID/mem, which
 * root (or the process's ptracer) may write; a write of an aligned
 * 32-bit word is seen whole.
 *
 * Auto's thread runs beside the wait loops of trace, attach and --live
 * (which block in waitpid, poll or the live view's sleeps) rather than in
 * them, so its ticks keep their pace whatever the main thread does; it
 * runs with every signal blocked so that Ctrl-C still interrupts the main
 * thread's wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "privilege.h"
#include "probe_names.h"
#include "rttrace.h"
#include "sample.h"

#define SYM_PERIOD "rt_probe_sample_period"
#define SYM_EPOCH  "rt_probe_sample_epoch"

/* ---- roles and periods --------------------------------------------------- */

/*
 * The openers each follower fires with (probes.h: RT_PROBE_G_SCHED and
 * RT_PROBE_G_SELECT); -1 ends a list.
 */
static const struct {
	int id;
	int openers[3];
} followers[] = {
    {RT_PROBE_ID_goready, {RT_PROBE_ID_gopark, -1}},
    {RT_PROBE_ID_gostart, {RT_PROBE_ID_gopark, RT_PROBE_ID_newproc, -1}},
    {RT_PROBE_ID_selectgo_ret, {RT_PROBE_ID_selectgo, -1}},
};
#define NFOLLOWERS (sizeof(followers) / sizeof(followers[0]))

enum sample_role sample_role(int id)
{
	switch (id) {
	case RT_PROBE_ID_gc_start:
	case RT_PROBE_ID_gc_mark_done:
	case RT_PROBE_ID_gc_done:
	case RT_PROBE_ID_stw_start:
	case RT_PROBE_ID_stw_done:
	case RT_PROBE_ID_probe_flush:
		return SAMPLE_ROLE_NEVER;
	case RT_PROBE_ID_goready:
	case RT_PROBE_ID_gostart:
	case RT_PROBE_ID_selectgo_ret:
		return SAMPLE_ROLE_FOLLOW;
	default:
		return SAMPLE_ROLE_OWN;
	}
}

bool sample_parse(const char *s, enum sample_mode *mode, uint32_t *period)
{
	unsigned long v;
	char *end;

	if (!strcmp(s, "auto")) {
		*mode = SAMPLE_AUTO;
		*period = 0;
		return true;
	}
	if (!strcmp(s, "off")) {
		*mode = SAMPLE_OFF;
		*period = 1;
		return true;
	}
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > SAMPLE_MAX_PERIOD)
		return false;
	*mode = v == 1 ? SAMPLE_OFF : SAMPLE_FIXED;
	*period = (uint32_t)v;
	return true;
}

/* set_followers gives each follower its openers' largest period, or 1
 * when it is pinned (it then fires on every event by itself). */
static void set_followers(const bool pinned[RT_PROBE_NUM],
			  uint32_t out[RT_PROBE_NUM])
{
	for (size_t i = 0; i < NFOLLOWERS; i++) {
		uint32_t p = 1;

		for (const int *o = followers[i].openers; *o >= 0; o++)
			if (out[*o] > p)
				p = out[*o];
		out[followers[i].id] = pinned[followers[i].id] ? 1 : p;
	}
}

void sample_fixed_periods(uint32_t period, const bool pinned[RT_PROBE_NUM],
			  uint32_t out[RT_PROBE_NUM])
{
	for (int id = 0; id < RT_PROBE_NUM; id++)
		out[id] = sample_role(id) == SAMPLE_ROLE_OWN && !pinned[id]
			      ? period
			      : 1;
	set_followers(pinned, out);
}

/* weight is how many firings a firing of opener o brings: itself and
 * each follower that fires with it (not pinned: those cost their rate). */
static double weight(int o, const bool pinned[RT_PROBE_NUM])
{
	double w = 1;

	for (size_t i = 0; i < NFOLLOWERS; i++) {
		if (pinned[followers[i].id])
			continue;
		for (const int *p = followers[i].openers; *p >= 0; p++)
			w += *p == o;
	}
	return w;
}

static int cmp_rate(const void *a, const void *b, void *arg)
{
	const double *rates = arg;
	double x = rates[*(const int *)a], y = rates[*(const int *)b];

	return (x > y) - (x < y);
}

/* pow2_ceil is the least power of two >= x, within [1, SAMPLE_MAX_PERIOD]. */
static uint32_t pow2_ceil(double x)
{
	uint32_t p = 1;

	while (p < x && p < SAMPLE_MAX_PERIOD)
		p <<= 1;
	return p;
}

void sample_auto_periods(const double rates[RT_PROBE_NUM],
			 const uint32_t cur[RT_PROBE_NUM],
			 const bool pinned[RT_PROBE_NUM],
			 uint32_t out[RT_PROBE_NUM])
{
	int own[RT_PROBE_NUM], nown = 0;
	double fixed = 0, left, wsum = 0, level;

	for (int id = 0; id < RT_PROBE_NUM; id++) {
		double r = rates[id] > 0 ? rates[id] : 0;

		out[id] = 1;
		if (pinned[id] || sample_role(id) == SAMPLE_ROLE_NEVER)
			fixed += r;
		else if (sample_role(id) == SAMPLE_ROLE_OWN)
			own[nown++] = id;
	}
	/* water-filling, the least rate first: each probe under the level
	 * takes what it needs, the rest share what is left */
	qsort_r(own, nown, sizeof(own[0]), cmp_rate, (void *)rates);
	for (int i = 0; i < nown; i++)
		wsum += weight(own[i], pinned);
	left = SAMPLE_BUDGET_PER_S - fixed;
	level = INFINITY;
	for (int i = 0; i < nown; i++) {
		double r = rates[own[i]] > 0 ? rates[own[i]] : 0;
		double w = weight(own[i], pinned);

		if (r * wsum <= left) {
			left -= r * w;
			wsum -= w;
			continue;
		}
		level = left > 0 ? left / wsum : 0;
		break;
	}
	if (level < SAMPLE_FLOOR_PER_S)
		level = SAMPLE_FLOOR_PER_S;

	for (int i = 0; i < nown; i++) {
		int id = own[i];
		double r = rates[id] > 0 ? rates[id] : 0, want = r / level;
		uint32_t p = want > 1 ? pow2_ceil(want) : 1;

		/* up once it fires 25 % over the level (a rate's jitter is
		 * not a reason); down only by 4x, or to full when well
		 * under the level */
		if (p > cur[id] && want <= 1.25 * cur[id])
			p = cur[id];
		if (p < cur[id] && p * 4 > cur[id] &&
		    !(p == 1 && 2 * r <= level))
			p = cur[id];
		out[id] = p;
	}
	set_followers(pinned, out);
}

bool sample_env(const uint32_t periods[RT_PROBE_NUM], char *buf, size_t len)
{
	uint32_t common = 1;
	int best = 0;
	size_t n;

	for (int i = 0; i < RT_PROBE_NUM; i++) {
		int c = 0;

		for (int k = 0; k < RT_PROBE_NUM; k++)
			c += periods[k] == periods[i];
		if (c > best) {
			best = c;
			common = periods[i];
		}
	}
	n = (size_t)snprintf(buf, len, "%u", common);
	for (int i = 0; i < RT_PROBE_NUM && n < len; i++)
		if (periods[i] != common)
			n += (size_t)snprintf(buf + n, len - n, ",%s=%u",
					      probe_name(i), periods[i]);
	return n < len;
}

/* ---- the process's globals ----------------------------------------------- */

int sample_find_symbols(const char *path, uint64_t *period_vaddr,
			uint64_t *epoch_vaddr, uint64_t *first_vaddr)
{
	bool have_period = false, have_epoch = false, have_load = false;
	uint64_t period_size = 0;
	Elf_Scn *scn = NULL;
	size_t nph;
	int fd, err = 0;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &nph)) {
		err = -ENOEXEC;
		goto out;
	}
	/* the vaddr that file offset 0 maps to, from the first PT_LOAD */
	for (size_t i = 0; i < nph && !have_load; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
			*first_vaddr = (ph.p_vaddr - ph.p_offset) &
				       ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
			have_load = true;
		}
	}
	if (!have_load) {
		err = -ENOEXEC;
		goto out;
	}
	/* .symtab first (every symbol), then .dynsym (stripped binaries) */
	for (int pass = 0; pass < 2 && !(have_period && have_epoch); pass++) {
		Elf64_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;

		scn = NULL;
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;
			Elf_Data *data;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != want ||
			    !sh.sh_entsize)
				continue;
			data = elf_getdata(scn, NULL);
			for (size_t k = 0;
			     data && k < sh.sh_size / sh.sh_entsize; k++) {
				GElf_Sym sym;
				const char *name;

				if (!gelf_getsym(data, (int)k, &sym) ||
				    sym.st_shndx == SHN_UNDEF)
					continue;
				name = elf_strptr(e, sh.sh_link, sym.st_name);
				if (!name)
					continue;
				if (!strcmp(name, SYM_PERIOD)) {
					*period_vaddr = sym.st_value;
					period_size = sym.st_size;
					have_period = true;
				} else if (!strcmp(name, SYM_EPOCH)) {
					*epoch_vaddr = sym.st_value;
					have_epoch = true;
				}
			}
		}
	}
	if (!have_period || !have_epoch)
		err = -ENOENT;
	else if (period_size != RT_PROBE_NUM * sizeof(uint32_t))
		err = -EPROTO;
out:
	if (e)
		elf_end(e);
	close(fd);
	return err;
}

int sample_load_base(FILE *maps, const char *path, uint64_t *base)
{
	char line[PATH_MAX + 128], real[PATH_MAX];
	bool found = false, have_real;
	struct stat st;
	bool have_st = stat(path, &st) == 0;

	have_real = realpath(path, real) != NULL;
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		char *file;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu %n", &start,
			   &end, &off, &maj, &min, &ino, &pos) < 6 ||
		    off != 0 || !pos)
			continue;
		file = line + pos;
		file[strcspn(file, "\n")] = '\0';
		if (!((have_st && ino == st.st_ino && maj == major(st.st_dev) &&
		       min == minor(st.st_dev)) ||
		      (have_real && !strcmp(file, real))))
			continue;
		if (!found || start < *base)
			*base = start;
		found = true;
	}
	return found ? 0 : -ENOENT;
}

int sample_locate(pid_t pid, const char *path, struct sample_target *t)
{
	uint64_t period, epoch, first, base;
	char maps_path[64];
	FILE *maps;
	int err;

	err = sample_find_symbols(path, &period, &epoch, &first);
	if (err)
		return err;
	snprintf(maps_path, sizeof(maps_path), "/proc/%d/maps", (int)pid);
	maps = fopen(maps_path, "re");
	if (!maps)
		return -errno;
	err = sample_load_base(maps, path, &base);
	fclose(maps);
	if (err)
		return -ESRCH; /* pid does not run path */
	t->period_addr = base - first + period;
	t->epoch_addr = base - first + epoch;
	return 0;
}

/* ---- a session ----------------------------------------------------------- */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * write_mem writes len bytes at addr in the process: 0, -ESRCH once the
 * process has no memory left (it exited: /proc/PID/mem reads and writes
 * nothing then), or -errno.
 */
static int write_mem(struct sample_session *s, uint64_t addr, const void *buf,
		     size_t len)
{
	ssize_t n = pwrite(s->memfd, buf, len, (off_t)addr);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : n == 0 ? -ESRCH : -EIO;
}

static int read_mem(struct sample_session *s, uint64_t addr, void *buf,
		    size_t len)
{
	ssize_t n = pread(s->memfd, buf, len, (off_t)addr);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? -errno : n == 0 ? -ESRCH : -EIO;
}

static int bump_epoch(struct sample_session *s)
{
	uint32_t e;
	int err = read_mem(s, s->addr.epoch_addr, &e, sizeof(e));

	if (err)
		return err;
	e++;
	return write_mem(s, s->addr.epoch_addr, &e, sizeof(e));
}

/* set_periods writes p into the process and records them; the caller
 * holds s->lock or is alone. */
static int set_periods(struct sample_session *s, const uint32_t p[RT_PROBE_NUM])
{
	int err =
	    write_mem(s, s->addr.period_addr, p, RT_PROBE_NUM * sizeof(p[0]));

	if (err)
		return err;
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		if (p[i] != s->st.period[i])
			s->st.changes++;
		s->st.period[i] = p[i];
		if (p[i] > s->st.max_period[i])
			s->st.max_period[i] = p[i];
	}
	return 0;
}

/* record notes periods the process gets another way (the environment). */
static void record(struct sample_session *s, const uint32_t p[RT_PROBE_NUM])
{
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		s->st.period[i] = p[i];
		s->st.max_period[i] = p[i];
	}
}

static void cannot_set(pid_t pid, int err)
{
	rt_errorf("cannot set sampling in PID %d: %s; every event fires (use "
		  "--sample off to say so)",
		  (int)pid,
		  err == -ESRCH ? "it does not map the traced executable"
				: strerror(-err));
}

void sample_prepare(struct sample_session *s, pid_t pid, const char *path,
		    bool from_exec, enum sample_mode mode, uint32_t period,
		    const bool pinned[RT_PROBE_NUM])
{
	uint32_t p[RT_PROBE_NUM];
	pthread_condattr_t ca;
	char mem[64];
	int err;

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	s->prepared = true;
	s->st.known = true;
	s->pid = pid;
	s->from_exec = from_exec;
	s->st.mode = mode;
	s->st.fixed_period = mode == SAMPLE_FIXED ? period : 1;
	memcpy(s->pinned, pinned, sizeof(s->pinned));
	for (int i = 0; i < RT_PROBE_NUM; i++)
		s->st.period[i] = s->st.max_period[i] = 1;

	err = sample_locate(pid, path, &s->addr);
	if (err == -ENOENT || err == -EPROTO) {
		/* an older librt: it fires every hit with no n to add */
		if (mode == SAMPLE_FIXED)
			rt_warnf("%s: %s; every event fires", path,
				 err == -ENOENT
				     ? "librt without sampling (no " SYM_PERIOD
				       ")"
				     : "librt of another probe list");
		else
			rt_notef("%s: librt cannot sample; every event fires",
				 path);
		return;
	}
	if (err) {
		if (mode != SAMPLE_OFF)
			cannot_set(pid, err);
		return;
	}
	s->st.available = true;
	if (mode == SAMPLE_FIXED)
		sample_fixed_periods(period, pinned, p);
	else
		sample_fixed_periods(1, pinned, p);
	/* a program rttrace starts reads --sample N from RT_PROBE_SAMPLE
	 * (trace.c) and starts at full otherwise: nothing to write unless
	 * auto is to change the periods later */
	if (from_exec && mode != SAMPLE_AUTO) {
		record(s, p);
		return;
	}
	snprintf(mem, sizeof(mem), "/proc/%d/mem", (int)pid);
	s->memfd = open(mem, O_RDWR | O_CLOEXEC);
	err = s->memfd < 0 ? -errno : 0;
	s->have_mem = !err;
	if (!err && !from_exec) {
		err = read_mem(s, s->addr.period_addr, s->saved,
			       sizeof(s->saved));
		s->restore = !err;
	}
	if (!err)
		err = set_periods(s, p);
	if (!err && !from_exec)
		err = bump_epoch(s);
	if (err) {
		s->st.failed = true;
		if (mode != SAMPLE_OFF)
			cannot_set(pid, err);
		if (s->have_mem)
			close(s->memfd);
		s->have_mem = false;
		s->restore = false;
		for (int i = 0; i < RT_PROBE_NUM; i++)
			s->st.period[i] = s->st.max_period[i] = 1;
	}
	s->st.changes = 0;
}

void sample_tick(struct sample_session *s, double now)
{
	uint64_t counts[RT_PROBE_NUM];
	uint32_t p[RT_PROBE_NUM];
	double rates[RT_PROBE_NUM], dt = now - s->last_ts;
	bool changed = false;
	int err;

	if (s->read(s->read_ctx, counts))
		return;
	for (int i = 0; i < RT_PROBE_NUM; i++) {
		rates[i] = dt > 0 && counts[i] >= s->last[i]
			       ? (counts[i] - s->last[i]) / dt
			       : 0;
		s->last[i] = counts[i];
	}
	s->last_ts = now;
	pthread_mutex_lock(&s->lock);
	sample_auto_periods(rates, s->st.period, s->pinned, p);
	for (int i = 0; i < RT_PROBE_NUM; i++)
		changed |= p[i] != s->st.period[i];
	err = changed ? set_periods(s, p) : 0;
	if (err) {
		/* gone (its exit is the wait loop's news), or refused */
		if (err != -ESRCH) {
			s->st.failed = true;
			cannot_set(s->pid, err);
		}
		s->stopping = true;
	}
	pthread_mutex_unlock(&s->lock);
}

static void *sample_thread(void *arg)
{
	struct sample_session *s = arg;
	/* the first ticks soon: a hot program's first 100 ms at full would
	 * cost it as much as the rest of a second's run */
	static const double first[] = {0.01, 0.02, 0.04};
	unsigned int k = 0;

	/* a helper: only what reading /proc needs (privilege.h) */
	privilege_drop_helper();
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		double delay = k < 3 ? first[k] : SAMPLE_TICK_S;
		double at = mono_s() + delay;
		struct timespec ts = {
		    .tv_sec = (time_t)at,
		    .tv_nsec = (long)((at - (time_t)at) * 1e9),
		};

		k++;
		while (!s->stopping &&
		       pthread_cond_timedwait(&s->wake, &s->lock, &ts) !=
			   ETIMEDOUT)
			;
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->lock);
		sample_tick(s, mono_s());
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

void sample_start(struct sample_session *s, sample_read_fn readfn, void *ctx)
{
	sigset_t all, old;
	int err;

	if (!s->have_mem)
		return;
	if (!s->from_exec) {
		err = bump_epoch(s);
		if (err && err != -ESRCH)
			cannot_set(s->pid, err);
	}
	if (s->st.mode != SAMPLE_AUTO)
		return;
	s->read = readfn;
	s->read_ctx = ctx;
	if (readfn(ctx, s->last))
		return;
	s->last_ts = mono_s();
	/* the signals are the main thread's: its waits end on Ctrl-C */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&s->thread, NULL, sample_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		rt_warnf("--sample auto: cannot start its thread: %s; the "
			 "periods stay as they are",
			 strerror(err));
		return;
	}
	s->running = true;
}

void sample_snapshot(struct sample_session *s, struct sample_state *out)
{
	if (!s->prepared) {
		*out = s->st; /* zeroed: nothing known */
		return;
	}
	pthread_mutex_lock(&s->lock);
	*out = s->st;
	pthread_mutex_unlock(&s->lock);
}

void sample_stop(struct sample_session *s)
{
	if (!s->running)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->running = false;
}

void sample_end(struct sample_session *s)
{
	sample_stop(s);
	if (s->have_mem) {
		/* an attached process goes on: leave its periods as found */
		if (s->restore)
			write_mem(s, s->addr.period_addr, s->saved,
				  sizeof(s->saved));
		close(s->memfd);
		s->have_mem = false;
	}
	if (s->prepared) {
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		s->prepared = false;
	}
}

/* ---- the report ---------------------------------------------------------- */

bool sample_sampled(const struct sample_state *st, int id)
{
	return st->known && st->available && !st->failed && id >= 0 &&
	       id < RT_PROBE_NUM && st->max_period[id] > 1;
}

/* shown_period is the period a report names: the one in force at the end,
 * or the largest if the probe ended at full. */
static uint32_t shown_period(const struct sample_state *st, int id)
{
	return st->period[id] > 1 ? st->period[id] : st->max_period[id];
}

const char *sample_hist_note(const struct sample_state *st, int id, char *buf,
			     size_t len)
{
	int opener = id;

	buf[0] = '\0';
	if (!st || !sample_sampled(st, id))
		return buf;
	/* a follower's samples are its openers' */
	if (id == RT_PROBE_ID_goready)
		opener = RT_PROBE_ID_gopark;
	else if (id == RT_PROBE_ID_selectgo_ret)
		opener = RT_PROBE_ID_selectgo;
	if (id == RT_PROBE_ID_gostart)
		snprintf(buf, len, " sampled (with gopark/newproc, 1 in %u)",
			 shown_period(st, id));
	else
		snprintf(buf, len, " sampled (%s 1 in %u)", probe_name(opener),
			 shown_period(st, opener));
	return buf;
}

void sample_hist_line(FILE *f, const struct sample_state *st, int id,
		      uint64_t samples)
{
	char note[64];

	if (st && sample_sampled(st, id))
		fprintf(f, "    %llu%s:\n", (unsigned long long)samples,
			sample_hist_note(st, id, note, sizeof(note)));
}

static const char *mode_name(const struct sample_state *st)
{
	switch (st->mode) {
	case SAMPLE_OFF:
		return "off";
	case SAMPLE_FIXED:
		return "fixed";
	default:
		return "auto";
	}
}

/* any_sampled: only a sampled probe leaves events unreported */
static bool any_sampled(const struct sample_state *st)
{
	for (int id = 0; id < RT_PROBE_NUM; id++)
		if (sample_sampled(st, id))
			return true;
	return false;
}

/* print_list prints after lead the names of the probes sampled or not
 * (want), followers or not (follow), with their periods if asked; returns
 * how many. */
static int print_list(FILE *f, const struct sample_state *st, bool want,
		      bool follow, const char *lead, bool periods)
{
	int n = 0;

	for (int id = 0; id < RT_PROBE_NUM; id++) {
		if (sample_sampled(st, id) != want ||
		    (sample_role(id) == SAMPLE_ROLE_FOLLOW) != follow ||
		    id == RT_PROBE_ID_probe_flush)
			continue;
		fprintf(f, "%s%s", n ? ", " : lead, probe_name(id));
		if (periods) {
			fprintf(f, " 1 in %u", shown_period(st, id));
			if (st->period[id] > 1 &&
			    st->period[id] != st->max_period[id])
				fprintf(f, " (up to %u)", st->max_period[id]);
		}
		n++;
	}
	return n;
}

void sample_print(FILE *f, const struct sample_state *st, const char *inexact)
{
	if (!st->known)
		return;
	if (st->mode == SAMPLE_FIXED)
		fprintf(f, "\nsampling: 1 in %u", st->fixed_period);
	else
		fprintf(f, "\nsampling: %s", mode_name(st));
	if (!st->available || st->failed) {
		fprintf(f, " — %s: every event fired\n",
			!st->available ? "librt in this program cannot sample"
				       : "the periods could not be set");
		return;
	}
	if (!any_sampled(st)) {
		fprintf(f, " — no probe sampled: every event fired\n");
		return;
	}
	if (st->mode == SAMPLE_FIXED) {
		/* most are sampled: name the others */
		fprintf(f, " — every probe");
		print_list(f, st, false, false, " but ", false);
		print_list(f, st, false, true, ", ", false);
	} else {
		print_list(f, st, true, false, " — ", true);
	}
	print_list(f, st, true, true, "; with their openers: ", false);
	fprintf(f, "\n  (histograms of sampled probes are samples, breakdowns "
		   "estimates; ");
	if (!inexact)
		fprintf(f, "per-probe totals exact)\n");
	else
		fprintf(f,
			"per-probe totals short by < 2 periods per thread: "
			"%s)\n",
			inexact);
}

void sample_json(struct json *j, const struct sample_state *st,
		 const char *inexact)
{
	if (!st->known)
		return;
	json_key(j, "sampling");
	json_object_begin(j);
	json_key(j, "mode");
	json_string(j, mode_name(st));
	if (st->mode == SAMPLE_FIXED) {
		json_key(j, "period");
		json_uint(j, st->fixed_period);
	}
	json_key(j, "available");
	json_bool(j, st->available && !st->failed);
	json_key(j, "totals_exact");
	json_bool(j, !inexact || !any_sampled(st));
	if (st->mode == SAMPLE_AUTO) {
		json_key(j, "period_changes");
		json_uint(j, st->changes);
	}
	/* not "probes": readers look that key up as the report's table */
	json_key(j, "by_probe");
	json_object_begin(j);
	for (int id = 0; id < RT_PROBE_NUM; id++) {
		bool ok = st->available && !st->failed;

		json_key(j, probe_name(id));
		json_object_begin(j);
		json_key(j, "period");
		json_uint(j, ok ? st->period[id] : 1);
		json_key(j, "max_period");
		json_uint(j, ok ? st->max_period[id] : 1);
		json_key(j, "histograms_sampled");
		json_bool(j, sample_sampled(st, id));
		json_object_end(j);
	}
	json_object_end(j);
	json_object_end(j);
}
