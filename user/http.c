/*
 * http.c — `--serve`'s listen address and request parsing (see http.h):
 * everything the server takes from the command line or the network
 * before it reads a map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

int serve_parse_addr(const char *addr, char *host, size_t hostlen, char *port,
		     size_t portlen)
{
	const char *h = addr, *p = NULL, *colon;
	size_t hl;
	char *end;
	long n;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (!close || close == addr + 1)
			return -EINVAL;
		h = addr + 1;
		hl = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1])
			return -EINVAL;
	} else if ((colon = strchr(addr, ':')) && strchr(colon + 1, ':')) {
		/* two colons and no brackets: an IPv6 literal alone */
		hl = strlen(addr);
	} else if (colon) {
		hl = (size_t)(colon - addr);
		p = colon + 1;
	} else {
		hl = strlen(addr);
	}
	if (hl >= hostlen)
		return -EINVAL;
	snprintf(host, hostlen, "%.*s", (int)hl, h);
	if (!p) {
		snprintf(port, portlen, "%s", SERVE_DEFAULT_PORT);
		return 0;
	}
	errno = 0;
	n = strtol(p, &end, 10);
	if (!*p || *end || errno || n < 0 || n > 65535 || *p == '-' ||
	    *p == '+')
		return -EINVAL;
	snprintf(port, portlen, "%ld", n);
	return 0;
}

/*
 * accept_q returns the highest q the Accept header value gives a media
 * range that matches type ("application/openmetrics-text"), or -1 when
 * none does; wildcards count only when wild.
 */
static double accept_q(const char *accept, const char *type, bool wild)
{
	double best = -1;
	const char *p = accept;

	while (*p) {
		const char *end = strchrnul(p, ','), *semi, *q;
		size_t n;
		double qv = 1;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		semi = memchr(p, ';', (size_t)(end - p));
		n = (size_t)((semi ? semi : end) - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		for (q = semi; q && q < end;
		     q = memchr(q + 1, ';', end - q - 1)) {
			const char *v = q + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
				qv = strtod(v + 2, NULL);
		}
		if ((n == strlen(type) && strncasecmp(p, type, n) == 0) ||
		    (wild && n == 3 && strncmp(p, "*/*", 3) == 0))
			if (qv > best)
				best = qv;
		p = *end ? end + 1 : end;
	}
	return best;
}

/*
 * wants_openmetrics: the client ranks OpenMetrics above the text format
 * (Prometheus sends "application/openmetrics-text;version=1.0.0,…,
 * text/plain;version=0.0.4;q=0.5,…").
 */
static bool wants_openmetrics(const char *accept)
{
	double om, text;

	if (!accept)
		return false;
	om = accept_q(accept, "application/openmetrics-text", false);
	text = accept_q(accept, "text/plain", true);
	return om > 0 && om >= text;
}

/* header_value finds header name's value in the request's headers. */
static const char *header_value(const char *headers, const char *name,
				char *out, size_t len)
{
	size_t nl = strlen(name);

	for (const char *line = headers; line && *line;) {
		const char *eol = strchr(line, '\n');

		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			size_t n = (size_t)((eol ? eol : v + strlen(v)) - v);

			while (n && (*v == ' ' || *v == '\t'))
				v++, n--;
			while (n && (v[n - 1] == '\r' || v[n - 1] == ' '))
				n--;
			snprintf(out, len, "%.*s", (int)n, v);
			return out;
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

int http_parse_request(const char *req, struct http_request *r)
{
	char accept[512];
	const char *headers;
	char *q;

	memset(r, 0, sizeof(*r));
	if (sscanf(req, "%15s %1023s %15s", r->method, r->path, r->version) !=
		3 ||
	    strncmp(r->version, "HTTP/1.", 7))
		return 400;
	r->head = strcmp(r->method, "HEAD") == 0;
	if (!r->head && strcmp(r->method, "GET"))
		return 405;
	q = strchr(r->path, '?');
	if (q)
		*q = 0;
	headers = strchr(req, '\n');
	headers = headers ? headers + 1 : req + strlen(req);
	r->openmetrics = wants_openmetrics(
	    header_value(headers, "Accept", accept, sizeof(accept)));
	return 0;
}
