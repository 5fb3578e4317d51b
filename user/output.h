/*
 * output.h — the one way rttrace writes a file it was asked for
 * (--flamegraph, --folded, --pprof, --timeline, report --html): never half
 * a file, never through a symlink someone planted at the name, owned by
 * the user behind sudo. output.c explains how.
 *
 *	struct output out;
 *
 *	if (output_open(&out, path))        // the temporary, in path's dir
 *		return -EIO;                // (it printed why)
 *	fputs("...", output_stream(&out));  // or write(out.fd, ...)
 *	return output_commit(&out);         // renamed over path, or removed
 */
#ifndef RTTRACE_OUTPUT_H
#define RTTRACE_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

struct output {
	char *path;   /* the destination, as the user wrote it */
	int dirfd;    /* its directory, opened once: every step is relative */
	char *name;   /* its last component */
	char tmp[64]; /* the temporary's name in dirfd; "" while it has none */
	int fd;	      /* the temporary (or the device written in place) */
	FILE *f;      /* output_stream's stream on fd, or NULL */
	bool direct;  /* a character device or FIFO: written in place */
	bool open;    /* between output_open and output_commit/abort */
};

/*
 * output_named_only makes every temporary a named one, as on filesystems
 * without O_TMPFILE; for the unit tests (tests/test_user_output.c).
 */
extern bool output_named_only;

/*
 * output_check tells, before any work is done, whether path can be
 * written: its directory exists, is a directory and is writable, and path
 * is not a directory, a socket or a block device. 0, or -errno with *why
 * set to a phrase for the one-line message; nothing is created.
 */
int output_check(const char *path, const char **why);

/*
 * output_open prepares to write path: refuses a directory, a socket or
 * a block device, and opens a temporary file beside it (a device or a
 * FIFO, /dev/null or a pipe, is opened in place). Returns 0, or -errno
 * after printing "cannot write PATH: why" on stderr.
 */
int output_open(struct output *o, const char *path);

/* output_stream is a stdio stream on o's file (made on first call), or
 * NULL (out of memory) after printing why. */
FILE *output_stream(struct output *o);

/*
 * output_commit finishes o: flushes the stream, gives the file to the
 * invoking user under sudo, and renames it over the destination, which
 * it replaces whatever it was (a file, a symlink: the link is replaced,
 * its target untouched). On any error the temporary is removed and the
 * destination left as it was. Returns 0, or -errno after printing
 * "cannot write PATH: why". o is closed either way.
 */
int output_commit(struct output *o);

/* output_abort removes o's temporary and closes it; the destination is
 * left as it was. Harmless on a zeroed, committed or aborted o. */
void output_abort(struct output *o);

#endif /* RTTRACE_OUTPUT_H */
