#include "report/callsite.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

void ms_callsite_format(const struct ms_sym *sym, uint64_t addr, char *buf, size_t len)
{
	if (!len)
		return;
	if (!sym->found || (!sym->dso[0] && !sym->func[0])) {
		snprintf(buf, len, "?? (0x%" PRIx64 ")", addr);
		return;
	}
	const char *obj = sym->dso[0] ? base(sym->dso) : "??";
	if (!sym->func[0]) {
		/* without a symbol a source line is still worth giving */
		if (sym->file[0])
			snprintf(buf, len, "?? %s:%d (%s+0x%" PRIx64 ")", base(sym->file), sym->line, obj, sym->dso_offset);
		else
			snprintf(buf, len, "?? (%s+0x%" PRIx64 ")", obj, sym->dso_offset);
		return;
	}
	if (sym->file[0])
		snprintf(buf, len, "%s+0x%" PRIx64 " %s:%d (%s)", sym->func, sym->offset, base(sym->file), sym->line, obj);
	else
		snprintf(buf, len, "%s+0x%" PRIx64 " ??:? (%s)", sym->func, sym->offset, obj);
}
