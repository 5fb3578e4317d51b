/*
 * rtt_held.h — what an rttrace process holds in the kernel, read from
 * outside, for the integration tests that check nothing of it stays
 * loaded once it ended (test_faults.c, test_limits.c): the ids of its BPF
 * programs and links from /proc/PID/fdinfo, its perf events, and
 * `bpftool prog/link show`. Include after rtt_cmd.h.
 */
#ifndef RTT_HELD_H
#define RTT_HELD_H

#include <dirent.h>
#include <time.h>

#define MAX_IDS 512

static inline double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- what a process holds in the kernel --------------------------------- */

struct held {
	unsigned int prog[MAX_IDS], link[MAX_IDS];
	int nprog, nlink, nperf;
};

static inline void held_add(unsigned int *ids, int *n, unsigned int id)
{
	for (int i = 0; i < *n; i++)
		if (ids[i] == id)
			return;
	if (*n < MAX_IDS)
		ids[(*n)++] = id;
}

/*
 * held_scan adds to h the BPF programs and links pid has open (their ids,
 * from /proc/PID/fdinfo) and counts its perf events. Returns false once
 * pid is gone.
 */
static inline bool held_scan(pid_t pid, struct held *h)
{
	char dir[64], path[320], target[128], line[128];
	struct dirent *de;
	DIR *d;
	int perf = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		ssize_t n;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (strstr(target, "perf_event"))
			perf++;
		if (!strstr(target, "bpf-prog") && !strstr(target, "bpf_link"))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned int id;

			if (sscanf(line, "prog_id: %u", &id) == 1 &&
			    strstr(target, "bpf-prog"))
				held_add(h->prog, &h->nprog, id);
			else if (sscanf(line, "link_id: %u", &id) == 1)
				held_add(h->link, &h->nlink, id);
		}
		fclose(f);
	}
	closedir(d);
	if (perf > h->nperf)
		h->nperf = perf;
	return true;
}

/* bpftool_has says whether `bpftool -j KIND show` lists one of ids;
 * *which gets it. */
static inline bool bpftool_has(const char *kind, const unsigned int *ids, int n,
			       unsigned int *which)
{
	char *argv[] = {"/usr/sbin/bpftool", "-j", (char *)kind, "show", NULL};
	struct run r = run_cmd(argv, false);
	bool found = false;

	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		      "bpftool %s show failed:\n%s", kind, r.err);
	for (const char *p = r.out; !found && (p = strstr(p, "{\"id\":"));
	     p++) {
		unsigned int id = (unsigned int)strtoul(p + 6, NULL, 10);

		for (int i = 0; i < n; i++)
			if (ids[i] == id) {
				*which = id;
				found = true;
			}
	}
	run_free(&r);
	return found;
}

/*
 * check_released waits (10 s at most: links and programs are freed after
 * RCU grace periods) until none of h's programs and links is loaded.
 */
static inline void check_released(const struct held *h)
{
	unsigned int id = 0;
	bool prog = true, link = true;

	for (double t0 = mono_s(); mono_s() - t0 < 10;) {
		prog = bpftool_has("prog", h->prog, h->nprog, &id);
		link = !prog && bpftool_has("link", h->link, h->nlink, &id);
		if (!prog && !link)
			return;
		sleep_ms(100);
	}
	ck_abort_msg("10 s after rttrace ended, bpftool still shows its %s "
		     "%u",
		     prog ? "program" : "link", id);
}

/* check_no_uprobe_events checks that tracefs (if mounted) has no uprobe
 * event on path: uprobe_multi links make none, and must leave none. */
static inline void check_no_uprobe_events(const char *path)
{
	const char *files[] = {"/sys/kernel/tracing/uprobe_events",
			       "/sys/kernel/debug/tracing/uprobe_events"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int fd = open(files[i], O_RDONLY);
		char buf[65536];
		ssize_t n;

		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		ck_assert_msg(strstr(buf, path) == NULL,
			      "%s still names %s:\n%s", files[i], path, buf);
	}
}

#endif /* RTT_HELD_H */
