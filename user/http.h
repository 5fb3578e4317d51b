/*
 * http.h — what `--serve` reads from outside: its listen address (the
 * command line) and each scrape's HTTP request (the network). Pure
 * functions of a string, apart from the server (serve.c) so that their
 * fuzz targets (tests/fuzz/fuzz_http.c, fuzz_serve_addr.c) link them
 * without the tracer.
 */
#ifndef RTTRACE_HTTP_H
#define RTTRACE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* The port when ADDR has none: the OpenTelemetry Prometheus exporter's. */
#define SERVE_DEFAULT_PORT "9464"

/*
 * serve_parse_addr splits addr into host and port: "127.0.0.1:9464",
 * "[::1]:9464", "localhost:9464", ":9464" (every interface), or a host
 * or an IPv4/IPv6 literal alone ("::1", "127.0.0.1"), which takes
 * SERVE_DEFAULT_PORT. host is "" for every interface. Returns 0, or
 * -EINVAL for a malformed address or a port outside 0..65535.
 */
int serve_parse_addr(const char *addr, char *host, size_t hostlen, char *port,
		     size_t portlen);

/* One request, as much of it as the server needs. */
struct http_request {
	char method[16];
	char path[1024];  /* the target without its query */
	char version[16]; /* "HTTP/1.x" */
	bool head;	  /* HEAD: headers only */
	bool openmetrics; /* Accept ranks OpenMetrics above text */
};

/*
 * http_parse_request reads the NUL-terminated request line and headers
 * in req into *r. Returns 0 for a GET or HEAD, 405 for another method,
 * 400 for anything that is not an HTTP/1.x request line.
 */
int http_parse_request(const char *req, struct http_request *r);

#endif /* RTTRACE_HTTP_H */
