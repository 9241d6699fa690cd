/* The doctor step's checks as a table or as JSON (docs/json/doctor.md). */
#ifndef MS_DOCTOR_REPORT_H
#define MS_DOCTOR_REPORT_H

#include <stdio.h>
#include "findings/doctor.h"
#include "report/json.h"

void ms_doctor_text(const struct ms_doctor *d, FILE *out);
void ms_doctor_json(const struct ms_doctor *d, struct ms_json *j);

#endif
