/*
 * version.c - library version and UUID text (vmt/format.h).
 */

#include "format_int.h"

unsigned vmt_version_number(void)
{
	return VMT_VERSION_NUMBER;
}

const char *vmt_version_string(void)
{
	return VMT_VERSION_STRING;
}

void vmt_uuid_format(const uint8_t u[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u[i] >> 4];
		*p++ = hex[u[i] & 15];
	}
	*p = 0;
}
