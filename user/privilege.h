/*
 * privilege.h — who rttrace acts for, and giving up what it no longer
 * needs: the user behind sudo (whom the traced program runs as and whose
 * files rttrace writes), and the capabilities dropped once the session's
 * BPF programs are loaded and attached (privilege.c says which are kept,
 * and why).
 */
#ifndef RTTRACE_PRIVILEGE_H
#define RTTRACE_PRIVILEGE_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * sudo_invoker finds the user behind sudo: true, with *uid and *gid from
 * SUDO_UID and SUDO_GID, when rttrace runs as root and both name a user
 * other than root; false otherwise (not root, not through sudo, or values
 * that are not plain numbers).
 */
bool sudo_invoker(uid_t *uid, gid_t *gid);

/*
 * privilege_plan tells how many tracer_starts the session makes (trace
 * and attach: 1, the default; run and report: one per traced run), and
 * whether programs are started after the last one (run's untraced runs,
 * which need to switch to the invoking user). The capabilities are
 * dropped at the last.
 */
void privilege_plan(unsigned int attaches, bool spawns_after);

/*
 * privilege_attached is tracer_start's last step (ok: it attached):
 * at the session's last attach it drops, in the calling thread, every
 * capability the rest of the session does not need (privilege_drop).
 */
void privilege_attached(bool ok);

/*
 * privilege_drop drops the calling thread's capabilities to those the
 * main thread needs after attaching: from the effective, permitted,
 * inheritable, ambient and bounding sets, and sets no_new_privs. 0, or
 * -errno after a warning (rttrace then goes on with what it has).
 */
int privilege_drop(void);

/*
 * privilege_drop_helper is the first call of each of rttrace's helper
 * threads (snappers, samplers, readers, the --serve thread): it keeps
 * only what a helper needs (reading the traced program's /proc files),
 * whatever the main thread still holds. Capabilities are per thread on
 * Linux, so each thread gives up its own.
 */
void privilege_drop_helper(void);

#endif /* RTTRACE_PRIVILEGE_H */
