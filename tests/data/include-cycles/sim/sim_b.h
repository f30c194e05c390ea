#include "sim_a.h"
