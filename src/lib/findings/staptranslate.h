/* `memsleuth stap --translate`: the memory syscalls' tapset probes
 * (syscall.{brk,mmap,mmap2,munmap,mprotect,madvise,mremap} and .return)
 * rewritten into raw tracepoint probes the bpf runtime runs:
 *   probe syscall.madvise { ... }  ->
 *   probe kernel.trace("sys_enter") { if ($id != 28) next; start = $regs->di; ... }
 *   probe syscall.madvise.return { ... } ->
 *   probe kernel.trace("sys_exit") { if ($regs->orig_ax != 28) next; ... }
 * defining the locals the installed tapset defines (findings/stapsys.h)
 * that the handler uses, `name`, `retval` (= $ret), and `$return` -> `$ret`.
 * The tapset's strings (retstr, prot_str, flags_str, advice_str) need
 * string functions the bpf runtime lacks: as printf arguments they become
 * the number with the conversion changed to %ld / 0x%lx; elsewhere they
 * are left as written (the preflight then names them).  Everything else is
 * copied byte for byte; the prologue goes on the line of the '{' so that
 * stap's line numbers still match the original script. */
#ifndef MS_STAPTRANSLATE_H
#define MS_STAPTRANSLATE_H

#include <stddef.h>
#include "util/err.h"

struct ms_stap_translation {
	char  *text;        /* the rewritten script, NUL-terminated, malloc'd */
	size_t len;
	int    probes;      /* syscall probe points rewritten */
};

/* Rewrite text[0..len).  -1 with e on a lexing error or out of memory. */
int  ms_stap_translate(const char *text, size_t len, struct ms_stap_translation *out, struct ms_err *e);
void ms_stap_translation_free(struct ms_stap_translation *t);

#endif
