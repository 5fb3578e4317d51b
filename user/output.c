/*
 * output.c — every file rttrace writes for the user, written one way.
 *
 * rttrace runs as root and writes where it is told, often /tmp or a
 * directory other users can write. Three things must hold there:
 *
 *  1. No partial file. The content goes to a temporary file in the
 *     destination's directory (same filesystem), renamed over the
 *     destination once it is complete, so a reader sees the old file or
 *     the new one, never half of one, and a failed or interrupted write
 *     leaves the destination as it was. The temporary is an O_TMPFILE
 *     (no name at all until it is complete, so not even kill -9 leaves
 *     one behind), linked under a random hidden name just before the
 *     rename; on filesystems without O_TMPFILE it is a named
 *     ".NAME.XXXXXXXX~" made with O_EXCL, removed on every error path,
 *     at exit and on a fatal signal (a SIGKILL, or a default-action
 *     signal, can leave it then).
 *
 *  2. No symlink followed. Someone who can write the directory may plant
 *     a symlink at the destination's name pointing at /etc/passwd. The
 *     temporary is created with O_EXCL|O_NOFOLLOW (or O_TMPFILE, which
 *     has no name to plant), and rename(2) replaces a symlink at the
 *     destination instead of following it: the link is gone, its target
 *     untouched. The one exception is writing to a device or a FIFO
 *     (/dev/null, /dev/stdout, a named pipe), or through a link to
 *     rttrace's own stdout or stderr (/dev/stdout redirected to a file:
 *     the descriptor is shared, never the /dev/stdout link replaced),
 *     which is written in place rather than replaced, and only when the
 *     symlink or FIFO can be
 *     trusted: its directory is not world-writable, or it belongs to
 *     the directory's owner, to rttrace or to the invoking user (the
 *     kernel's fs.protected_symlinks rule, applied whatever the sysctl).
 *     A symlink to a regular file is always replaced. The directory
 *     itself is opened once and every step is relative to it, so it
 *     cannot be swapped between creating and renaming; symlinks in the
 *     directory part of the path are the user's own choice of path and
 *     are followed (the kernel's protected_symlinks guards sticky ones).
 *     A world-writable directory without the sticky bit is not refused:
 *     nothing in this scheme resolves a name another user controls,
 *     whatever the directory's mode.
 *
 *  3. The invoking user's file. Under sudo the file is given (fchown on
 *     the descriptor, never on a path) to SUDO_UID:SUDO_GID before it
 *     gets its name, mode 0644 less the umask.
 *
 * No fsync: the guarantee is about rttrace failing or being interrupted,
 * not about the machine losing power; a trace can be taken again, and an
 * fsync of a large timeline would cost seconds on a busy disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "privilege.h"
#include "rttrace.h"

/* ---- named temporaries, removed on the way out ------------------------- */

/*
 * The outputs whose temporary has a name right now: at most a few at once
 * (the timeline is open during the whole trace, the others are written one
 * by one). Read by a signal handler: only unlinkat on fixed storage.
 */
#define OUTPUT_MAX_NAMED 16
static struct output *volatile named[OUTPUT_MAX_NAMED];

static void remove_named(void)
{
	for (int i = 0; i < OUTPUT_MAX_NAMED; i++) {
		struct output *o = named[i];

		if (o && o->tmp[0])
			unlinkat(o->dirfd, o->tmp, 0);
	}
}

static void fatal_signal(int sig)
{
	remove_named();
	/* SA_RESETHAND restored the default: die of it as before */
	raise(sig);
}

static void track(struct output *o)
{
	static bool hooked;

	if (!hooked) {
		static const int fatal[] = {SIGSEGV, SIGBUS, SIGABRT,
					    SIGILL,  SIGFPE, SIGHUP};
		struct sigaction sa = {.sa_handler = fatal_signal,
				       .sa_flags = SA_RESETHAND | SA_NODEFER};

		atexit(remove_named);
		for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
			struct sigaction old;

			/* leave a handler someone else installed alone */
			if (sigaction(fatal[i], NULL, &old) == 0 &&
			    old.sa_handler == SIG_DFL)
				sigaction(fatal[i], &sa, NULL);
		}
		hooked = true;
	}
	for (int i = 0; i < OUTPUT_MAX_NAMED; i++)
		if (!named[i]) {
			named[i] = o;
			return;
		}
	/* more than that at once: removed on the error paths only */
}

static void untrack(struct output *o)
{
	for (int i = 0; i < OUTPUT_MAX_NAMED; i++)
		if (named[i] == o)
			named[i] = NULL;
}

/* ---- opening ---------------------------------------------------------- */

bool output_named_only;

/* tmp_name makes a fresh hidden name for o's temporary beside o->name. */
static void tmp_name(struct output *o)
{
	unsigned int r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (unsigned int)(ts.tv_nsec ^ getpid() ^ (uintptr_t)o);
	}
	snprintf(o->tmp, sizeof(o->tmp), ".%.40s.%08x~", o->name, r);
}

/*
 * trusted tells whether node (a symlink or FIFO found at the destination,
 * in directory dir) may be used in place: see the top of this file.
 */
static bool trusted(const struct stat *node, const struct stat *dir)
{
	uid_t uid;
	gid_t gid;

	if (!(dir->st_mode & S_IWOTH))
		return true;
	if (node->st_uid == dir->st_uid || node->st_uid == geteuid())
		return true;
	return sudo_invoker(&uid, &gid) && node->st_uid == uid;
}

/*
 * own_stream is 1 or 2 when st is rttrace's own stdout or stderr (a
 * --folded /dev/stdout whose stdout is redirected to a file), else -1.
 */
static int own_stream(const struct stat *st)
{
	struct stat fs;

	for (int fd = 1; fd <= 2; fd++)
		if (fstat(fd, &fs) == 0 && fs.st_dev == st->st_dev &&
		    fs.st_ino == st->st_ino)
			return fd;
	return -1;
}

/*
 * open_direct opens the device or FIFO at o's name in place; own (1 or 2)
 * is rttrace's stdout or stderr, which the name leads to: shared (dup),
 * so that its offset and what rttrace printed there are kept.
 */
static int open_direct(struct output *o, int own)
{
	struct stat st;

	o->direct = true;
	if (own > 0) {
		o->fd = dup(own);
		return o->fd < 0 ? -errno : 0;
	}
	o->fd = openat(o->dirfd, o->name, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (o->fd < 0)
		return -errno;
	/* what was checked is what was opened: not swapped for a file */
	if (fstat(o->fd, &st) || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))
		return -EEXIST;
	return 0;
}

/* open_tmp creates o's temporary in its directory. */
static int open_tmp(struct output *o)
{
	if (!output_named_only) {
		o->fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
			       0644);
		if (o->fd >= 0)
			return 0;
		/* filesystems without O_TMPFILE say so in one of these ways */
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL &&
		    errno != ENOENT)
			return -errno;
	}
	for (int tries = 0; tries < 100; tries++) {
		tmp_name(o);
		o->fd = openat(
		    o->dirfd, o->tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (o->fd >= 0) {
			track(o);
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	o->tmp[0] = 0;
	return -errno;
}

/* open_dir opens the directory part of o->path into o->dirfd and sets
 * o->name; 0 or -errno, with *why set for the message. */
static int open_dir(struct output *o, const char **why)
{
	char *slash = strrchr(o->path, '/'), *dir;
	int err = 0;

	if (slash && !slash[1]) {
		*why = "a directory, not a file name";
		return -EISDIR;
	}
	o->name = strdup(slash ? slash + 1 : o->path);
	dir = slash ? strndup(o->path,
			      slash == o->path ? 1 : (size_t)(slash - o->path))
		    : strdup(".");
	if (!o->name || !dir) {
		free(dir);
		return -ENOMEM;
	}
	o->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0) {
		err = -errno;
		if (err == -ENOENT)
			*why = "its directory does not exist";
		else if (err == -ENOTDIR)
			*why = "its directory is not a directory";
	}
	free(dir);
	return err;
}

int output_check(const char *path, const char **why)
{
	struct output o = {.fd = -1, .dirfd = -1};
	struct stat st;
	int err;

	*why = NULL;
	if (!*path) {
		*why = "empty file name";
		return -EINVAL;
	}
	o.path = strdup(path);
	if (!o.path)
		return -ENOMEM;
	err = open_dir(&o, why);
	if (!err && faccessat(o.dirfd, ".", W_OK, AT_EACCESS))
		err = -errno;
	if (!err && fstatat(o.dirfd, o.name, &st, 0) == 0) {
		if (S_ISDIR(st.st_mode)) {
			*why = "it is a directory";
			err = -EISDIR;
		} else if (S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
			*why = "not a regular file, a character device or a "
			       "FIFO";
			err = -EINVAL;
		}
	}
	if (err && !*why)
		*why = strerror(-err);
	if (o.dirfd >= 0)
		close(o.dirfd);
	free(o.name);
	free(o.path);
	return err;
}

int output_open(struct output *o, const char *path)
{
	const char *why = NULL;
	struct stat st, dst, tst;
	int err;

	memset(o, 0, sizeof(*o));
	o->fd = o->dirfd = -1;
	o->path = strdup(path);
	if (!o->path) {
		rt_errorf("out of memory");
		return -ENOMEM;
	}
	if (!*path) {
		why = "empty file name";
		err = -EINVAL;
		goto fail;
	}
	err = open_dir(o, &why);
	if (err)
		goto fail;
	if (fstatat(o->dirfd, o->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (fstat(o->dirfd, &dst)) {
			err = -errno;
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			why = "it is a directory";
			err = -EISDIR;
			goto fail;
		}
		if (S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)) {
			why = "not a regular file, a character device or a "
			      "FIFO";
			err = -EINVAL;
			goto fail;
		}
		/* a device or FIFO, or a trusted link to one or to
		 * rttrace's own stdout or stderr: in place */
		if (((S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) &&
		     trusted(&st, &dst)) ||
		    (S_ISLNK(st.st_mode) && trusted(&st, &dst) &&
		     fstatat(o->dirfd, o->name, &tst, 0) == 0 &&
		     (S_ISCHR(tst.st_mode) || S_ISFIFO(tst.st_mode) ||
		      own_stream(&tst) > 0))) {
			err = open_direct(
			    o, S_ISLNK(st.st_mode) ? own_stream(&tst) : -1);
			if (err)
				goto fail;
			o->open = true;
			return 0;
		}
		/* anything else at the name (a file, a link) is replaced */
	} else if (errno != ENOENT) {
		err = -errno;
		goto fail;
	}
	err = open_tmp(o);
	if (err)
		goto fail;
	o->open = true;
	return 0;

fail:
	if (why)
		rt_errorf("cannot write %s: %s", path, why);
	else
		rt_errorf("cannot write %s: %s", path, strerror(-err));
	o->open = true;
	output_abort(o);
	return err;
}

FILE *output_stream(struct output *o)
{
	if (!o->f && o->open) {
		o->f = fdopen(o->fd, "w");
		if (!o->f)
			rt_errorf("cannot write %s: %s", o->path,
				  strerror(errno));
	}
	return o->f;
}

/* ---- committing ------------------------------------------------------- */

/* link_tmp gives o's unnamed (O_TMPFILE) temporary a hidden name. */
static int link_tmp(struct output *o)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
	for (int tries = 0; tries < 100; tries++) {
		tmp_name(o);
		track(o);
		if (linkat(AT_FDCWD, proc, o->dirfd, o->tmp,
			   AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno == EEXIST)
			continue;
		/* no /proc: the descriptor itself (CAP_DAC_READ_SEARCH) */
		if (errno == ENOENT &&
		    linkat(o->fd, "", o->dirfd, o->tmp, AT_EMPTY_PATH) == 0)
			return 0;
		break;
	}
	o->tmp[0] = 0;
	untrack(o);
	return -errno;
}

/* close_fd closes o's stream or descriptor; 0 or -errno. */
static int close_fd(struct output *o)
{
	int r;

	if (o->f) {
		r = fclose(o->f);
		o->f = NULL;
		o->fd = -1;
	} else if (o->fd >= 0) {
		r = close(o->fd);
		o->fd = -1;
	} else {
		return 0;
	}
	return r ? (errno ? -errno : -EIO) : 0;
}

int output_commit(struct output *o)
{
	uid_t uid;
	gid_t gid;
	int err = 0, cerr;

	if (!o->open)
		return -EBADF;
	if (o->f && (fflush(o->f) || ferror(o->f)))
		err = errno ? -errno : -EIO;
	if (!err && !o->direct) {
		if (sudo_invoker(&uid, &gid) && fchown(o->fd, uid, gid))
			err = -errno;
		if (!err && !o->tmp[0])
			err = link_tmp(o);
	}
	/* before the rename: some filesystems report write errors here */
	cerr = close_fd(o);
	if (cerr && !err)
		err = cerr;
	if (!err && !o->direct && renameat(o->dirfd, o->tmp, o->dirfd, o->name))
		err = -errno;
	if (!err) {
		/* renamed: the name is the destination's now */
		o->tmp[0] = 0;
		untrack(o);
	} else {
		rt_errorf("cannot write %s: %s", o->path, strerror(-err));
	}
	output_abort(o);
	return err;
}

void output_abort(struct output *o)
{
	if (!o->open)
		return;
	if (o->tmp[0])
		unlinkat(o->dirfd, o->tmp, 0);
	o->tmp[0] = 0;
	untrack(o);
	close_fd(o);
	if (o->dirfd >= 0)
		close(o->dirfd);
	o->dirfd = -1;
	free(o->path);
	free(o->name);
	o->path = o->name = NULL;
	o->open = false;
}
