/*
 * hist.c — log2 histogram printing. The layout is the one runqlat and
 * biolatency print, so people who read those read this:
 *
 *      usecs               : count    distribution
 *          0 -> 1          : 3        |** | 2 -> 3          : 57
 * |****************************************|
 */
#include "hist.h"

#define STARS_MAX 40

void hist_add_percpu(struct log2_hist *h, const struct hist *cpu)
{
	for (int i = 0; i < MAX_SLOTS; i++)
		h->slots[i] += cpu->slots[i];
	h->count += cpu->count;
	h->total_ns += cpu->total_ns;
	if (cpu->max > h->max)
		h->max = cpu->max;
}

void hist_sub(struct log2_hist *d, const struct log2_hist *now,
	      const struct log2_hist *prev)
{
	for (int i = 0; i < MAX_SLOTS; i++)
		d->slots[i] = now->slots[i] - prev->slots[i];
	d->count = now->count - prev->count;
	d->total_ns = now->total_ns - prev->total_ns;
	d->max = now->max;
}

/* slot_bounds gives slot i's inclusive range; slot 0 also holds 0. */
static void slot_bounds(int i, uint64_t *low, uint64_t *high)
{
	*high = (2ULL << i) - 1;
	*low = i == 0 ? 0 : 1ULL << i;
}

static int last_used_slot(const struct log2_hist *h)
{
	int last = -1;

	for (int i = 0; i < MAX_SLOTS; i++)
		if (h->slots[i])
			last = i;
	return last;
}

static void print_stars(FILE *f, uint64_t val, uint64_t val_max, int width)
{
	int n = val_max ? (int)((double)val * width / val_max) : 0;

	for (int i = 0; i < width; i++)
		fputc(i < n ? '*' : ' ', f);
}

void hist_print(FILE *f, const struct log2_hist *h, const char *val_type)
{
	int last = last_used_slot(h);
	uint64_t low, high, val_max = 0;
	int width;

	if (last < 0)
		return;
	for (int i = 0; i <= last; i++)
		if (h->slots[i] > val_max)
			val_max = h->slots[i];

	/* bounds widen past 32 slots, as libbpf-tools' print_log2_hist does */
	width = last < 32 ? 10 : 20;
	fprintf(f, "%*s%-*s : count    distribution\n", width - 5, "",
		width + 9, val_type);
	for (int i = 0; i <= last; i++) {
		slot_bounds(i, &low, &high);
		fprintf(f, "%*llu -> %-*llu : %-8llu |", width,
			(unsigned long long)low, width,
			(unsigned long long)high,
			(unsigned long long)h->slots[i]);
		print_stars(f, h->slots[i], val_max, STARS_MAX);
		fputs("|\n", f);
	}
}

void hist_json(struct json *j, const struct log2_hist *h, const char *val_type)
{
	int last = last_used_slot(h);
	uint64_t low, high;

	json_object_begin(j);
	json_key(j, "count");
	json_uint(j, h->count);
	json_key(j, "total_ns");
	json_uint(j, h->total_ns);
	json_key(j, "max");
	json_uint(j, h->max);
	json_key(j, "mean_ns");
	json_double(j, h->count ? (double)h->total_ns / h->count : 0.0);
	json_key(j, "unit");
	json_string(j, val_type);
	json_key(j, "buckets");
	json_array_begin(j);
	for (int i = 0; i <= last; i++) {
		slot_bounds(i, &low, &high);
		json_object_begin(j);
		json_key(j, "low");
		json_uint(j, low);
		json_key(j, "high");
		json_uint(j, high);
		json_key(j, "count");
		json_uint(j, h->slots[i]);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}
