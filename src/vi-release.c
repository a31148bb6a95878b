/* vi-release.c - QEMU release numbers in names (vi-release.h). */
#include <stdio.h>
#include <string.h>
#include "vi-release.h"

int vi_release_parse(const char *s, unsigned *maj, unsigned *min, const char **end)
{
	int used = 0;

	if (!s || sscanf(s, "%u.%u%n", maj, min, &used) != 2)
		return 0;
	if (end)
		*end = s + used;
	return 1;
}

const char *vi_release_of_target(const char *target, char *buf, size_t n)
{
	const char *p = target ? strstr(target, "qemu-") : NULL;
	size_t k = 0;

	if (p)
		for (p += 5; *p && *p != '/' && k + 1 < n; p++)
			buf[k++] = *p;
	buf[k] = '\0';
	return buf;
}

int vi_release_num_of_id(const char *target)
{
	unsigned maj, min;

	return target && !strncmp(target, "qemu-", 5) &&
	       vi_release_parse(target + 5, &maj, &min, NULL) ? VI_RELEASE_NUM(maj, min) : -1;
}

int vi_release_of_machine(const char *m, unsigned *maj, unsigned *min)
{
	const char *d = m + strlen(m), *end;

	while (d > m && ((d[-1] >= '0' && d[-1] <= '9') || d[-1] == '.'))
		d--;
	return d > m && d[-1] == '-' && vi_release_parse(d, maj, min, &end) && !*end;
}

int vi_release_of_compat_array(const char *array, char *buf, size_t n)
{
	const char *c = array ? strstr(array, "compat_") : NULL;
	unsigned maj, min;
	int used = 0;

	if (!c || sscanf(c, "compat_%u_%u%n", &maj, &min, &used) != 2 || c[used])
		return -1;
	snprintf(buf, n, "%u.%u", maj, min);
	return 0;
}
