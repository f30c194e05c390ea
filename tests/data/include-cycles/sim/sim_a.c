#include "sim_a.h"
#include "sim_b.h"
