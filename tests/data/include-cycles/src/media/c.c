#include "media/c.h"
#include "media/a.h"
