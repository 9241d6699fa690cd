#include "records/callsite.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/demangle.h"

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

void ms_callsite_json(const struct ms_jval *site, char *buf, size_t len)
{
	struct ms_sym sym;
	memset(&sym, 0, sizeof sym);
	const char *dso = ms_jstr(site, "dso", ""), *fn = ms_jstr(site, "symbol", "");
	int named = *fn && strncmp(fn, "0x", 2) != 0;
	sym.found = *dso || named;
	snprintf(sym.dso, sizeof sym.dso, "%s", dso);
	/* "function" is the demangled name; a document without it (older
	 * memsleuth) has "symbol" alone, demangled here the same way */
	if (named && ms_jget(site, "function"))
		snprintf(sym.func, sizeof sym.func, "%s", ms_jstr(site, "function", ""));
	else if (named)
		ms_demangle(fn, sym.func, sizeof sym.func);
	sym.offset = ms_ju64(site, "offset", 0);
	sym.dso_offset = ms_ju64(site, "dso_offset", 0);
	snprintf(sym.file, sizeof sym.file, "%s", ms_jstr(site, "file", ""));
	sym.line = (int)ms_ju64(site, "line", 0);
	ms_callsite_format(&sym, strtoull(ms_jstr(site, "address", named ? "0" : fn), NULL, 16), buf, len);
}
