/*
 * venus.c - the process context (venus.h): the event loop, configuration,
 * venus.db, counters, and the instances main.c makes.  main.c (or a unit
 * test) points V at its struct venus before anything else runs.
 */
#include "venus/util/venus.h"

struct venus *V;
