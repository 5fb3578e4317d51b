/* waitreason.h — Go's text for librt's wait reasons. */
#ifndef RTTRACE_WAITREASON_H
#define RTTRACE_WAITREASON_H

/*
 * waitreason_str returns Go's string for reason ("chan receive", …), "" for
 * RT_WAIT_ZERO as Go has it, and NULL for a reason outside the enum.
 */
const char *waitreason_str(unsigned int reason);

#endif /* RTTRACE_WAITREASON_H */
