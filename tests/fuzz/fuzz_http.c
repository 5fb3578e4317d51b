/* fuzz_http: http_parse_request, each --serve scrape's request line and
 * headers, from the network (user/http.c). A request it takes is a GET or
 * HEAD of HTTP/1.x whose path holds no query; anything else is 400 or
 * 405, never a crash or a read past the request. */
#include <assert.h>

#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct http_request r;
	int code = http_parse_request(s, &r);

	assert(code == 0 || code == 400 || code == 405);
	if (code == 0) {
		assert(strcmp(r.method, "GET") == 0 ||
		       strcmp(r.method, "HEAD") == 0);
		assert(r.head == (strcmp(r.method, "HEAD") == 0));
		assert(strncmp(r.version, "HTTP/1.", 7) == 0);
		assert(!strchr(r.path, '?'));
		assert(strlen(r.path) < sizeof(r.path));
	}
	free(s);
	return 0;
}
