/* event.c — one audit event's lifetime and the RFC 3339 time parser that
 * turns its stageTimestamp into the event's timestamp. */
#include <string.h>
#include <time.h>

#include "audit.h"

void sk_audit_event_done(struct sk_audit_event *ev)
{
	if (!ev)
		return;
	json_decref(ev->doc);
	ev->doc = NULL;
}

/* Reads exactly n decimal digits at *p; -1 when one is not a digit. */
static int digits(const char **p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil); avoids timegm's dependence on TZ and its range. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

uint64_t sk_audit_parse_time(const char *s)
{
	if (!s)
		return 0;
	const char *p = s;
	int y = digits(&p, 4);
	if (y < 0 || *p++ != '-')
		return 0;
	int mo = digits(&p, 2);
	if (mo < 1 || mo > 12 || *p++ != '-')
		return 0;
	int d = digits(&p, 2);
	if (d < 1 || d > 31 || (*p != 'T' && *p != 't' && *p != ' '))
		return 0;
	p++;
	int h = digits(&p, 2);
	if (h < 0 || h > 23 || *p++ != ':')
		return 0;
	int mi = digits(&p, 2);
	if (mi < 0 || mi > 59 || *p++ != ':')
		return 0;
	int se = digits(&p, 2);
	if (se < 0 || se > 60)
		return 0;
	uint64_t frac = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		for (; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 9)
				frac = frac * 10 + (uint64_t)(*p - '0');
		if (n == 0)
			return 0;
		for (; n < 9; n++)
			frac *= 10;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;
		int oh = digits(&p, 2);
		if (oh < 0 || oh > 23 || *p++ != ':')
			return 0;
		int om = digits(&p, 2);
		if (om < 0 || om > 59)
			return 0;
		off = sign * (int64_t)(oh * 3600 + om * 60);
	} else {
		return 0;
	}
	if (*p)
		return 0;
	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
		       se - off;
	if (secs < 0)
		return 0;
	return (uint64_t)secs * 1000000000ULL + frac;
}
