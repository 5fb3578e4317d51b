/*
 * xml_check.h — a small well-formedness check of the SVG files rttrace
 * writes, for the flamegraph tests (no XML library in the test deps):
 * every element closed in order, attribute values quoted, no bare '<' or
 * '&' in character data, CDATA sections and the declaration skipped.
 * Not a full XML parser: enough to catch a name written unescaped or a
 * tag left open.
 */
#ifndef RTT_XML_CHECK_H
#define RTT_XML_CHECK_H

#include <stdio.h>
#include <string.h>

#define XML_MAX_DEPTH 64

/* xml_entity_ok says whether s (at '&') starts a known entity. */
static inline int xml_entity_ok(const char *s)
{
	static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;",
					   "&apos;"};

	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (strncmp(s, ents[i], strlen(ents[i])) == 0)
			return 1;
	return s[1] == '#';
}

/*
 * xml_check returns NULL if doc is well-formed as above, else a message
 * (in a static buffer) saying what and where. *elements counts the
 * elements seen.
 */
static inline const char *xml_check(const char *doc, long *elements)
{
	static char msg[256];
	char stack[XML_MAX_DEPTH][32];
	int depth = 0;
	const char *p = doc;

	*elements = 0;
	while (*p) {
		if (*p == '&') {
			if (!xml_entity_ok(p)) {
				snprintf(msg, sizeof(msg),
					 "bare '&' at offset %ld: %.30s",
					 (long)(p - doc), p);
				return msg;
			}
			p++;
			continue;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		if (strncmp(p, "<?", 2) == 0) {
			const char *e = strstr(p, "?>");

			if (!e)
				return "unterminated <?";
			p = e + 2;
			continue;
		}
		if (strncmp(p, "<![CDATA[", 9) == 0) {
			const char *e = strstr(p, "]]>");

			if (!e)
				return "unterminated CDATA";
			p = e + 3;
			continue;
		}
		if (strncmp(p, "<!--", 4) == 0) {
			const char *e = strstr(p, "-->");

			if (!e)
				return "unterminated comment";
			p = e + 3;
			continue;
		}
		if (p[1] == '/') {
			size_t n = strcspn(p + 2, ">");

			if (!depth || n != strlen(stack[depth - 1]) ||
			    strncmp(p + 2, stack[depth - 1], n) != 0) {
				snprintf(msg, sizeof(msg),
					 "</%.*s> does not close <%s> at "
					 "offset %ld",
					 (int)n, p + 2,
					 depth ? stack[depth - 1] : "(none)",
					 (long)(p - doc));
				return msg;
			}
			depth--;
			p += 2 + n + 1;
			continue;
		}
		/* a start tag: name, then attributes with quoted values */
		{
			size_t n = strcspn(p + 1, " \t\n/>");
			const char *q = p + 1 + n;
			char quote = 0;

			if (n == 0 || n >= sizeof(stack[0])) {
				snprintf(msg, sizeof(msg),
					 "bad tag at offset %ld: %.30s",
					 (long)(p - doc), p);
				return msg;
			}
			for (; *q && (quote || *q != '>'); q++) {
				if (quote) {
					if (*q == quote)
						quote = 0;
					else if (*q == '<')
						return "'<' in an attribute";
					else if (*q == '&' && !xml_entity_ok(q))
						return "bare '&' in an "
						       "attribute";
				} else if (*q == '"' || *q == '\'') {
					if (q[-1] != '=')
						return "quote not after '='";
					quote = *q;
				} else if (*q == '=' && q[1] != '"' &&
					   q[1] != '\'') {
					return "unquoted attribute value";
				}
			}
			if (!*q)
				return "unterminated tag";
			(*elements)++;
			if (q[-1] != '/') {
				if (depth == XML_MAX_DEPTH)
					return "too deep";
				memcpy(stack[depth], p + 1, n);
				stack[depth++][n] = '\0';
			}
			p = q + 1;
		}
	}
	if (depth) {
		snprintf(msg, sizeof(msg), "<%s> never closed",
			 stack[depth - 1]);
		return msg;
	}
	return NULL;
}

/*
 * svg_frame_fill finds the frame whose hover title starts with name and
 * " (" and reads its fill; returns 1 if found.
 */
static inline int svg_frame_fill(const char *svg, const char *name, int rgb[3])
{
	char pat[512];
	const char *p, *f;

	snprintf(pat, sizeof(pat), "<title>%s (", name);
	p = strstr(svg, pat);
	if (!p)
		return 0;
	f = strstr(p, "fill=\"rgb(");
	return f && sscanf(f, "fill=\"rgb(%d,%d,%d)", &rgb[0], &rgb[1],
			   &rgb[2]) == 3;
}

#endif /* RTT_XML_CHECK_H */
