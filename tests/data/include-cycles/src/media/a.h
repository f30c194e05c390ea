#include "media/c.h"
