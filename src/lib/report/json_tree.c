#include "report/json_tree.h"


void ms_json_value(struct ms_json *j, const struct ms_jval *v)
{
	if (!v) {
		ms_json_null(j);
		return;
	}
	switch (v->type) {
	case MS_J_NULL: ms_json_null(j); break;
	case MS_J_BOOL: ms_json_bool(j, v->b); break;
	case MS_J_STR: ms_json_strn(j, v->str, v->len); break;
	case MS_J_NUM:
		if (v->is_u64)
			ms_json_u64(j, v->u64);
		else if (v->num > -9e15 && v->num < 9e15 && (double)(int64_t)v->num == v->num)
			ms_json_i64(j, (int64_t)v->num);
		else
			ms_json_double(j, v->num);
		break;
	case MS_J_ARR:
	case MS_J_OBJ:
		if (v->type == MS_J_OBJ)
			ms_json_obj_begin(j);
		else
			ms_json_arr_begin(j);
		for (const struct ms_jval *c = v->child; c; c = c->next) {
			if (v->type == MS_J_OBJ)
				ms_json_key(j, c->key);
			ms_json_value(j, c);
		}
		if (v->type == MS_J_OBJ)
			ms_json_obj_end(j);
		else
			ms_json_arr_end(j);
		break;
	}
}
