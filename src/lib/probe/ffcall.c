#include "probe/ffcall.h"

#include <dlfcn.h>
#include <ffi.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void *ms_ffcall_resolve(const char *name, char *lib, size_t liblen)
{
	void *fn = dlsym(RTLD_DEFAULT, name);
	Dl_info info;
	if (fn && lib) {
		const char *base = "?";
		if (dladdr(fn, &info) && info.dli_fname) {
			base = strrchr(info.dli_fname, '/');
			base = base ? base + 1 : info.dli_fname;
		}
		snprintf(lib, liblen, "%s", base);
	}
	return fn;
}

static ffi_type *ffi_of(enum ms_lab_type t)
{
	switch (t) {
	case MS_LT_VOID:   return &ffi_type_void;
	case MS_LT_INT:    return &ffi_type_sint;
	case MS_LT_UINT:   return &ffi_type_uint;
	case MS_LT_LONG:   return &ffi_type_slong;
	case MS_LT_SIZE:   return sizeof(size_t) == 8 ? &ffi_type_uint64 : &ffi_type_uint32;
	case MS_LT_DOUBLE: return &ffi_type_double;
	case MS_LT_BOOL:   return &ffi_type_uint8;
	default:           return &ffi_type_pointer;
	}
}

union slot {
	int i;
	unsigned u;
	long l;
	size_t z;
	double d;
	bool b;
	const void *p;
};

int ms_ffcall(void *fn, const struct ms_lab_proto *p, const struct ms_lab_arg *args, int nargs,
	      void *stdout_file, struct ms_ffcall_value *out, struct ms_err *e)
{
	if (nargs != p->nargs || nargs > MS_LAB_MAX_ARGS)
		return ms_err_set(e, 0, "argument count does not match the prototype", NULL, "%s", p->name);
	ffi_cif cif;
	ffi_type *types[MS_LAB_MAX_ARGS];
	void *values[MS_LAB_MAX_ARGS];
	union slot slots[MS_LAB_MAX_ARGS];
	for (int i = 0; i < nargs; i++) {
		const struct ms_lab_arg *a = &args[i];
		types[i] = ffi_of(p->args[i]);
		values[i] = &slots[i];
		switch (p->args[i]) {
		case MS_LT_INT:    slots[i].i = (int)a->i; break;
		case MS_LT_UINT:   slots[i].u = (unsigned)a->i; break;
		case MS_LT_LONG:   slots[i].l = (long)a->i; break;
		case MS_LT_SIZE:   slots[i].z = (size_t)a->i; break;
		case MS_LT_DOUBLE: slots[i].d = a->kind == MS_LA_DOUBLE ? a->d : (double)a->i; break;
		case MS_LT_BOOL:   slots[i].b = a->i != 0; break;
		default:
			slots[i].p = a->kind == MS_LA_STR ? (const void *)a->s
				   : a->kind == MS_LA_STDOUT ? stdout_file
				   : a->kind == MS_LA_STDERR ? (const void *)stderr : NULL;
		}
	}
	if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, (unsigned)nargs, ffi_of(p->ret), types) != FFI_OK)
		return ms_err_set(e, 0, "libffi cannot describe this prototype", NULL, "%s", p->name);
	memset(out, 0, sizeof *out);
	if (p->ret == MS_LT_DOUBLE) {
		ffi_call(&cif, FFI_FN(fn), &out->d, values);
		out->is_double = 1;
		return 0;
	}
	ffi_arg rv = 0;
	ffi_call(&cif, FFI_FN(fn), &rv, values);
	out->is_void = p->ret == MS_LT_VOID;
	switch (p->ret) {
	case MS_LT_INT:  out->i = (int)rv; break;
	case MS_LT_LONG: out->i = (long)rv; break;
	case MS_LT_BOOL: out->i = (unsigned char)rv; break;
	default:         out->i = (long long)rv; break;
	}
	return 0;
}
