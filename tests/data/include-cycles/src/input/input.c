#include "input/input.h"
#include <stdio.h>
