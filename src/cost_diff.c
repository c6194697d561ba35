/* cost_diff.c - the pure pieces of cost: matching keys and the instruction diff. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"

static bool cost_all_digits(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	return true;
}

void cost_match_key(const char *name, char *out, size_t n)
{
	const char *p = name, *dot;
	size_t k = 0;

	if (n == 0)
		return;
	if (*name == '.') {     /* a name that starts with a dot: keep it */
		snprintf(out, n, "%s", name);
		return;
	}
	/* the base name, then each suffix that is not only digits */
	for (bool first = true; *p; first = false) {
		size_t len;

		dot = strchr(p, '.');
		len = dot ? (size_t)(dot - p) : strlen(p);
		if (first || !cost_all_digits(p, len)) {
			if (!first && k + 1 < n)
				out[k++] = '.';
			for (size_t i = 0; i < len && k + 1 < n; i++)
				out[k++] = p[i];
		}
		p += len + (dot ? 1 : 0);
		if (!dot)
			break;
	}
	out[k] = 0;
}

void cost_rename_key(const char *name, char *out, size_t n)
{
	size_t k = 0;

	if (n == 0)
		return;
	for (const char *p = name; *p && k + 1 < n; p++)
		if (!isdigit((unsigned char)*p))
			out[k++] = *p;
	out[k] = 0;
}

/* The longest common subsequence on what lies between a common prefix and suffix. */
static size_t cost_lcs_middle(char *const *a, size_t na, char *const *b, size_t nb, size_t pre,
			      struct cost_dline *d, size_t nd)
{
	size_t w = nb + 1, i = 0, j = 0;
	uint32_t *L;

	if (na && nb && na > (size_t)16 * 1024 * 1024 / nb) {
		/* too large to align: all of a out, all of b in */
		for (size_t k = 0; k < na; k++)
			d[nd++] = (struct cost_dline){ '-', pre + k };
		for (size_t k = 0; k < nb; k++)
			d[nd++] = (struct cost_dline){ '+', pre + k };
		return nd;
	}
	L = xcalloc((na + 1) * w, sizeof(*L));
	for (size_t x = na; x-- > 0;)
		for (size_t y = nb; y-- > 0;)
			L[x * w + y] = !strcmp(a[x], b[y]) ? L[(x + 1) * w + y + 1] + 1
				: (L[(x + 1) * w + y] >= L[x * w + y + 1] ? L[(x + 1) * w + y] : L[x * w + y + 1]);
	while (i < na || j < nb) {
		if (i < na && j < nb && !strcmp(a[i], b[j])) {
			i++, j++;
		} else if (j >= nb || (i < na && L[(i + 1) * w + j] >= L[i * w + j + 1])) {
			d[nd++] = (struct cost_dline){ '-', pre + i++ };
		} else {
			d[nd++] = (struct cost_dline){ '+', pre + j++ };
		}
	}
	free(L);
	return nd;
}

size_t cost_diff(char *const *a, size_t na, char *const *b, size_t nb, struct cost_dline **out)
{
	size_t pre = 0, suf = 0;

	while (pre < na && pre < nb && !strcmp(a[pre], b[pre]))
		pre++;
	while (suf < na - pre && suf < nb - pre && !strcmp(a[na - 1 - suf], b[nb - 1 - suf]))
		suf++;
	*out = xcalloc(na + nb + 1, sizeof(**out));
	return cost_lcs_middle(a + pre, na - pre - suf, b + pre, nb - pre - suf, pre, *out, 0);
}
