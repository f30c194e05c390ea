/* a leaf that is not one */
#include "input/input.h"
