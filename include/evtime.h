/*
 * evtime.h - the wall-clock time of a log line or a mail: dmesg -T's
 * "[Tue Dec  1 14:03:07 2026]", syslog's "Dec  1 14:03:07 host kernel:",
 * journalctl's short-iso and RFC 3339 "2026-12-01T14:03:07.123456+00:00",
 * and a mail's Date: header (RFC 5322).  The printk uptime "[  12.345]"
 * is no wall clock and gives none.
 *
 * Times come out as "2026-12-01T14:03:07Z" (UTC) when the text gave a
 * zone, else as printed without the "Z" (dmesg -T, syslog: the machine's
 * local time, zone unknown).  Seconds, no fraction.
 */
#ifndef EVTIME_H
#define EVTIME_H

#include "normalize.h"

#define EVTIME_LEN 24

/*
 * The time of a line: its dmesg -T time (l->ts), else a syslog or ISO
 * time at the start of the line as read.  Syslog prints no year: the
 * year of now (Unix seconds), or the one before when that would put the
 * time more than a day after now.  False when the line has none.
 */
bool evtime_from_line(const struct nline *l, int64_t now, char out[EVTIME_LEN]);
/* A Date: header's value ("Tue, 1 Dec 2026 14:03:07 +0100"), in UTC; false when it is none. */
bool evtime_from_date(const char *s, size_t n, char out[EVTIME_LEN]);

#endif
