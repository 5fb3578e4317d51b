/*
 * fuzz.h — what the libFuzzer targets of tests/fuzz/ share: the input as
 * a NUL-terminated string (command-line arguments and environment
 * variables are C strings), as a FILE (files read back), or as a file
 * on disk (ELF files of other programs).
 */
#ifndef RTTRACE_FUZZ_H
#define RTTRACE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_str is data as a malloc'ed C string, cut at its first NUL as
 * argv and the environment would. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* fuzz_file writes data to a fresh file in $TMPDIR (or /tmp) and returns
 * its path, in path; the caller unlinks it. */
static inline void fuzz_file(const uint8_t *data, size_t size, char *path,
			     size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, len, "%s/rttrace-fuzz-XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

#endif /* RTTRACE_FUZZ_H */
