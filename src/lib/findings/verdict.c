#include "findings/verdict.h"

#include <stdarg.h>
#include <stdio.h>

void ms_verdict_add(struct ms_verdicts *vs, enum ms_level level, const char *next,
		    const char *fmt, ...)
{
	if (vs->n >= MS_MAX_VERDICTS)
		return;
	struct ms_verdict *v = &vs->v[vs->n++];
	v->level = level;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof v->text, fmt, ap);
	va_end(ap);
	snprintf(v->next, sizeof v->next, "%s", next ? next : "");
}

const char *ms_level_name(enum ms_level l)
{
	return l == MS_PROBLEM ? "problem" : l == MS_NOTICE ? "notice" : "info";
}

int ms_verdicts_worst(const struct ms_verdicts *vs)
{
	int worst = -1;
	for (int i = 0; i < vs->n && i < MS_MAX_VERDICTS; i++)
		if ((int)vs->v[i].level > worst)
			worst = (int)vs->v[i].level;
	return worst;
}
