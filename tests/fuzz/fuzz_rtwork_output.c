/* fuzz_rtwork_output: run_parse_bench_line and run_parse_rtwork_json,
 * rtwork's stdout read back by `rttrace run` (user/run_output.c). Both
 * take any text: what they fill stays within its fields and counts. */
#include <assert.h>

#include "fuzz.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct variant_run *v = calloc(1, sizeof(*v));

	if (!v)
		abort();
	if (run_parse_bench_line(s, v)) {
		assert(v->nm > 0 && v->nm <= MAX_METRICS);
		assert(strlen(v->line) < sizeof(v->line));
		assert(strlen(v->name) < sizeof(v->name));
		for (int i = 0; i < v->nm; i++)
			assert(strlen(v->m[i].unit) < sizeof(v->m[i].unit));
	}
	if (run_parse_rtwork_json(s, v)) {
		assert(v->nfig >= 0 && v->nfig <= MAX_METRICS);
		assert(strlen(v->mechanism) < sizeof(v->mechanism));
		assert(strlen(v->rule_metric) < sizeof(v->rule_metric));
	}
	free(v);
	free(s);
	return 0;
}
