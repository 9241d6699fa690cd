/* The memory syscalls' tapset probes (syscall.brk, .mmap, .mmap2, .munmap,
 * .mprotect, .madvise, .mremap) as the bpf runtime can write them: the
 * x86_64 syscall number for kernel.trace("sys_enter")'s $id (sys_exit:
 * $regs->orig_ax) and each local the installed tapset defines, with the
 * register that carries it (the x86_64 syscall ABI: di, si, dx, r10, r8,
 * r9).  Names from /usr/share/systemtap/tapset/linux/sysc_*.stp of
 * SystemTap 4.8 (x86_64/sysc_mmap.stp for mmap: start len prot flags fd
 * offset; sysc_mmap2.stp: start length prot flags fd pgoffset), and
 * syscall.exit_group (status), with which tapset-style scripts end. */
#ifndef MS_STAPSYS_H
#define MS_STAPSYS_H

#include <stddef.h>

struct ms_stap_arg {
	const char *local;   /* the tapset's name: "length" */
	const char *reg;     /* "si" */
	int is_int;          /* the tapset reads it with int_arg(): 32-bit signed */
};

struct ms_stap_sys {
	const char *name;    /* after "syscall.": "madvise" */
	int nr;              /* x86_64 __NR_ */
	struct ms_stap_arg args[6];
	int nargs;
};

/* The entry for syscall.NAME, or NULL when memsleuth does not translate it. */
const struct ms_stap_sys *ms_stap_sys_find(const char *name, size_t len);

/* "start=$regs->di length=$regs->si advice=$regs->dx" for advice lines. */
void ms_stap_sys_args_text(const struct ms_stap_sys *s, char *buf, size_t len);

#endif
