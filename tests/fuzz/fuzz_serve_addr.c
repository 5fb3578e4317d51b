/* fuzz_serve_addr: serve_parse_addr, --serve ADDR (user/http.c). An
 * address it takes has a decimal port in 0..65535 and a host that fits;
 * a host without a colon, given back with that port, parses the same. */
#include <assert.h>
#include <errno.h>

#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	char host[256], port[16], host2[256], port2[16], again[300];
	char *end;
	long n;
	int err = serve_parse_addr(s, host, sizeof(host), port, sizeof(port));

	assert(err == 0 || err == -EINVAL);
	if (err == 0) {
		n = strtol(port, &end, 10);
		assert(*port && !*end && n >= 0 && n <= 65535);
		assert(strlen(host) < sizeof(host));
		if (!strchr(host, ':') && !strchr(host, '[')) {
			snprintf(again, sizeof(again), "%s:%s", host, port);
			assert(serve_parse_addr(again, host2, sizeof(host2),
						port2, sizeof(port2)) == 0);
			assert(strcmp(host, host2) == 0);
			assert(strcmp(port, port2) == 0);
		}
	}
	free(s);
	return 0;
}
