#include "options.h"

#include "findings/allocator.h"

int ms_common_option(int c)
{
	switch (c) {
	case MS_OPT_NO_DEBUGINFO:
		ms_debuginfo_ignore();
		return 1;
	default:
		return 0;
	}
}
