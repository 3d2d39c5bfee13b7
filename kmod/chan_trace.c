// SPDX-License-Identifier: GPL-2.0
/*
 * The chan tracepoints (O1): chan_trace.h, defined here once.  The files
 * that fire them include chan_trace.h without CREATE_TRACE_POINTS.
 */
#define CREATE_TRACE_POINTS
#include "chan_trace.h"
