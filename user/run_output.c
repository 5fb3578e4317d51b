/*
 * run_output.c — reading rtwork's output back (run.h): the traced run's
 * benchmark line and the untraced run's JSON result. Apart from run.c so
 * that their fuzz target (tests/fuzz/fuzz_rtwork_output.c) links them
 * without the tracer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

bool run_parse_bench_line(const char *s, struct variant_run *v)
{
	const char *p = strstr(s, "Benchmark");
	const char *eol;
	char *end;
	int used;

	if (!p)
		return false;
	eol = strchrnul(p, '\n');
	snprintf(v->line, sizeof(v->line), "%.*s", (int)(eol - p), p);
	p = v->line;
	if (sscanf(p, "%127s %lld%n", v->name, &v->n, &used) != 2)
		return false;
	p += used;
	v->nm = 0;
	while (v->nm < MAX_METRICS) {
		struct metric *m = &v->m[v->nm];
		double val = strtod(p, &end);

		if (end == p || sscanf(end, " %31s%n", m->unit, &used) != 1)
			break;
		m->value = val;
		p = end + used;
		v->nm++;
	}
	return v->nm > 0;
}

/* json_at finds `"key": ` in [s, end) and returns the value after it. */
static const char *json_at(const char *s, const char *key)
{
	char pat[80];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(s, pat);
	return p ? p + strlen(pat) : NULL;
}

/* json_str copies the string value at p (after its key) into buf. */
static void json_str(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (!p || *p != '"')
		return;
	for (p++; *p && *p != '"' && n + 1 < len; p++) {
		if (*p == '\\' && p[1])
			p++;
		buf[n++] = *p;
	}
	buf[n] = '\0';
}

/* json_num reads the number at p; NAN for null or nothing. */
static double json_num(const char *p)
{
	char *end;
	double v;

	if (!p)
		return NAN;
	v = strtod(p, &end);
	return end == p ? NAN : v;
}

bool run_parse_rtwork_json(const char *s, struct variant_run *v)
{
	const char *res = s ? json_at(s, "results") : NULL;
	const char *fig, *rule;

	if (!res || !json_at(res, "ns_per_op"))
		return false;
	v->ns_op = json_num(json_at(res, "ns_per_op"));
	v->seed_ratio = json_num(json_at(res, "seed_ratio"));
	json_str(json_at(res, "mechanism"), v->mechanism, sizeof(v->mechanism));
	rule = json_at(res, "rule");
	if (rule) {
		json_str(json_at(rule, "metric"), v->rule_metric,
			 sizeof(v->rule_metric));
		v->higher_is_worse =
		    strncmp(json_at(rule, "higher_is_worse") ?: "true", "true",
			    4) == 0;
	}
	fig = json_at(res, "figures");
	v->nfig = 0;
	if (fig && *fig == '{') {
		const char *p = fig + 1;

		while (v->nfig < MAX_METRICS && *p == '"') {
			struct metric *m = &v->fig[v->nfig];
			char *end;

			json_str(p, m->unit, sizeof(m->unit));
			p = strchr(p + 1, '"');
			if (!p || strncmp(p, "\": ", 3))
				break;
			m->value = strtod(p + 3, &end);
			v->nfig++;
			p = end;
			if (strncmp(p, ", ", 2))
				break;
			p += 2;
		}
	}
	return true;
}
