/* Writing a parsed JSON value back through the writer, so that the guide
 * can embed each step's findings in its combined document unchanged. */
#ifndef MS_JSON_TREE_H
#define MS_JSON_TREE_H

#include "records/jsonread.h"
#include "report/json.h"

void ms_json_value(struct ms_json *j, const struct ms_jval *v);

#endif
