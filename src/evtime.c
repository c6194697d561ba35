/* evtime.c - wall-clock times of log lines and mails (evtime.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "evtime.h"

struct evt {
	int year, mon, day, hour, min, sec;
	bool zone;              /* converted to UTC */
};

static bool evtime_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits at p (n <= 4), or -1. */
static int evtime_num(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!evtime_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* A day of the month printed in two columns: "01", " 1", "1 " is not. */
static int evtime_day2(const char *p)
{
	if (p[0] == ' ' && evtime_digit(p[1]))
		return p[1] - '0';
	return evtime_num(p, 2);
}

/* "Jan".."Dec" at p: 1..12, or 0. */
static int evtime_month(const char *p)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

	for (int i = 0; i < 12; i++)
		if (!strncasecmp(p, names + 3 * i, 3))
			return i + 1;
	return 0;
}

/* "hh:mm:ss" at p into t; false when it is none. */
static bool evtime_clock(const char *p, struct evt *t)
{
	if (p[2] != ':' || p[5] != ':')
		return false;
	t->hour = evtime_num(p, 2);
	t->min = evtime_num(p + 3, 2);
	t->sec = evtime_num(p + 6, 2);
	return t->hour >= 0 && t->hour < 24 && t->min >= 0 && t->min < 60 && t->sec >= 0 && t->sec <= 60;
}

static bool evtime_valid(const struct evt *t)
{
	return t->year >= 1970 && t->year < 10000 && t->mon >= 1 && t->mon <= 12 && t->day >= 1 && t->day <= 31;
}

/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar. */
static int64_t evtime_days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t evtime_secs(const struct evt *t)
{
	return evtime_days(t->year, t->mon, t->day) * 86400 + t->hour * 3600 + t->min * 60 + t->sec;
}

/* t moved by off seconds (a zone's offset taken away), through the calendar. */
static void evtime_shift(struct evt *t, int64_t off)
{
	int64_t s = evtime_secs(t) - off, days = s / 86400, z, era, doe, yoe, doy, mp;

	s %= 86400;
	if (s < 0) {
		s += 86400;
		days--;
	}
	t->hour = (int)(s / 3600);
	t->min = (int)(s / 60 % 60);
	t->sec = (int)(s % 60);
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	t->year = (int)(yoe + era * 400 + (t->mon <= 2));
}

static bool evtime_format(const struct evt *t, char out[EVTIME_LEN])
{
	if (!evtime_valid(t))
		return false;
	snprintf(out, EVTIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d%s", t->year, t->mon, t->day, t->hour, t->min,
		 t->sec, t->zone ? "Z" : "");
	return true;
}

/* dmesg -T: "Tue Dec  1 14:03:07 2026" (the time inside the brackets). */
static bool evtime_dmesg(const char *p, size_t n, struct evt *t)
{
	if (n != 24 || p[3] != ' ' || p[7] != ' ' || p[10] != ' ' || p[19] != ' ')
		return false;
	t->mon = evtime_month(p + 4);
	t->day = evtime_day2(p + 8);
	t->year = evtime_num(p + 20, 4);
	return t->mon && evtime_clock(p + 11, t);
}

/* syslog: "Dec  1 14:03:07 " (no year). */
static bool evtime_syslog(const char *p, size_t n, struct evt *t)
{
	if (n < 16 || p[3] != ' ' || p[6] != ' ' || p[15] != ' ')
		return false;
	t->mon = evtime_month(p);
	t->day = evtime_day2(p + 4);
	return t->mon && evtime_clock(p + 7, t);
}

/* A zone at p[0, n): "Z", "+01:00", "-0800"; its offset east of UTC in seconds.  False when none. */
static bool evtime_offset(const char *p, size_t n, int64_t *off)
{
	int h, m;

	if (n >= 1 && (p[0] == 'Z' || p[0] == 'z')) {
		*off = 0;
		return true;
	}
	if (n < 5 || (p[0] != '+' && p[0] != '-'))
		return false;
	h = evtime_num(p + 1, 2);
	m = p[3] == ':' ? (n >= 6 ? evtime_num(p + 4, 2) : -1) : evtime_num(p + 3, 2);
	if (h < 0 || m < 0 || h > 23 || m > 59)
		return false;
	*off = (p[0] == '-' ? -1 : 1) * (int64_t)(h * 3600 + m * 60);
	return true;
}

/* ISO 8601 / RFC 3339: "2026-12-01T14:03:07[.frac][Z|+hh:mm|+hhmm]". */
static bool evtime_iso(const char *p, size_t n, struct evt *t)
{
	size_t i = 19;
	int64_t off;

	if (n < 19 || p[4] != '-' || p[7] != '-' || p[10] != 'T')
		return false;
	t->year = evtime_num(p, 4);
	t->mon = evtime_num(p + 5, 2);
	t->day = evtime_num(p + 8, 2);
	if (!evtime_clock(p + 11, t))
		return false;
	if (i < n && (p[i] == '.' || p[i] == ','))
		for (i++; i < n && evtime_digit(p[i]); i++)
			;
	if (evtime_offset(p + i, n - i, &off)) {
		t->zone = true;
		evtime_shift(t, off);
	}
	return true;
}

bool evtime_from_line(const struct nline *l, int64_t now, char out[EVTIME_LEN])
{
	struct evt t = { 0 };
	const char *p = l->orig;
	size_t n = l->orig_len, k = 0;

	if (l->ts && evtime_dmesg(l->ts, l->ts_len, &t))
		return evtime_format(&t, out);
	/* the transport's quoting before the prefix */
	while (k < n && k < 16 && (p[k] == '>' || p[k] == '|' || p[k] == ' ' || p[k] == '\t'))
		k++;
	p += k;
	n -= k;
	if (!n || !(evtime_digit(p[0]) || (p[0] >= 'A' && p[0] <= 'Z')))
		return false;
	if (evtime_digit(p[0]))
		return evtime_iso(p, n, &t) && evtime_format(&t, out);
	if (!evtime_syslog(p, n, &t))
		return false;
	{
		struct evt nt = { .year = 1970, .mon = 1, .day = 1 };

		evtime_shift(&nt, -now);
		t.year = nt.year;
		if (evtime_secs(&t) > now + 86400)
			t.year--;
	}
	return evtime_format(&t, out);
}

/* An RFC 5322 zone name or offset at p[0, n): seconds east of UTC. */
static bool evtime_zone_name(const char *p, size_t n, int64_t *off)
{
	static const struct { const char *name; int hours; } zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "UTC", 0 }, { "EST", -5 }, { "EDT", -4 }, { "CST", -6 },
		{ "CDT", -5 }, { "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
	};
	size_t k = 0;

	while (k < n && p[k] >= 'A' && p[k] <= 'Z')
		k++;
	for (size_t i = 0; k && i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strlen(zones[i].name) == k && !memcmp(p, zones[i].name, k)) {
			*off = zones[i].hours * 3600;
			return true;
		}
	return n >= 5 && (p[0] == '+' || p[0] == '-') && evtime_offset(p, n, off);
}

static const char *evtime_blanks(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* "[Day,] D Mon YYYY hh:mm[:ss] zone" */
bool evtime_from_date(const char *s, size_t n, char out[EVTIME_LEN])
{
	const char *p = evtime_blanks(s, s + n), *e = s + n;
	struct evt t = { .zone = true };
	int64_t off = 0;

	if (e - p >= 4 && p[3] == ',')
		p = evtime_blanks(p + 4, e);
	if (e - p < 17 || !evtime_digit(p[0]))
		return false;
	t.day = evtime_digit(p[1]) ? evtime_num(p, 2) : p[0] - '0';
	p = evtime_blanks(p + (evtime_digit(p[1]) ? 2 : 1), e);
	if (e - p < 14 || !(t.mon = evtime_month(p)) || p[3] != ' ')
		return false;
	p = evtime_blanks(p + 3, e);
	if (e - p < 10 || (t.year = evtime_num(p, 4)) < 0)
		return false;
	p = evtime_blanks(p + 4, e);
	if (e - p < 5 || p[2] != ':' || (t.hour = evtime_num(p, 2)) < 0 || (t.min = evtime_num(p + 3, 2)) < 0)
		return false;
	p += 5;
	if (e - p >= 3 && p[0] == ':') {
		if ((t.sec = evtime_num(p + 1, 2)) < 0)
			return false;
		p += 3;
	}
	if (t.hour > 23 || t.min > 59 || t.sec > 60)
		return false;
	p = evtime_blanks(p, e);
	if (p < e && !evtime_zone_name(p, (size_t)(e - p), &off))
		return false;
	evtime_shift(&t, off);
	return evtime_format(&t, out);
}
